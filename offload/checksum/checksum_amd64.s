//go:build !purego

#include "textflag.h"

// Both kernels use the same scheme. A vector load is a row of 32-bit
// lanes, each holding two little-endian 16-bit words. ALL accumulates the
// lanes as they are (wrapping mod 1<<32) and HI accumulates the lanes
// shifted right by 16, that is the upper words. The lower words then sum to
// ALL - HI<<16 (mod 1<<32). Two independent ALL/HI pairs keep the adders
// busy. The caller bounds len(b) (vectorBlock) so that no lane of any pair
// adds more than 1<<14 words: then each lane's lower-word and upper-word
// sums stay below 1<<30, the subtraction is exact, and the four per-lane
// sums (lower and upper words of both pairs) add up to less than 1<<32 in
// one 32-bit lane. Those lanes are finally widened to 64 bits and added
// into the result: the unfolded sum of b as little-endian 16-bit words.

// func sumAVX2(b []byte) uint64
//
// len(b) is a multiple of 32. Pairs: Y0/Y1 and Y2/Y3.
TEXT ·sumAVX2(SB), NOSPLIT, $0-32
	MOVQ  b_base+0(FP), SI
	MOVQ  b_len+8(FP), DX
	MOVQ  DX, CX
	SHRQ  $7, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	TESTQ CX, CX
	JZ    avx2tail64

avx2loop:
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
	JNZ     avx2loop

avx2tail64:
	TESTQ   $64, DX
	JZ      avx2tail32
	VMOVDQU (SI), Y4
	VMOVDQU 32(SI), Y5
	VPSRLD  $16, Y4, Y8
	VPSRLD  $16, Y5, Y9
	VPADDD  Y4, Y0, Y0
	VPADDD  Y5, Y2, Y2
	VPADDD  Y8, Y1, Y1
	VPADDD  Y9, Y3, Y3
	ADDQ    $64, SI

avx2tail32:
	TESTQ   $32, DX
	JZ      avx2reduce
	VMOVDQU (SI), Y4
	VPSRLD  $16, Y4, Y8
	VPADDD  Y4, Y0, Y0
	VPADDD  Y8, Y1, Y1

avx2reduce:
	// Per lane: (ALL - HI<<16) + HI for each pair, then both pairs.
	VPSLLD $16, Y1, Y8
	VPSUBD Y8, Y0, Y0
	VPSLLD $16, Y3, Y9
	VPSUBD Y9, Y2, Y2
	VPADDD Y1, Y0, Y0
	VPADDD Y3, Y2, Y2
	VPADDD Y2, Y0, Y0

	// Widen the eight lanes to 64 bits and add them up.
	VPXOR        Y15, Y15, Y15
	VPUNPCKLDQ   Y15, Y0, Y4
	VPUNPCKHDQ   Y15, Y0, Y5
	VPADDQ       Y4, Y5, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDQ       X4, X5, X4
	VPSHUFD      $0x4e, X4, X5
	VPADDQ       X4, X5, X4
	VMOVQ        X4, AX
	VZEROUPPER
	MOVQ         AX, ret+24(FP)
	RET

// func sumAVX512(b []byte) uint64
//
// Any len(b). Pairs: Z0/Z1 and Z2/Z3. The shifts and adds take their
// operands straight from memory; the last len(b)%64 bytes are read with a
// zeroing byte-masked load (AVX-512BW), which zero-pads an odd trailing
// byte as RFC 1071 asks and never touches memory past the end of b.
TEXT ·sumAVX512(SB), NOSPLIT, $0-32
	MOVQ   b_base+0(FP), SI
	MOVQ   b_len+8(FP), DX
	MOVQ   DX, CX
	SHRQ   $8, CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	TESTQ  CX, CX
	JZ     avx512tail128

avx512loop:
	VPSRLD $16, (SI), Z8
	VPSRLD $16, 64(SI), Z9
	VPSRLD $16, 128(SI), Z10
	VPSRLD $16, 192(SI), Z11
	VPADDD (SI), Z0, Z0
	VPADDD 64(SI), Z2, Z2
	VPADDD Z8, Z1, Z1
	VPADDD Z9, Z3, Z3
	VPADDD 128(SI), Z0, Z0
	VPADDD 192(SI), Z2, Z2
	VPADDD Z10, Z1, Z1
	VPADDD Z11, Z3, Z3
	ADDQ   $256, SI
	DECQ   CX
	JNZ    avx512loop

avx512tail128:
	TESTQ  $128, DX
	JZ     avx512tail64
	VPSRLD $16, (SI), Z8
	VPSRLD $16, 64(SI), Z9
	VPADDD (SI), Z0, Z0
	VPADDD 64(SI), Z2, Z2
	VPADDD Z8, Z1, Z1
	VPADDD Z9, Z3, Z3
	ADDQ   $128, SI

avx512tail64:
	TESTQ  $64, DX
	JZ     avx512tail
	VPSRLD $16, (SI), Z8
	VPADDD (SI), Z0, Z0
	VPADDD Z8, Z1, Z1
	ADDQ   $64, SI

avx512tail:
	// K1 = (1 << (len%64)) - 1 selects the remaining bytes.
	MOVQ      DX, CX
	ANDQ      $63, CX
	JZ        avx512reduce
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVQ     AX, K1
	VMOVDQU8.Z (SI), K1, Z4
	VPSRLD    $16, Z4, Z8
	VPADDD    Z4, Z2, Z2
	VPADDD    Z8, Z3, Z3

avx512reduce:
	// Per lane: (ALL - HI<<16) + HI for each pair, then both pairs.
	VPSLLD $16, Z1, Z8
	VPSUBD Z8, Z0, Z0
	VPSLLD $16, Z3, Z9
	VPSUBD Z9, Z2, Z2
	VPADDD Z1, Z0, Z0
	VPADDD Z3, Z2, Z2
	VPADDD Z2, Z0, Z0

	// Widen the sixteen lanes to 64 bits and add them up.
	VPMOVZXDQ     Y0, Z4
	VEXTRACTI64X4 $1, Z0, Y5
	VPMOVZXDQ     Y5, Z5
	VPADDQ        Z4, Z5, Z4
	VEXTRACTI64X4 $1, Z4, Y5
	VPADDQ        Y4, Y5, Y4
	VEXTRACTI128  $1, Y4, X5
	VPADDQ        X4, X5, X4
	VPSHUFD       $0x4e, X4, X5
	VPADDQ        X4, X5, X4
	VMOVQ         X4, AX
	VZEROUPPER
	MOVQ          AX, ret+24(FP)
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
