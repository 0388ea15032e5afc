package header

import (
	"encoding/binary"
	"net/netip"
)

// IPv6 sizes and version.
const (
	IPv6Size    = 40 // fixed header
	IPv6Version = 6
)

// IPv6 is a view of an IPv6 packet: the fixed header, extension headers and
// payload.
type IPv6 []byte

// ParseIPv6 validates the fixed IPv6 header at the start of b and returns a
// view cut to 40 + Payload Length bytes, so bytes after the packet
// (Ethernet padding) are excluded.
//
// It checks the version and that Payload Length <= len(b) - 40. It does not
// walk the extension headers: Extensions and Transport do that, and return
// errors for a malformed chain. Jumbograms (RFC 2675: Payload Length 0 and
// a Jumbo Payload option) are not supported: Payload Length 0 is taken to
// mean an empty payload.
func ParseIPv6(b []byte) (IPv6, error) {
	if len(b) < IPv6Size {
		return nil, failRel("ipv6", "header", 0, ErrTruncated, len(b), "<", IPv6Size)
	}
	if v := b[0] >> 4; v != IPv6Version {
		return nil, failRel("ipv6", "version", 0, ErrBadValue, int(v), "!=", IPv6Version)
	}
	pl := int(binary.BigEndian.Uint16(b[4:]))
	if IPv6Size+pl > len(b) {
		return nil, failRel("ipv6", "payload length", 4, ErrTruncated, pl, ">", len(b)-IPv6Size)
	}
	return IPv6(b[:IPv6Size+pl]), nil
}

// ParseIPv6Partial is ParseIPv6 for a packet that may be cut short, such
// as the one quoted in an ICMPv6 error message (RFC 4443 section 2.4): the
// fixed header must be complete, but Payload Length may exceed what b
// holds, in which case the view is all of b. Extensions and Transport then
// report a header cut short as ErrTruncated.
func ParseIPv6Partial(b []byte) (IPv6, error) {
	if len(b) < IPv6Size {
		return nil, failRel("ipv6", "header", 0, ErrTruncated, len(b), "<", IPv6Size)
	}
	if v := b[0] >> 4; v != IPv6Version {
		return nil, failRel("ipv6", "version", 0, ErrBadValue, int(v), "!=", IPv6Version)
	}
	pl := int(binary.BigEndian.Uint16(b[4:]))
	return IPv6(b[:min(IPv6Size+pl, len(b))]), nil
}

// InitIPv6 lays out an IPv6 fixed header at the start of b: it zeroes it,
// writes the version and sets Payload Length to len(b) - 40. It fails if b
// is shorter than 40 bytes or the payload longer than 65535.
func InitIPv6(b []byte) (IPv6, error) {
	if len(b) < IPv6Size {
		return nil, failRel("ipv6", "header", 0, ErrTruncated, len(b), "<", IPv6Size)
	}
	if len(b)-IPv6Size > 0xffff {
		return nil, failRel("ipv6", "payload length", 4, ErrBadLength, len(b)-IPv6Size, ">", 0xffff)
	}
	clear(b[:IPv6Size])
	b[0] = IPv6Version << 4
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)-IPv6Size))
	return IPv6(b), nil
}

// Version returns the IP version field (6 for a parsed view).
func (h IPv6) Version() uint8 { return h[0] >> 4 }

// TrafficClass returns the Traffic Class byte (DSCP and ECN).
func (h IPv6) TrafficClass() uint8 { return uint8(binary.BigEndian.Uint16(h[0:]) >> 4) }

// FlowLabel returns the 20-bit flow label.
func (h IPv6) FlowLabel() uint32 { return binary.BigEndian.Uint32(h[0:]) & 0xfffff }

// PayloadLength returns the Payload Length field: the bytes after the
// fixed header, extension headers included.
func (h IPv6) PayloadLength() uint16 { return binary.BigEndian.Uint16(h[4:]) }

// NextHeader returns the Next Header field of the fixed header: the first
// extension header or the upper-layer protocol.
func (h IPv6) NextHeader() uint8 { return h[6] }

// HopLimit returns the Hop Limit.
func (h IPv6) HopLimit() uint8 { return h[7] }

// Source returns the source address.
func (h IPv6) Source() netip.Addr { return netip.AddrFrom16([16]byte(h[8:24])) }

// Destination returns the destination address.
func (h IPv6) Destination() netip.Addr { return netip.AddrFrom16([16]byte(h[24:40])) }

// HeaderLen returns the size of the fixed header, 40. Use Transport for the
// offset of the upper-layer header after any extension headers.
func (h IPv6) HeaderLen() int { return IPv6Size }

// Payload returns the bytes after the fixed header up to Payload Length
// (clamped to the view), extension headers included.
func (h IPv6) Payload() []byte {
	end := min(IPv6Size+int(h.PayloadLength()), len(h))
	return h[IPv6Size:end]
}

// SetTrafficClass sets the Traffic Class byte.
func (h IPv6) SetTrafficClass(tc uint8) {
	v := binary.BigEndian.Uint32(h[0:])&^(0xff<<20) | uint32(tc)<<20
	binary.BigEndian.PutUint32(h[0:], v)
}

// SetFlowLabel sets the flow label (the low 20 bits of fl).
func (h IPv6) SetFlowLabel(fl uint32) {
	v := binary.BigEndian.Uint32(h[0:])&^0xfffff | fl&0xfffff
	binary.BigEndian.PutUint32(h[0:], v)
}

// SetPayloadLength sets the Payload Length field.
func (h IPv6) SetPayloadLength(n uint16) { binary.BigEndian.PutUint16(h[4:], n) }

// SetNextHeader sets the Next Header field of the fixed header.
func (h IPv6) SetNextHeader(p uint8) { h[6] = p }

// SetHopLimit sets the Hop Limit.
func (h IPv6) SetHopLimit(hl uint8) { h[7] = hl }

// DecrementHopLimit lowers the Hop Limit by one, as a router does on
// forwarding, and returns the new value; a Hop Limit of 0 is left
// unchanged. IPv6 has no header checksum to update.
func (h IPv6) DecrementHopLimit() uint8 {
	if h[7] > 0 {
		h[7]--
	}
	return h[7]
}

// SetSource sets the source address; an IPv4 address is stored in its
// IPv4-mapped form. It panics if a is the zero Addr.
func (h IPv6) SetSource(a netip.Addr) { b := a.As16(); copy(h[8:24], b[:]) }

// SetDestination sets the destination address, like SetSource.
func (h IPv6) SetDestination(a netip.Addr) { b := a.As16(); copy(h[24:40], b[:]) }
