package checksum

import "net/netip"

// PseudoHeader returns the folded, not complemented, one's-complement sum of
// the pseudo-header that TCP and UDP checksums cover, for the given source
// and destination addresses, upper-layer protocol number and upper-layer
// length (the TCP or UDP header plus payload, in bytes).
//
// If both addresses are IPv4 it sums the IPv4 pseudo-header of RFC 768 and
// RFC 9293 section 3.1 (addresses, a zero byte, protocol, 16-bit length);
// otherwise the IPv6 pseudo-header of RFC 8200 section 8.1 (addresses as 16
// bytes, 32-bit length, three zero bytes, next header), with an IPv4 address
// taken in its IPv4-mapped form. An invalid (zero) Addr contributes zeros.
//
// The length is summed as a 32-bit value in both cases, which for IPv4
// lengths (at most 65535) equals summing it as a 16-bit field; negative
// lengths are taken modulo 1<<32.
//
// The TCP or UDP checksum field is ^Sum(segment, PseudoHeader(...)) with the
// field itself zeroed while summing.
func PseudoHeader(src, dst netip.Addr, proto uint8, length int) uint16 {
	// Gather into a uint64 with end-around carry handled by fold64: at
	// most 8+8 addends below 1<<32, far from overflowing 64 bits.
	l := uint32(length)
	s := uint64(proto) + uint64(l>>16) + uint64(l&0xffff)
	s += addrSum(src) + addrSum(dst)
	if src.Is4() != dst.Is4() {
		// Mixed families: the IPv4 one is ::ffff:a.b.c.d.
		s += 0xffff
	}
	return fold64(s)
}

// addrSum returns the unfolded sum of a's bytes as big-endian 16-bit words,
// as they appear in a packet header: 4 bytes for an IPv4 address, 16 for an
// IPv6 one (including an IPv4-mapped one), none for the zero Addr. The
// result is below 1<<20.
func addrSum(a netip.Addr) uint64 {
	if a.Is4() {
		b := a.As4()
		return (uint64(b[0])<<8 | uint64(b[1])) + (uint64(b[2])<<8 | uint64(b[3]))
	}
	if !a.IsValid() {
		return 0
	}
	b := a.As16()
	var s uint64
	for i := 0; i < 16; i += 2 {
		s += uint64(b[i])<<8 | uint64(b[i+1])
	}
	return s
}
