package header

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
)

// UDPSize is the size of the UDP header.
const UDPSize = 8

// UDP is a view of a UDP datagram: header and payload.
//
// Every accessor is safe on an unparsed view of at least 8 bytes (Payload
// clamps to the view), such as a UDP header quoted in an ICMP error
// message whose Length exceeds what was quoted.
type UDP []byte

// ParseUDP validates the UDP header at the start of b: at least 8 bytes
// and 8 <= Length <= len(b). It returns a view cut to Length, so bytes after
// the datagram are excluded. Length 0 (RFC 2675 jumbograms) is rejected. It
// does not verify the checksum (see ValidChecksum).
func ParseUDP(b []byte) (UDP, error) {
	if len(b) < UDPSize {
		return nil, failRel("udp", "header", 0, ErrTruncated, len(b), "<", UDPSize)
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	if n < UDPSize {
		return nil, failRel("udp", "length", 4, ErrBadLength, n, "<", UDPSize)
	}
	if n > len(b) {
		return nil, failRel("udp", "length", 4, ErrTruncated, n, ">", len(b))
	}
	return UDP(b[:n]), nil
}

// InitUDP lays out a UDP header at the start of b: it zeroes it and sets
// Length to len(b). It fails if b is shorter than 8 or longer than 65535
// bytes.
func InitUDP(b []byte) (UDP, error) {
	if len(b) < UDPSize {
		return nil, failRel("udp", "header", 0, ErrTruncated, len(b), "<", UDPSize)
	}
	if len(b) > 0xffff {
		return nil, failRel("udp", "length", 4, ErrBadLength, len(b), ">", 0xffff)
	}
	clear(b[:UDPSize])
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)))
	return UDP(b), nil
}

// SourcePort returns the source port.
func (u UDP) SourcePort() uint16 { return binary.BigEndian.Uint16(u[0:]) }

// DestinationPort returns the destination port.
func (u UDP) DestinationPort() uint16 { return binary.BigEndian.Uint16(u[2:]) }

// Length returns the Length field (header and payload).
func (u UDP) Length() uint16 { return binary.BigEndian.Uint16(u[4:]) }

// Checksum returns the checksum field; 0 means none was computed (IPv4
// only).
func (u UDP) Checksum() uint16 { return binary.BigEndian.Uint16(u[6:]) }

// HeaderLen returns UDPSize.
func (u UDP) HeaderLen() int { return UDPSize }

// Payload returns the bytes after the header up to Length (clamped to the
// view).
func (u UDP) Payload() []byte {
	end := max(min(int(u.Length()), len(u)), UDPSize)
	return u[UDPSize:end]
}

// SetSourcePort sets the source port.
func (u UDP) SetSourcePort(p uint16) { binary.BigEndian.PutUint16(u[0:], p) }

// SetDestinationPort sets the destination port.
func (u UDP) SetDestinationPort(p uint16) { binary.BigEndian.PutUint16(u[2:], p) }

// SetLength sets the Length field.
func (u UDP) SetLength(n uint16) { binary.BigEndian.PutUint16(u[4:], n) }

// SetChecksum sets the checksum field.
func (u UDP) SetChecksum(c uint16) { binary.BigEndian.PutUint16(u[6:], c) }

// ComputeChecksum returns the checksum the datagram (the whole view)
// should carry, given the pseudo-header sum
// checksum.PseudoHeader(src, dst, ProtocolUDP, len(u)). The checksum field
// is taken as zero. As RFC 768 requires, a computed 0 is returned as
// 0xffff, since 0 means "no checksum".
func (u UDP) ComputeChecksum(pseudo uint16) uint16 {
	s := checksum.Sum(u[:6], pseudo)
	s = checksum.Sum(u[8:], s)
	if c := ^s; c != 0 {
		return c
	}
	return 0xffff
}

// ValidChecksum reports whether the checksum field is correct for the
// datagram and the pseudo-header sum. A zero field (no checksum) is
// reported as not valid; callers that accept it for IPv4 check Checksum()
// == 0 first.
func (u UDP) ValidChecksum(pseudo uint16) bool {
	return u.Checksum() != 0 && checksum.Sum(u, pseudo) == 0xffff
}

// UpdateChecksumAddr updates the checksum incrementally (RFC 1624) for an
// address rewrite in the enclosing IP header. A zero field (no checksum) is
// left alone, and a result of 0 is stored as 0xffff.
func (u UDP) UpdateChecksumAddr(old, new netip.Addr) {
	if c := u.Checksum(); c != 0 {
		u.SetChecksum(nonZero(checksum.UpdateAddr(c, old, new)))
	}
}

// SetSourcePortUpdatingChecksum sets the source port and updates a
// non-zero checksum incrementally.
func (u UDP) SetSourcePortUpdatingChecksum(p uint16) {
	if c := u.Checksum(); c != 0 {
		u.SetChecksum(nonZero(checksum.Update16(c, u.SourcePort(), p)))
	}
	u.SetSourcePort(p)
}

// SetDestinationPortUpdatingChecksum sets the destination port and updates
// a non-zero checksum incrementally.
func (u UDP) SetDestinationPortUpdatingChecksum(p uint16) {
	if c := u.Checksum(); c != 0 {
		u.SetChecksum(nonZero(checksum.Update16(c, u.DestinationPort(), p)))
	}
	u.SetDestinationPort(p)
}

func nonZero(c uint16) uint16 {
	if c == 0 {
		return 0xffff
	}
	return c
}
