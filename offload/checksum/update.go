package checksum

import "net/netip"

// The Update functions adjust a checksum field as stored in a header (the
// complemented sum) after part of the covered data changed, without
// re-reading the data: RFC 1624 equation 3,
//
//	HC' = ~(~HC + ~m + m')
//
// where HC is the old field, m the old value and m' the new one, added
// with end-around carry. The changed value must lie at an even offset from
// the start of the checksummed data (every 16- and 32-bit field and every
// address in IPv4, IPv6, TCP, UDP and ICMP headers does).
//
// They never return 0xFFFF: when the new data sum to zero they return
// 0x0000, the value a full recompute (^Sum) gives for any data that are not
// all zero bytes. A field of 0xFFFF is accepted and treated as the same
// one's-complement value as 0x0000. For UDP, the caller maps a result of
// 0x0000 to 0xFFFF before transmitting, and must not update a field of
// 0x0000, which means "no checksum" (see the package documentation).

// Update16 returns the checksum field after the 16-bit word old, covered by
// field, was replaced by new.
func Update16(field, old, new uint16) uint16 {
	return finish(uint64(^field) + uint64(^old) + uint64(new))
}

// Update32 returns the checksum field after the 32-bit value old (two
// 16-bit words, such as a TCP sequence number or an IPv4 address), covered
// by field, was replaced by new.
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
// or protocol must be applied with its own update.
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
