package lpm

import "math/bits"

// bitset256 marks which of the 256 octet values below a node have a child
// node or a leaf. The set bits index a popcount-compressed slice: the
// entry for octet o sits at rank(o), the number of set bits below o.
type bitset256 [4]uint64

func (b *bitset256) test(o uint8) bool { return b[o>>6]&(1<<(o&63)) != 0 }
func (b *bitset256) set(o uint8)       { b[o>>6] |= 1 << (o & 63) }
func (b *bitset256) clear(o uint8)     { b[o>>6] &^= 1 << (o & 63) }
func (b *bitset256) empty() bool       { return b[0]|b[1]|b[2]|b[3] == 0 }

// rank returns the number of set bits strictly below o.
func (b *bitset256) rank(o uint8) int {
	w := int(o >> 6)
	n := bits.OnesCount64(b[w] & (1<<(o&63) - 1))
	for i := range w {
		n += bits.OnesCount64(b[i])
	}
	return n
}

// bitset512 holds the prefixes stored in a node as ART indexes: a prefix
// of r bits (0..8) within the node's octet, with value x, has index
// 1<<r | x. Index 1 is the node's own /0, indexes 256..511 the full octets.
// The parent of index i in this complete binary tree is i>>1.
type bitset512 [8]uint64

func (b *bitset512) test(i uint) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b *bitset512) set(i uint)       { b[i>>6] |= 1 << (i & 63) }
func (b *bitset512) clear(i uint)     { b[i>>6] &^= 1 << (i & 63) }
func (b *bitset512) empty() bool {
	return b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] == 0
}

// rank returns the number of set bits strictly below i.
func (b *bitset512) rank(i uint) int {
	w := i >> 6
	n := bits.OnesCount64(b[w] & (1<<(i&63) - 1))
	for j := range w {
		n += bits.OnesCount64(b[j])
	}
	return n
}

// ancestors0 holds, for the top five bits j of an octet, the ART indexes
// below 64 that cover it: 32+j, 16+j>>1, 8+j>>2, 4+j>>3, 2+j>>4 and 1.
var ancestors0 = func() (t [32]uint64) {
	for j := range uint(32) {
		for i := 32 + j; i != 0; i >>= 1 {
			t[j] |= 1 << i
		}
	}
	return t
}()

// longest returns the ART index of the longest prefix in b that covers
// octet o, or 0 when none does. It looks at the /8 (index 256+o), the /7
// and the /6 with one bit test each, then at the five shorter lengths and
// the /0 at once through a precomputed ancestor mask.
func (b *bitset512) longest(o uint8) uint {
	i := 256 + uint(o)
	if b[i>>6]&(1<<(i&63)) != 0 {
		return i
	}
	i >>= 1
	if b[i>>6]&(1<<(i&63)) != 0 {
		return i
	}
	i >>= 1
	if b[1]&(1<<(i&63)) != 0 {
		return i
	}
	if w := b[0] & ancestors0[o>>3]; w != 0 {
		return uint(63 - bits.LeadingZeros64(w))
	}
	return 0
}
