package checksum

import "net/netip"

// Update16 returns the checksum field after the 16-bit word old, covered by
// field, was replaced by new (RFC 1624 equation 3; see "Incremental update"
// in the package documentation).
func Update16(field, old, new uint16) uint16 {
	return finish(uint64(^field) + uint64(^old) + uint64(new))
}

// Update32 returns the checksum field after the 32-bit value old (two
// 16-bit words, such as a TCP sequence number or an IPv4 address), covered
// by field, was replaced by new (RFC 1624 equation 3, once per word).
func Update32(field uint16, old, new uint32) uint16 {
	s := uint64(^field)
	s += uint64(^uint16(old>>16)) + uint64(^uint16(old))
	s += uint64(new>>16) + uint64(new&0xffff)
	return finish(s)
}

// UpdateAddr returns the checksum field after the address old, covered by
// field, was replaced by new: 4 bytes for an IPv4 address, 16 for an IPv6
// one (including an IPv4-mapped IPv6 address, for which Is4 is false). For a
// NAT rewrite, apply it to the IPv4 header checksum and, because the
// pseudo-header covers the addresses, to the TCP or UDP checksum too.
//
// old and new may be of different families, as in a NAT64 translation: the
// sum of old's bytes is removed and the sum of new's added, which is right
// when the pseudo-header grows or shrinks accordingly; any change of length
// or protocol must be applied with its own update. The zero Addr stands for
// no bytes at all.
func UpdateAddr(field uint16, old, new netip.Addr) uint16 {
	// Subtracting x in one's complement is adding ^x per 16-bit word;
	// addrSum(old) spans up to 8 words, so subtract it as 8*0xffff - sum,
	// which is the sum of the complemented words padded to 8 words with
	// 0xffff (negative zero, which adds nothing).
	s := uint64(^field) + 8*0xffff - addrSum(old) + addrSum(new)
	return finish(s)
}

// finish folds an accumulated ~HC + ~m + m' sum and complements it. A sum of
// +0 (every operand zero) is taken as -0, so the result is 0x0000 rather than
// 0xFFFF, matching a full recompute over data that are not all zero.
func finish(s uint64) uint16 {
	f := fold64(s)
	if f == 0 {
		f = 0xffff
	}
	return ^f
}
