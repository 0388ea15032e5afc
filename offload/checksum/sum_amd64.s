//go:build !purego

#include "textflag.h"

// func sumAVX2(b []byte) uint64
//
// Each 32-byte load is eight 32-bit lanes, each holding two little-endian
// 16-bit words. ALL accumulates the lanes as they are (wrapping mod 1<<32)
// and HI accumulates each lane shifted right by 16, the upper word. The
// lower words then sum to ALL - HI<<16 (mod 1<<32), exact while that sum
// stays below 1<<32, which the caller guarantees by bounding len(b). Two
// independent ALL/HI pairs (Y0/Y1, Y2/Y3) keep the adders busy; the loop
// takes 128 bytes per iteration.
TEXT ·sumAVX2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	SHRQ $7, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	TESTQ CX, CX
	JZ   reduce

loop:
	VMOVDQU (SI), Y4
	VMOVDQU 32(SI), Y5
	VMOVDQU 64(SI), Y6
	VMOVDQU 96(SI), Y7
	VPSRLD  $16, Y4, Y8
	VPSRLD  $16, Y5, Y9
	VPSRLD  $16, Y6, Y10
	VPSRLD  $16, Y7, Y11
	VPADDD  Y4, Y0, Y0
	VPADDD  Y5, Y2, Y2
	VPADDD  Y8, Y1, Y1
	VPADDD  Y9, Y3, Y3
	VPADDD  Y6, Y0, Y0
	VPADDD  Y7, Y2, Y2
	VPADDD  Y10, Y1, Y1
	VPADDD  Y11, Y3, Y3
	ADDQ    $128, SI
	DECQ    CX
	JNZ     loop

reduce:
	// Lower words: ALL - HI<<16.
	VPSLLD $16, Y1, Y8
	VPSUBD Y8, Y0, Y0
	VPSLLD $16, Y3, Y9
	VPSUBD Y9, Y2, Y2

	// Widen the 32 lanes of Y0..Y3 to 64 bits and add them up.
	VPXOR      Y15, Y15, Y15
	VPUNPCKLDQ Y15, Y0, Y4
	VPUNPCKHDQ Y15, Y0, Y5
	VPUNPCKLDQ Y15, Y1, Y6
	VPUNPCKHDQ Y15, Y1, Y7
	VPUNPCKLDQ Y15, Y2, Y8
	VPUNPCKHDQ Y15, Y2, Y9
	VPUNPCKLDQ Y15, Y3, Y10
	VPUNPCKHDQ Y15, Y3, Y11
	VPADDQ     Y4, Y5, Y4
	VPADDQ     Y6, Y7, Y6
	VPADDQ     Y8, Y9, Y8
	VPADDQ     Y10, Y11, Y10
	VPADDQ     Y4, Y6, Y4
	VPADDQ     Y8, Y10, Y8
	VPADDQ     Y4, Y8, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDQ     X4, X5, X4
	VPSHUFD    $0x4e, X4, X5
	VPADDQ     X4, X5, X4
	VMOVQ      X4, AX
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
