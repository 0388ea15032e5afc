//go:build !purego

package checksum

// cpuFeatures reports which vector kernels the CPU has and the operating
// system supports, that is, saves the vector registers across context
// switches (CPUID and XGETBV, as the Intel SDM volume 1 chapters 14 and 15
// prescribe). It is written here rather than taken from golang.org/x/sys/cpu
// to keep the module free of dependencies.
func cpuFeatures() (avx2, avx512 bool) {
	const (
		osxsave  = 1 << 27     // CPUID.1:ECX
		avx      = 1 << 28     // CPUID.1:ECX
		avx2Bit  = 1 << 5      // CPUID.(7,0):EBX
		avx512F  = 1 << 16     // CPUID.(7,0):EBX
		avx512BW = 1 << 30     // CPUID.(7,0):EBX
		xcrYMM   = 0b110       // XCR0: SSE and AVX state
		xcrZMM   = 0b1110_0110 // XCR0: plus opmask, ZMM0-15 upper halves, ZMM16-31
	)
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false, false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	if ecx1&(osxsave|avx) != osxsave|avx {
		return false, false
	}
	xcr0, _ := xgetbv()
	_, ebx7, _, _ := cpuid(7, 0)
	avx2 = xcr0&xcrYMM == xcrYMM && ebx7&avx2Bit != 0
	avx512 = xcr0&xcrZMM == xcrZMM && ebx7&(avx512F|avx512BW) == avx512F|avx512BW
	return avx2, avx512
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)
