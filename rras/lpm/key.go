package lpm

import (
	"encoding/binary"
	"net/netip"
)

// key is an address as two big-endian 64-bit halves. IPv4 addresses use
// the top 32 bits of hi; everything else is zero.
type key struct{ hi, lo uint64 }

func keyOf(a netip.Addr) key {
	if a.Is4() {
		b := a.As4()
		return key{hi: uint64(binary.BigEndian.Uint32(b[:])) << 32}
	}
	b := a.As16()
	return key{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:])}
}

// addr turns k back into an address of the given family.
func (k key) addr(is4 bool) netip.Addr {
	if is4 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(k.hi>>32))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], k.hi)
	binary.BigEndian.PutUint64(b[8:], k.lo)
	return netip.AddrFrom16(b)
}

// octet returns byte d (0 is the most significant) of k.
func (k key) octet(d int) uint8 {
	if d < 8 {
		return uint8(k.hi >> (56 - 8*d))
	}
	return uint8(k.lo >> (56 - 8*(d-8)))
}

// masked keeps the first n bits of k and clears the rest.
func (k key) masked(n int) key {
	if n < 64 {
		return key{hi: k.hi &^ (^uint64(0) >> n)}
	}
	return key{hi: k.hi, lo: k.lo &^ (^uint64(0) >> (n - 64))}
}

// matches reports whether k and p agree in their first n bits.
func (k key) matches(p key, n int) bool {
	x, y := k.hi^p.hi, k.lo^p.lo
	if n < 64 {
		return x&^(^uint64(0)>>n) == 0
	}
	return x == 0 && y&^(^uint64(0)>>(n-64)) == 0
}

// slot returns where a prefix of n bits with address k is stored: in the
// node at depth d (which consumes octet d), at ART index idx.
func slot(k key, n int) (d int, idx uint) {
	d = (n - 1) / 8 // n == 0 gives 0, as integer division truncates
	r := n - 8*d
	return d, 1<<r | uint(k.octet(d))>>(8-r)
}

// prefixKey rebuilds the key of the prefix at ART index idx in a node at
// depth d reached through the octets of path. It returns the key and the
// prefix length.
func prefixKey(path key, d int, idx uint) (key, int) {
	r := 0
	for idx>>(r+1) != 0 {
		r++
	}
	n := 8*d + r
	x := uint64(idx-1<<r) << (8 - r) // the r prefix bits, left-aligned in the octet
	k := path.masked(8 * d)
	if d < 8 {
		k.hi |= x << (56 - 8*d)
	} else {
		k.lo |= x << (56 - 8*(d-8))
	}
	return k, n
}
