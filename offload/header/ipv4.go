package header

import (
	"encoding/binary"
	"iter"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
)

// IPv4 sizes and version.
const (
	IPv4MinSize     = 20
	IPv4MaxSize     = 60 // largest header: IHL 15
	IPv4MaxLength   = 65535
	IPv4Version     = 4
	ipv4FragOffMask = 0x1fff
	ipv4FlagDF      = 0x4000
	ipv4FlagMF      = 0x2000
)

// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"), as found
// in the IPv4 Protocol and IPv6 Next Header fields.
const (
	ProtocolHopByHop = 0
	ProtocolICMPv4   = 1
	ProtocolTCP      = 6
	ProtocolUDP      = 17
	ProtocolIPv6     = 41
	ProtocolRouting  = 43
	ProtocolFragment = 44
	ProtocolGRE      = 47
	ProtocolESP      = 50
	ProtocolAH       = 51
	ProtocolICMPv6   = 58
	ProtocolNoNext   = 59
	ProtocolDstOpts  = 60
)

// IPv4 is a view of an IPv4 datagram: header, options and payload.
type IPv4 []byte

// ParseIPv4 validates the IPv4 header at the start of b and returns a view
// of the datagram cut to its Total Length, so bytes after it (Ethernet
// padding) are excluded.
//
// It checks the version, IHL >= 5, that the header fits in b, Total Length
// >= the header length and <= len(b), and that the options are well formed
// (see Options). It does not verify the header checksum (see
// ValidChecksum). Total Length 0, which some stacks use for segmentation
// super-packets above 64 KiB, is rejected as ErrBadLength.
func ParseIPv4(b []byte) (IPv4, error) {
	tl, err := parseIPv4(b)
	if err != nil {
		return nil, err
	}
	if tl > len(b) {
		return nil, failRel("ipv4", "total length", 2, ErrTruncated, tl, ">", len(b))
	}
	return IPv4(b[:tl]), nil
}

// ParseIPv4Partial is ParseIPv4 for a datagram that may be cut short, such
// as the one quoted in an ICMP error message (RFC 792, RFC 1812 section
// 4.3.2.3). The header and its options must be complete and well formed
// and Total Length at least the header length, but Total Length may exceed
// len(b): the view is then all of b, shorter than TotalLength, and Payload
// returns what there is.
func ParseIPv4Partial(b []byte) (IPv4, error) {
	tl, err := parseIPv4(b)
	if err != nil {
		return nil, err
	}
	return IPv4(b[:min(tl, len(b))]), nil
}

// parseIPv4 checks everything but Total Length <= len(b), and returns
// Total Length.
func parseIPv4(b []byte) (int, error) {
	if len(b) < IPv4MinSize {
		return 0, failRel("ipv4", "header", 0, ErrTruncated, len(b), "<", IPv4MinSize)
	}
	if v := b[0] >> 4; v != IPv4Version {
		return 0, failRel("ipv4", "version", 0, ErrBadValue, int(v), "!=", IPv4Version)
	}
	ihl := int(b[0] & 0xf)
	if ihl < 5 {
		return 0, failRel("ipv4", "ihl", 0, ErrBadValue, ihl, "<", 5)
	}
	hl := ihl * 4
	if hl > len(b) {
		return 0, failRel("ipv4", "ihl", 0, ErrTruncated, hl, ">", len(b))
	}
	tl := int(binary.BigEndian.Uint16(b[2:]))
	if tl < hl {
		return 0, failRel("ipv4", "total length", 2, ErrBadLength, tl, "<", hl)
	}
	if hl > IPv4MinSize {
		for _, err := range IPv4(b[:hl]).Options() {
			if err != nil {
				return 0, err
			}
		}
	}
	return tl, nil
}

// InitIPv4 lays out an IPv4 header of hdrLen bytes (20 to 60, a multiple of
// 4) at the start of b: it zeroes the header (so options are all End of
// Option List), writes version and IHL, and sets Total Length to len(b).
// The caller sets the remaining fields and the checksum. It fails if hdrLen
// is invalid, b is shorter than hdrLen or longer than 65535 bytes.
func InitIPv4(b []byte, hdrLen int) (IPv4, error) {
	if err := checkHeaderLen("ipv4", "ihl", 0, hdrLen, IPv4MinSize, IPv4MaxSize); err != nil {
		return nil, err
	}
	if len(b) < hdrLen {
		return nil, failRel("ipv4", "header", 0, ErrTruncated, len(b), "<", hdrLen)
	}
	if len(b) > IPv4MaxLength {
		return nil, failRel("ipv4", "total length", 2, ErrBadLength, len(b), ">", IPv4MaxLength)
	}
	clear(b[:hdrLen])
	b[0] = IPv4Version<<4 | uint8(hdrLen/4)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return IPv4(b), nil
}

