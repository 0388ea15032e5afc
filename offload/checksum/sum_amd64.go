//go:build !purego

package checksum

import "math/bits"

// useAVX2 selects the AVX2 loop. Tests turn it off to cover the scalar path.
var useAVX2 = hasAVX2()

const (
	// avx2Min is the length from which the AVX2 loop beats the scalar one
	// (measured with BenchmarkSum): below it the vector set-up and
	// reduction cost more than they save.
	avx2Min = 256
	// avx2Block is the most sumAVX2 takes in one call: each of its 32-bit
	// lanes adds two 16-bit words per 128 bytes, so 1<<15 iterations (4 MiB)
	// keep every lane below 1<<32.
	avx2Block = 128 << 15
)

func sum(b []byte) uint16 {
	if !useAVX2 || len(b) < avx2Min {
		return sumGeneric(b, 0)
	}
	var acc, c uint64
	for len(b) >= 128 {
		n := min(len(b), avx2Block) &^ 127
		acc, c = bits.Add64(acc, sumAVX2(b[:n]), 0)
		acc += c // cannot overflow: a carry leaves acc at most 1<<64-2
		b = b[n:]
	}
	return sumGeneric(b, acc)
}

// sumAVX2 returns the sum, unfolded, of b as little-endian 16-bit words.
// len(b) must be a multiple of 128 and at most avx2Block. The result is
// below 1<<40.
//
//go:noescape
func sumAVX2(b []byte) uint64
