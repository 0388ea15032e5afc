package wire

import (
	"encoding/binary"
	"iter"
	"net/netip"
)

// NLRI is one prefix with its ADD-PATH path identifier (RFC 7911; zero when
// ADD-PATH is not in use for the family).
type NLRI struct {
	PathID uint32
	Prefix netip.Prefix
}

// checkPrefixes validates a run of prefixes of family fam (RFC 4271 section
// 4.3, RFC 4760 section 5, RFC 7911 section 3). It returns the byte offset in
// b of the first bad prefix, or -1.
//
// Each prefix's length octet says where the next one starts, so a plain
// walk waits for one load per prefix. Prefixes usually come in runs of one
// length (a load balancer's /32s, a block of /24s), so after each prefix
// the walk guesses that the following ones have the same length: where
// the next length octets must then be is known in advance, their loads
// overlap, and the guess is checked octet by octet. A wrong guess costs one
// comparison.
func checkPrefixes(b []byte, fam Family, addPath bool) int {
	maxBits := uint(fam.addrLen() * 8)
	h := 0 // path identifier octets before the length
	if addPath {
		h = 4
	}
	for i := 0; i < len(b); {
		if len(b)-i < h+1 {
			return i
		}
		bits := uint(b[i+h])
		if bits > maxBits {
			return i
		}
		s := h + 1 + int((bits+7)>>3)
		if s > len(b)-i {
			return i
		}
		i += s
		for s <= len(b)-i && uint(b[i+h]) == bits {
			i += s
		}
	}
	return -1
}

// short4 reads fewer than 4 bytes as the high bytes of an address.
//
//go:noinline
func short4(b []byte) (v uint32) {
	for i, x := range b {
		v |= uint32(x) << (24 - 8*i)
	}
	return v
}

// maskTail clears the bits past the prefix length in the last prefix octet:
// RFC 4271 says they are irrelevant, so the decoded prefix is canonical.
func maskTail(a []byte, bits, nb int) {
	if r := bits & 7; r != 0 {
		a[nb-1] &= 0xff << (8 - r)
	}
}

// prefixes yields the prefixes of b; it stops at the first malformed one
// (ParseUpdate has already rejected those). It yields nothing for a family
// this package does not decode.
func prefixes(b []byte, fam Family, addPath bool) iter.Seq[NLRI] {
	return func(yield func(NLRI) bool) {
		walkPrefixes(b, fam, addPath, func(_ Family, p NLRI) bool { return yield(p) })
	}
}

// walkPrefixes yields the prefixes of b with their family, like prefixes
// but without a closure between the loop and the caller's yield. It
// returns false if yield asked to stop.
func walkPrefixes(b []byte, fam Family, addPath bool, yield func(Family, NLRI) bool) bool {
	if !fam.Known() {
		return true
	}
	if fam.AFI == AFIIPv4 && !addPath {
		// The common case in a loop of its own. One load and a mask per
		// prefix (the bytes past the prefix belong to the next one),
		// written into the [4]byte netip.AddrFrom4 takes.
		for len(b) > 0 {
			bits := uint(b[0])
			nb := int(bits+7) >> 3
			if bits > 32 || 1+nb > len(b) {
				return true
			}
			var v uint32
			if len(b) >= 5 {
				v = binary.BigEndian.Uint32(b[1:])
			} else {
				v = short4(b[1:])
			}
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], v&^(^uint32(0)>>bits))
			b = b[1+nb:]
			if !yield(fam, NLRI{Prefix: netip.PrefixFrom(netip.AddrFrom4(a), int(bits))}) {
				return false
			}
		}
		return true
	}
	h := 0 // path identifier octets before the length (ADD-PATH)
	if addPath {
		h = 4
	}
	if fam.AFI == AFIIPv4 {
		for len(b) > h {
			id := binary.BigEndian.Uint32(b)
			bits := uint(b[h])
			nb := int(bits+7) >> 3
			if bits > 32 || h+1+nb > len(b) {
				return true
			}
			var v uint32
			if r := b[h+1:]; len(r) >= 4 {
				v = binary.BigEndian.Uint32(r)
			} else {
				v = short4(r)
			}
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], v&^(^uint32(0)>>bits))
			b = b[h+1+nb:]
			if !yield(fam, NLRI{PathID: id, Prefix: netip.PrefixFrom(netip.AddrFrom4(a), int(bits))}) {
				return false
			}
		}
		return true
	}
	// IPv6: two 8-byte loads masked to the prefix when 16 bytes are
	// there to load.
	for len(b) > h {
		var id uint32
		if addPath {
			id = binary.BigEndian.Uint32(b)
		}
		bits := uint(b[h])
		nb := int(bits+7) >> 3
		if bits > 128 || h+1+nb > len(b) {
			return true
		}
		var a [16]byte
		if r := b[h+1:]; len(r) >= 16 {
			hi, lo := binary.BigEndian.Uint64(r), binary.BigEndian.Uint64(r[8:])
			if bits <= 64 {
				hi &^= ^uint64(0) >> bits
				lo = 0
			} else {
				lo &^= ^uint64(0) >> (bits - 64)
			}
			binary.BigEndian.PutUint64(a[:8], hi)
			binary.BigEndian.PutUint64(a[8:], lo)
		} else {
			copy(a[:], r[:nb])
			maskTail(a[:], int(bits), nb)
		}
		b = b[h+1+nb:]
		if !yield(fam, NLRI{PathID: id, Prefix: netip.PrefixFrom(netip.AddrFrom16(a), int(bits))}) {
			return false
		}
	}
	return true
}

// Len is the encoded length of n, with a path identifier if addPath.
func (n NLRI) Len(addPath bool) int {
	l := 1 + (n.Prefix.Bits()+7)/8
	if addPath {
		l += 4
	}
	return l
}

// Append appends the wire form of n (RFC 4271 section 4.3; RFC 7911 when
// addPath). Host bits past the prefix length are cleared.
func (n NLRI) Append(dst []byte, addPath bool) []byte {
	if addPath {
		dst = binary.BigEndian.AppendUint32(dst, n.PathID)
	}
	bits := n.Prefix.Bits()
	if bits < 0 {
		bits = 0
	}
	nb := (bits + 7) / 8
	dst = append(dst, byte(bits))
	if nb == 0 {
		return dst
	}
	if addr := n.Prefix.Addr(); addr.Is4() {
		a := addr.As4()
		dst = append(dst, a[:min(nb, 4)]...)
	} else {
		a := addr.As16()
		dst = append(dst, a[:min(nb, 16)]...)
	}
	maskTail(dst[len(dst)-nb:], bits, nb)
	return dst
}
