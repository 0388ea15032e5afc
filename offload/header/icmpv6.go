package header

import (
	"encoding/binary"
	"iter"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
)

// ICMPv6 sizes.
const (
	ICMPv6Size = 8 // type, code, checksum and the 4-byte message-specific field
	// NDPNSSize and NDPNASize are the fixed parts of a Neighbor
	// Solicitation and Advertisement (header and target address).
	NDPNSSize = 24
	NDPNASize = 24
)

// ICMPv6 message types (RFC 4443, RFC 4861).
const (
	ICMPv6DestUnreach          = 1
	ICMPv6PacketTooBig         = 2
	ICMPv6TimeExceeded         = 3
	ICMPv6ParamProblem         = 4
	ICMPv6EchoRequest          = 128
	ICMPv6EchoReply            = 129
	ICMPv6RouterSolicitation   = 133
	ICMPv6RouterAdvertisement  = 134
	ICMPv6NeighborSolicitation = 135
	ICMPv6NeighborAdvert       = 136
	ICMPv6Redirect             = 137
)

// Neighbor Advertisement flags (RFC 4861 section 4.4), in the first byte
// after the checksum.
const (
	NDPFlagRouter    = 0x80
	NDPFlagSolicited = 0x40
	NDPFlagOverride  = 0x20
)

// NDP option types (RFC 4861 section 4.6).
const (
	NDPOptionSourceLinkAddr = 1
	NDPOptionTargetLinkAddr = 2
	NDPOptionPrefixInfo     = 3
	NDPOptionRedirected     = 4
	NDPOptionMTU            = 5
)

// ICMPv6 is a view of an ICMPv6 message: header and body.
type ICMPv6 []byte

// icmpv6MinLen returns the smallest valid length of a message of type t:
// the fixed part RFC 4443 or RFC 4861 gives it.
func icmpv6MinLen(t uint8) int {
	switch t {
	case ICMPv6RouterAdvertisement:
		return 16
	case ICMPv6NeighborSolicitation, ICMPv6NeighborAdvert:
		return 24
	case ICMPv6Redirect:
		return 40
	}
	return ICMPv6Size
}

// ParseICMPv6 validates the ICMPv6 message at the start of b: at least 8
// bytes, and for Neighbor Discovery messages their fixed part (Router
// Advertisement 16, Neighbor Solicitation and Advertisement 24, Redirect
// 40). The view is all of b. NDP options are checked by NDPOptions.
func ParseICMPv6(b []byte) (ICMPv6, error) {
	if len(b) < ICMPv6Size {
		return nil, failRel("icmpv6", "header", 0, ErrTruncated, len(b), "<", ICMPv6Size)
	}
	if n := icmpv6MinLen(b[0]); len(b) < n {
		return nil, failRel("icmpv6", "message", 0, ErrTruncated, len(b), "<", n)
	}
	return ICMPv6(b), nil
}

// InitICMPv6 zeroes the fixed part of a message of the given type at the
// start of b and writes the type and code. The view is all of b.
func InitICMPv6(b []byte, typ, code uint8) (ICMPv6, error) {
	n := icmpv6MinLen(typ)
	if len(b) < n {
		return nil, failRel("icmpv6", "message", 0, ErrTruncated, len(b), "<", n)
	}
	clear(b[:n])
	b[0], b[1] = typ, code
	return ICMPv6(b), nil
}

// Type returns the message type.
func (m ICMPv6) Type() uint8 { return m[0] }

// Code returns the message code.
func (m ICMPv6) Code() uint8 { return m[1] }

// Checksum returns the checksum field.
func (m ICMPv6) Checksum() uint16 { return binary.BigEndian.Uint16(m[2:]) }

// Ident returns the identifier of an Echo Request or Reply.
func (m ICMPv6) Ident() uint16 { return binary.BigEndian.Uint16(m[4:]) }

// Seq returns the sequence number of an Echo Request or Reply.
func (m ICMPv6) Seq() uint16 { return binary.BigEndian.Uint16(m[6:]) }

// MTU returns the MTU of a Packet Too Big message, 0 for other messages.
func (m ICMPv6) MTU() uint32 {
	if m[0] != ICMPv6PacketTooBig {
		return 0
	}
	return binary.BigEndian.Uint32(m[4:])
}

// Pointer returns the pointer of a Parameter Problem message.
func (m ICMPv6) Pointer() uint32 { return binary.BigEndian.Uint32(m[4:]) }

// NDPFlags returns the Router, Solicited and Override flags of a Neighbor
// Advertisement (the byte after the checksum).
func (m ICMPv6) NDPFlags() uint8 { return m[4] }

// Target returns the target address of a Neighbor Solicitation, Neighbor
// Advertisement or Redirect, or the zero Addr for other messages (or too
// short ones).
func (m ICMPv6) Target() netip.Addr {
	switch m[0] {
	case ICMPv6NeighborSolicitation, ICMPv6NeighborAdvert, ICMPv6Redirect:
		if len(m) >= 24 {
			return netip.AddrFrom16([16]byte(m[8:24]))
		}
	}
	return netip.Addr{}
}

// RedirectDestination returns the Destination Address of a Redirect
// message, or the zero Addr for other messages.
func (m ICMPv6) RedirectDestination() netip.Addr {
	if m[0] != ICMPv6Redirect || len(m) < 40 {
		return netip.Addr{}
	}
	return netip.AddrFrom16([16]byte(m[24:40]))
}

