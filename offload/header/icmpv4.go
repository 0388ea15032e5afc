package header

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
)

// ICMPv4Size is the size of the ICMPv4 header: type, code, checksum and the
// 4-byte rest-of-header.
const ICMPv4Size = 8

// ICMPv4 message types (RFC 792).
const (
	ICMPv4EchoReply      = 0
	ICMPv4DestUnreach    = 3
	ICMPv4Redirect       = 5
	ICMPv4Echo           = 8
	ICMPv4TimeExceeded   = 11
	ICMPv4ParamProblem   = 12
	ICMPv4FragNeededCode = 4 // code of Destination Unreachable: fragmentation needed and DF set
)

// ICMPv4 is a view of an ICMPv4 message: header and body.
type ICMPv4 []byte

// ParseICMPv4 validates the ICMPv4 message at the start of b: at least the
// 8-byte header. The view is all of b (the IPv4 payload).
func ParseICMPv4(b []byte) (ICMPv4, error) {
	if len(b) < ICMPv4Size {
		return nil, failRel("icmpv4", "header", 0, ErrTruncated, len(b), "<", ICMPv4Size)
	}
	return ICMPv4(b), nil
}

// InitICMPv4 zeroes the header at the start of b and writes the type and
// code. The view is all of b.
func InitICMPv4(b []byte, typ, code uint8) (ICMPv4, error) {
	if len(b) < ICMPv4Size {
		return nil, failRel("icmpv4", "header", 0, ErrTruncated, len(b), "<", ICMPv4Size)
	}
	clear(b[:ICMPv4Size])
	b[0], b[1] = typ, code
	return ICMPv4(b), nil
}

// Type returns the message type.
func (m ICMPv4) Type() uint8 { return m[0] }

// Code returns the message code.
func (m ICMPv4) Code() uint8 { return m[1] }

// Checksum returns the checksum field.
func (m ICMPv4) Checksum() uint16 { return binary.BigEndian.Uint16(m[2:]) }

// Ident returns the identifier of an Echo or Echo Reply (bytes 4-5).
func (m ICMPv4) Ident() uint16 { return binary.BigEndian.Uint16(m[4:]) }

// Seq returns the sequence number of an Echo or Echo Reply (bytes 6-7).
func (m ICMPv4) Seq() uint16 { return binary.BigEndian.Uint16(m[6:]) }

// MTU returns the next-hop MTU of a Destination Unreachable /
// fragmentation-needed message (RFC 1191); 0 for other messages or from a
// router that predates RFC 1191.
func (m ICMPv4) MTU() uint16 {
	if m[0] != ICMPv4DestUnreach || m[1] != ICMPv4FragNeededCode {
		return 0
	}
	return binary.BigEndian.Uint16(m[6:])
}

// Pointer returns the octet pointer of a Parameter Problem message.
func (m ICMPv4) Pointer() uint8 { return m[4] }

// Gateway returns the gateway address of a Redirect message.
func (m ICMPv4) Gateway() netip.Addr { return netip.AddrFrom4([4]byte(m[4:8])) }

// Payload returns the body after the 8-byte header: the echo data, or for
// error messages the leading bytes of the datagram that caused the error.
func (m ICMPv4) Payload() []byte { return m[ICMPv4Size:] }

// SetType sets the message type.
func (m ICMPv4) SetType(t uint8) { m[0] = t }

// SetCode sets the message code.
func (m ICMPv4) SetCode(c uint8) { m[1] = c }

// SetChecksum sets the checksum field.
func (m ICMPv4) SetChecksum(c uint16) { binary.BigEndian.PutUint16(m[2:], c) }

// SetIdent sets the echo identifier.
func (m ICMPv4) SetIdent(id uint16) { binary.BigEndian.PutUint16(m[4:], id) }

// SetSeq sets the echo sequence number.
func (m ICMPv4) SetSeq(s uint16) { binary.BigEndian.PutUint16(m[6:], s) }

// SetMTU sets the next-hop MTU field (bytes 6-7; bytes 4-5 are unused in a
// fragmentation-needed message and are left alone).
func (m ICMPv4) SetMTU(mtu uint16) { binary.BigEndian.PutUint16(m[6:], mtu) }

// SetPointer sets the Parameter Problem pointer.
func (m ICMPv4) SetPointer(p uint8) { m[4] = p }

// SetGateway sets the Redirect gateway address; it panics if a is not
// IPv4.
func (m ICMPv4) SetGateway(a netip.Addr) { v := a.As4(); copy(m[4:8], v[:]) }

// ComputeChecksum returns the checksum the message (the whole view) should
// carry, the field taken as zero. ICMPv4 has no pseudo-header.
func (m ICMPv4) ComputeChecksum() uint16 {
	return ^checksum.Sum(m[4:], checksum.Sum(m[:2], 0))
}

// ValidChecksum reports whether the checksum field is correct.
func (m ICMPv4) ValidChecksum() bool { return checksum.Sum(m, 0) == 0xffff }