// Version returns the IP version field (4 for a parsed view).
func (h IPv4) Version() uint8 { return h[0] >> 4 }

// HeaderLen returns the header length in bytes (IHL * 4).
func (h IPv4) HeaderLen() int { return int(h[0]&0xf) * 4 }

// TOS returns the Type of Service byte (DSCP and ECN).
func (h IPv4) TOS() uint8 { return h[1] }

// DSCP returns the 6-bit Differentiated Services code point.
func (h IPv4) DSCP() uint8 { return h[1] >> 2 }

// ECN returns the 2-bit ECN field.
func (h IPv4) ECN() uint8 { return h[1] & 3 }

// TotalLength returns the Total Length field.
func (h IPv4) TotalLength() uint16 { return binary.BigEndian.Uint16(h[2:]) }

// ID returns the Identification field.
func (h IPv4) ID() uint16 { return binary.BigEndian.Uint16(h[4:]) }

// DontFragment reports whether the DF flag is set.
func (h IPv4) DontFragment() bool { return h[6]&(ipv4FlagDF>>8) != 0 }

// MoreFragments reports whether the MF flag is set.
func (h IPv4) MoreFragments() bool { return h[6]&(ipv4FlagMF>>8) != 0 }

// FragmentOffset returns the fragment offset in bytes (the field times 8).
func (h IPv4) FragmentOffset() int {
	return int(binary.BigEndian.Uint16(h[6:])&ipv4FragOffMask) * 8
}

// IsFragment reports whether the datagram is a fragment: MF set or a
// non-zero fragment offset.
func (h IPv4) IsFragment() bool {
	return binary.BigEndian.Uint16(h[6:])&(ipv4FlagMF|ipv4FragOffMask) != 0
}

// TTL returns the Time to Live.
func (h IPv4) TTL() uint8 { return h[8] }

// Protocol returns the protocol number of the payload.
func (h IPv4) Protocol() uint8 { return h[9] }

// Checksum returns the header checksum field.
func (h IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(h[10:]) }

// Source returns the source address.
func (h IPv4) Source() netip.Addr { return netip.AddrFrom4([4]byte(h[12:16])) }

// Destination returns the destination address.
func (h IPv4) Destination() netip.Addr { return netip.AddrFrom4([4]byte(h[16:20])) }

// OptionBytes returns the raw options: the header bytes after the first 20.
func (h IPv4) OptionBytes() []byte { return h[IPv4MinSize:h.clampedHeaderLen()] }

// Payload returns the bytes after the header up to Total Length (clamped to
// the view, for views whose length fields were changed after parsing).
func (h IPv4) Payload() []byte {
	hl := h.clampedHeaderLen()
	end := min(int(h.TotalLength()), len(h))
	if end < hl {
		end = hl
	}
	return h[hl:end]
}

func (h IPv4) clampedHeaderLen() int {
	return max(min(h.HeaderLen(), len(h)), IPv4MinSize)
}

// SetTOS sets the Type of Service byte.
func (h IPv4) SetTOS(tos uint8) { h[1] = tos }

// SetTotalLength sets the Total Length field.
func (h IPv4) SetTotalLength(n uint16) { binary.BigEndian.PutUint16(h[2:], n) }

// SetID sets the Identification field.
func (h IPv4) SetID(id uint16) { binary.BigEndian.PutUint16(h[4:], id) }

// SetDontFragment sets or clears the DF flag.
func (h IPv4) SetDontFragment(df bool) { setBit(&h[6], ipv4FlagDF>>8, df) }

// SetMoreFragments sets or clears the MF flag.
func (h IPv4) SetMoreFragments(mf bool) { setBit(&h[6], ipv4FlagMF>>8, mf) }

// SetFragmentOffset sets the fragment offset, given in bytes; the low three
// bits of off are dropped (offsets are in units of 8 bytes).
func (h IPv4) SetFragmentOffset(off int) {
	v := binary.BigEndian.Uint16(h[6:])&^ipv4FragOffMask | uint16(off/8)&ipv4FragOffMask
	binary.BigEndian.PutUint16(h[6:], v)
}

// SetTTL sets the Time to Live.
func (h IPv4) SetTTL(ttl uint8) { h[8] = ttl }

// SetProtocol sets the protocol number.
func (h IPv4) SetProtocol(p uint8) { h[9] = p }

// SetChecksum sets the header checksum field.
func (h IPv4) SetChecksum(c uint16) { binary.BigEndian.PutUint16(h[10:], c) }

