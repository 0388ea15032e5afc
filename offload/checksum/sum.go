package checksum

import (
	"encoding/binary"
	"math/bits"
)

// Sum returns the 16-bit one's-complement sum (RFC 1071) of b added to
// initial, folded to 16 bits but not complemented.
//
// b is summed as if it starts at an even offset: b[0] is the high byte of
// the first 16-bit word. An odd trailing byte is padded with a zero byte.
// To sum data that continue after an odd-length buffer, sum the
// concatenation or swap the bytes of the later partial sum (RFC 1071
// section 2(B)).
//
// Sum returns 0 only if initial is 0 and every byte of b is 0.
func Sum(b []byte, initial uint16) uint16 {
	return Combine(sum(b), initial)
}

// Combine one's-complement-adds two folded sums (RFC 1071 section 2(C)).
func Combine(a, b uint16) uint16 {
	s := uint32(a) + uint32(b)
	return uint16(s + s>>16)
}

// sumGeneric is the portable implementation of sum: it returns the folded
// one's-complement sum of b as big-endian 16-bit words, plus acc, an
// unfolded sum of little-endian 16-bit words gathered earlier (by the
// assembly, over a prefix of even length).
//
// One's-complement addition commutes with byte swapping (RFC 1071 section
// 2(B)), so it adds b as little-endian 64-bit words with end-around carry
// and swaps the two bytes of the folded result once at the end. Two
// add-with-carry chains (s0 and s1) run side by side, since the CPU renames
// the carry flag and overlaps them; their carries are counted in k. Below
// 64 bytes, fixed steps of 32, 16 and 8 bytes replace a loop.
func sumGeneric(b []byte, acc uint64) uint16 {
	var s1, k, c0, c1 uint64
	s0 := acc
	for len(b) >= 64 {
		s0, c0 = bits.Add64(s0, binary.LittleEndian.Uint64(b[0:8]), 0)
		s0, c0 = bits.Add64(s0, binary.LittleEndian.Uint64(b[8:16]), c0)
		s0, c0 = bits.Add64(s0, binary.LittleEndian.Uint64(b[16:24]), c0)
		s0, c0 = bits.Add64(s0, binary.LittleEndian.Uint64(b[24:32]), c0)
		k += c0
		s1, c1 = bits.Add64(s1, binary.LittleEndian.Uint64(b[32:40]), 0)
		s1, c1 = bits.Add64(s1, binary.LittleEndian.Uint64(b[40:48]), c1)
		s1, c1 = bits.Add64(s1, binary.LittleEndian.Uint64(b[48:56]), c1)
		s1, c1 = bits.Add64(s1, binary.LittleEndian.Uint64(b[56:64]), c1)
		k += c1
		b = b[64:]
	}
	if len(b) >= 32 {
		s0, c0 = bits.Add64(s0, binary.LittleEndian.Uint64(b[0:8]), 0)
		s0, c0 = bits.Add64(s0, binary.LittleEndian.Uint64(b[8:16]), c0)
		s0, c0 = bits.Add64(s0, binary.LittleEndian.Uint64(b[16:24]), c0)
		s0, c0 = bits.Add64(s0, binary.LittleEndian.Uint64(b[24:32]), c0)
		k += c0
		b = b[32:]
	}
	if len(b) >= 16 {
		s1, c1 = bits.Add64(s1, binary.LittleEndian.Uint64(b[0:8]), 0)
		s1, c1 = bits.Add64(s1, binary.LittleEndian.Uint64(b[8:16]), c1)
		k += c1
		b = b[16:]
	}
	// The last 15 bytes or fewer go into t as 32-bit and smaller pieces,
	// which cannot overflow it.
	var t uint64
	if len(b) >= 8 {
		t = uint64(binary.LittleEndian.Uint32(b)) + uint64(binary.LittleEndian.Uint32(b[4:8]))
		b = b[8:]
	}
	if len(b) >= 4 {
		t += uint64(binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		t += uint64(binary.LittleEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		t += uint64(b[0])
	}
	s0, c0 = bits.Add64(s0, s1, 0)
	s0, c1 = bits.Add64(s0, t, c0)
	// k counts carries, one per 8 bytes at most: it cannot wrap.
	s0, c0 = bits.Add64(s0, k+c1, 0)
	return bits.ReverseBytes16(fold64(s0 + c0)) // s0+c0 cannot overflow
}

// fold64 folds a 64-bit one's-complement accumulator to 16 bits.
func fold64(s uint64) uint16 {
	s = (s >> 32) + (s & 0xffffffff) // < 1<<33
	s = (s >> 16) + (s & 0xffff)     // < 1<<18
	s = (s >> 16) + (s & 0xffff)     // <= 0x10002
	s = (s >> 16) + (s & 0xffff)     // <= 0xffff
	return uint16(s)
}