// RouterAdvertisement returns the fixed fields of a Router Advertisement
// (RFC 4861 section 4.2): the current hop limit, the flags byte (M 0x80, O
// 0x40), the router lifetime in seconds, and the reachable time and
// retransmission timer in milliseconds. ok is false for other messages.
func (m ICMPv6) RouterAdvertisement() (hopLimit, flags uint8, lifetime uint16, reachable, retrans uint32, ok bool) {
	if m[0] != ICMPv6RouterAdvertisement || len(m) < 16 {
		return 0, 0, 0, 0, 0, false
	}
	return m[4], m[5], binary.BigEndian.Uint16(m[6:]), binary.BigEndian.Uint32(m[8:]), binary.BigEndian.Uint32(m[12:]), true
}

// Payload returns the body after the 8-byte header.
func (m ICMPv6) Payload() []byte { return m[ICMPv6Size:] }

// SetType sets the message type.
func (m ICMPv6) SetType(t uint8) { m[0] = t }

// SetCode sets the message code.
func (m ICMPv6) SetCode(c uint8) { m[1] = c }

// SetChecksum sets the checksum field.
func (m ICMPv6) SetChecksum(c uint16) { binary.BigEndian.PutUint16(m[2:], c) }

// SetIdent sets the echo identifier.
func (m ICMPv6) SetIdent(id uint16) { binary.BigEndian.PutUint16(m[4:], id) }

// SetSeq sets the echo sequence number.
func (m ICMPv6) SetSeq(s uint16) { binary.BigEndian.PutUint16(m[6:], s) }

// SetMTU sets the 32-bit field after the checksum (the Packet Too Big MTU).
func (m ICMPv6) SetMTU(mtu uint32) { binary.BigEndian.PutUint32(m[4:], mtu) }

// SetPointer sets the Parameter Problem pointer.
func (m ICMPv6) SetPointer(p uint32) { binary.BigEndian.PutUint32(m[4:], p) }

// SetNDPFlags sets the Neighbor Advertisement flags byte.
func (m ICMPv6) SetNDPFlags(f uint8) { m[4] = f }

// SetTarget sets the target address (bytes 8-24) of a Neighbor
// Solicitation, Advertisement or Redirect. It panics if the view is shorter
// than 24 bytes or a is the zero Addr.
func (m ICMPv6) SetTarget(a netip.Addr) { v := a.As16(); copy(m[8:24], v[:]) }

// ComputeChecksum returns the checksum the message (the whole view) should
// carry, given the pseudo-header sum
// checksum.PseudoHeader(src, dst, ProtocolICMPv6, len(m)); the field is
// taken as zero.
func (m ICMPv6) ComputeChecksum(pseudo uint16) uint16 {
	return ^checksum.Sum(m[4:], checksum.Sum(m[:2], pseudo))
}

// ValidChecksum reports whether the checksum field is correct for the
// message and the pseudo-header sum.
func (m ICMPv6) ValidChecksum(pseudo uint16) bool { return checksum.Sum(m, pseudo) == 0xffff }

// NDPOption is one Neighbor Discovery option (RFC 4861 section 4.6).
type NDPOption struct {
	Type   uint8
	Offset int    // offset of the type byte from the start of the ICMPv6 message
	Data   []byte // the option after its type and length bytes
}

// LinkAddr returns the Ethernet address carried by a Source or Target
// Link-Layer Address option of length 1 (8 bytes).
func (o NDPOption) LinkAddr() (MAC, bool) {
	if (o.Type != NDPOptionSourceLinkAddr && o.Type != NDPOptionTargetLinkAddr) || len(o.Data) != 6 {
		return MAC{}, false
	}
	return MAC(o.Data), true
}

// NDPOptions iterates over the options of a Router Solicitation, Router
// Advertisement, Neighbor Solicitation, Neighbor Advertisement or Redirect
// (it yields nothing for other types). An option with length 0 (forbidden
// by RFC 4861: the message must be discarded) or running past the message
// yields a final (NDPOption{}, err) with field "ndp option length".
func (m ICMPv6) NDPOptions() iter.Seq2[NDPOption, error] {
	return func(yield func(NDPOption, error) bool) {
		var off int
		switch m[0] {
		case ICMPv6RouterSolicitation:
			off = 8
		case ICMPv6RouterAdvertisement:
			off = 16
		case ICMPv6NeighborSolicitation, ICMPv6NeighborAdvert:
			off = 24
		case ICMPv6Redirect:
			off = 40
		default:
			return
		}
		for off < len(m) {
			if off+2 > len(m) {
				yield(NDPOption{}, fail("icmpv6", "ndp option length", off+1, ErrTruncated))
				return
			}
			n := int(m[off+1]) * 8
			if n == 0 {
				yield(NDPOption{}, failRel("icmpv6", "ndp option length", off+1, ErrBadLength, 0, "==", 0))
				return
			}
			if off+n > len(m) {
				yield(NDPOption{}, failRel("icmpv6", "ndp option length", off+1, ErrTruncated, off+n, ">", len(m)))
				return
			}
			if !yield(NDPOption{Type: m[off], Offset: off, Data: m[off+2 : off+n]}, nil) {
				return
			}
			off += n
		}
	}
}

// AppendLinkAddrOption appends a Source (typ NDPOptionSourceLinkAddr) or
// Target (NDPOptionTargetLinkAddr) Link-Layer Address option for an
// Ethernet address to b.
func AppendLinkAddrOption(b []byte, typ uint8, mac MAC) []byte {
	b = append(b, typ, 1)
	return append(b, mac[:]...)
}
