//go:build !purego

package checksum

import "math/bits"

// useAVX2 and useAVX512 select the vector kernels; useAVX512 wins when both
// are set. Tests clear them to cover every path on one machine.
var useAVX2, useAVX512 = cpuFeatures()

func init() {
	if useAVX2 || useAVX512 {
		vectorPrefix = sumVector
	}
}

// vectorBlock is the most one kernel call takes. Per 32 bytes (64 for
// sumAVX512) a kernel adds one 16-bit word to each 32-bit lane of one of
// its two accumulator pairs, taking turns, so 1 MiB keeps every lane at
// 1<<14 words or fewer, which the kernels' final reduction relies on.
const vectorBlock = 1 << 20

// sumVector is vectorPrefix on amd64. It sums b with the best kernel, in
// calls of at most vectorBlock bytes (an even number, so every call starts
// on a word). sumAVX2 leaves fewer than 32 bytes; sumAVX512 takes all.
func sumVector(b []byte) (acc uint64, rest []byte) {
	var c, s uint64
	for len(b) >= 32 && (useAVX512 || useAVX2) {
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
	return acc, b
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
