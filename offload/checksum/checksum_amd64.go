//go:build !purego

package checksum

import "math/bits"

// useAVX2 and useAVX512 select the vector kernels; useAVX512 wins when both
// are set. Tests clear them to cover every path on one machine.
var useAVX2, useAVX512 = cpuFeatures()

const (
	// vectorMin is the length from which the vector kernels beat
	// sumGeneric (measured with BenchmarkSum): below it their set-up and
	// final reduction cost more than they save.
	vectorMin = 192
	// vectorBlock is the most one kernel call takes. Per 32 bytes (64 for
	// sumAVX512) a kernel adds one 16-bit word to each 32-bit lane of one of
	// its two accumulator pairs, taking turns, so 1 MiB keeps every lane at
	// 1<<14 words or fewer, which the kernels' final reduction relies on.
	vectorBlock = 1 << 20
)

// sum is short so that the common small-packet case costs one extra call.
func sum(b []byte) uint16 {
	if len(b) >= vectorMin && (useAVX512 || useAVX2) {
		return sumVector(b)
	}
	return sumGeneric(b, 0)
}

// sumVector sums b with the best vector kernel, in calls of at most
// vectorBlock bytes (an even number, so every call starts on a word).
// sumAVX2 leaves fewer than 32 bytes to sumGeneric; sumAVX512 takes all.
func sumVector(b []byte) uint16 {
	var acc, c, s uint64
	for len(b) >= 32 {
		n := min(len(b), vectorBlock)
		if useAVX512 {
			s = sumAVX512(b[:n])
		} else {
			n &^= 31
			s = sumAVX2(b[:n])
		}
		acc, c = bits.Add64(acc, s, 0)
		acc += c // cannot overflow: a carry leaves acc at most 1<<64-2
		b = b[n:]
	}
	if len(b) == 0 { // always so after sumAVX512: skip a call
		return bits.ReverseBytes16(fold64(acc))
	}
	return sumGeneric(b, acc)
}

// sumAVX2 returns the sum, unfolded, of b as little-endian 16-bit words.
// len(b) must be a multiple of 32 and at most vectorBlock. The result is
// below 1<<35.
//
//go:noescape
func sumAVX2(b []byte) uint64

// sumAVX512 is sumAVX2 for any len(b) up to vectorBlock, an odd trailing
// byte padded with zero. It needs AVX-512F and AVX-512BW.
//
//go:noescape
func sumAVX512(b []byte) uint64