// SetSource sets the source address. It panics if a is not an IPv4
// address (an IPv4-mapped IPv6 address is also refused).
func (h IPv4) SetSource(a netip.Addr) { b := a.As4(); copy(h[12:16], b[:]) }

// SetDestination sets the destination address. It panics if a is not an
// IPv4 address.
func (h IPv4) SetDestination(a netip.Addr) { b := a.As4(); copy(h[16:20], b[:]) }

// ComputeChecksum returns the header checksum the header should carry: the
// complemented sum over the header with the checksum field taken as zero.
func (h IPv4) ComputeChecksum() uint16 {
	hl := h.clampedHeaderLen()
	s := checksum.Sum(h[:10], 0)
	s = checksum.Sum(h[12:hl], s)
	return ^s
}

// ValidChecksum reports whether the header checksum is correct.
func (h IPv4) ValidChecksum() bool {
	return checksum.Sum(h[:h.clampedHeaderLen()], 0) == 0xffff
}

// DecrementTTL lowers the TTL by one, updating the header checksum
// incrementally (RFC 1624), as a router does on forwarding. It returns the
// new TTL; a TTL of 0 is left unchanged.
func (h IPv4) DecrementTTL() uint8 {
	ttl := h[8]
	if ttl == 0 {
		return 0
	}
	old := binary.BigEndian.Uint16(h[8:])
	h[8] = ttl - 1
	h.SetChecksum(checksum.Update16(h.Checksum(), old, binary.BigEndian.Uint16(h[8:])))
	return ttl - 1
}

// SetSourceUpdatingChecksum sets the source address and updates the header
// checksum incrementally (RFC 1624), as NAT does. The TCP or UDP checksum,
// which also covers the address through the pseudo-header, is the caller's
// to update (TCP.UpdateChecksumAddr, UDP.UpdateChecksumAddr).
func (h IPv4) SetSourceUpdatingChecksum(a netip.Addr) {
	old := h.Source()
	h.SetSource(a)
	h.SetChecksum(checksum.UpdateAddr(h.Checksum(), old, a))
}

// SetDestinationUpdatingChecksum sets the destination address and updates
// the header checksum incrementally, like SetSourceUpdatingChecksum.
func (h IPv4) SetDestinationUpdatingChecksum(a netip.Addr) {
	old := h.Destination()
	h.SetDestination(a)
	h.SetChecksum(checksum.UpdateAddr(h.Checksum(), old, a))
}

func setBit(b *byte, mask byte, on bool) {
	if on {
		*b |= mask
	} else {
		*b &^= mask
	}
}

// IPv4 option types (RFC 791 and the IANA registry): the whole type byte,
// including the copied flag and class.
const (
	IPv4OptionEOL               = 0
	IPv4OptionNOP               = 1
	IPv4OptionRecordRoute       = 7
	IPv4OptionTimestamp         = 68
	IPv4OptionLooseSourceRoute  = 131
	IPv4OptionStrictSourceRoute = 137
	IPv4OptionRouterAlert       = 148
)

// IPv4Option is one option of an IPv4 header.
type IPv4Option struct {
	Type   uint8
	Offset int    // offset of the type byte from the start of the header
	Data   []byte // the option's data after the type and length bytes; nil for EOL and NOP
}

// Copied reports whether the option is copied into every fragment.
func (o IPv4Option) Copied() bool { return o.Type&0x80 != 0 }

// Options iterates over the options of the header, in order: NOP and
// single-byte options are yielded, the End of Option List is yielded once
// and ends the walk. A TLV option whose length is below 2 or runs past the
// header yields a final (IPv4Option{}, err) with ErrBadLength or
// ErrTruncated and field "option length".
func (h IPv4) Options() iter.Seq2[IPv4Option, error] {
	return func(yield func(IPv4Option, error) bool) {
		hl := h.clampedHeaderLen()
		for off := IPv4MinSize; off < hl; {
			t := h[off]
			if t == IPv4OptionEOL || t == IPv4OptionNOP {
				if !yield(IPv4Option{Type: t, Offset: off}, nil) || t == IPv4OptionEOL {
					return
				}
				off++
				continue
			}
			if off+1 >= hl {
				yield(IPv4Option{}, fail("ipv4", "option length", off+1, ErrTruncated))
				return
			}
			n := int(h[off+1])
			if n < 2 {
				yield(IPv4Option{}, failRel("ipv4", "option length", off+1, ErrBadLength, n, "<", 2))
				return
			}
			if off+n > hl {
				yield(IPv4Option{}, failRel("ipv4", "option length", off+1, ErrTruncated, off+n, ">", hl))
				return
			}
			if !yield(IPv4Option{Type: t, Offset: off, Data: h[off+2 : off+n]}, nil) {
				return
			}
			off += n
		}
	}
}
