package mux

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error that Process returns for a packet is a
// *PacketError wrapping one of ErrTruncated, ErrMalformed, ErrUnsupported
// or ErrTooBig (Worker.ProcessInPlace may also return ErrHeadroom);
// Configure's errors wrap ErrConfig.
var (
	ErrTruncated   = errors.New("packet truncated")
	ErrMalformed   = errors.New("malformed header field")
	ErrUnsupported = errors.New("unsupported packet")
	ErrTooBig      = errors.New("encapsulated packet exceeds 65535 bytes")
	ErrConfig      = errors.New("invalid mux configuration")
	ErrClosed      = errors.New("mux closed")
	// ErrHeadroom: Worker.ProcessInPlace was given a packet with less
	// than Mux.Headroom bytes of its buffer before it.
	ErrHeadroom = errors.New("less headroom before the packet than the encapsulation needs")
)

// A PacketError says which header field of a packet Process could not
// accept. Offset is the field's byte offset within its layer (the IPv4
// header, the TCP header, the packet quoted inside an ICMP error, ...),
// not within the whole packet, so that the errors can be preallocated and
// a flood of bad packets costs no allocation.
type PacketError struct {
	Layer  string // "ipv4", "ipv6", "ipv6 extension", "tcp", "udp", "icmp", "icmp quoted ipv4", ...
	Field  string
	Offset int
	Err    error
}

func (e *PacketError) Error() string {
	return "mux: " + e.Layer + " " + e.Field + " (offset " + strconv.Itoa(e.Offset) + "): " + e.Err.Error()
}

func (e *PacketError) Unwrap() error { return e.Err }

// The packet errors, allocated once.
var (
	errEmpty         = &PacketError{Layer: "ip", Field: "version", Offset: 0, Err: ErrTruncated}
	errVersion       = &PacketError{Layer: "ip", Field: "version", Offset: 0, Err: ErrUnsupported}
	errV4Short       = &PacketError{Layer: "ipv4", Field: "header", Offset: 0, Err: ErrTruncated}
	errV4IHL         = &PacketError{Layer: "ipv4", Field: "IHL", Offset: 0, Err: ErrMalformed}
	errV4TotalLen    = &PacketError{Layer: "ipv4", Field: "total length", Offset: 2, Err: ErrMalformed}
	errV6Short       = &PacketError{Layer: "ipv6", Field: "header", Offset: 0, Err: ErrTruncated}
	errV6Ext         = &PacketError{Layer: "ipv6 extension", Field: "header length", Offset: 1, Err: ErrTruncated}
	errV6ExtCount    = &PacketError{Layer: "ipv6 extension", Field: "next header", Offset: 0, Err: ErrUnsupported}
	errV6Jumbo       = &PacketError{Layer: "ipv6", Field: "payload length (jumbogram)", Offset: 4, Err: ErrUnsupported}
	errL4Short       = &PacketError{Layer: "transport", Field: "ports", Offset: 0, Err: ErrTruncated}
	errTCPShort      = &PacketError{Layer: "tcp", Field: "data offset", Offset: 12, Err: ErrTruncated}
	errTCPOffset     = &PacketError{Layer: "tcp", Field: "data offset", Offset: 12, Err: ErrMalformed}
	errICMPShort     = &PacketError{Layer: "icmp", Field: "header", Offset: 0, Err: ErrTruncated}
	errQuotedShort   = &PacketError{Layer: "icmp quoted ip", Field: "header", Offset: 0, Err: ErrTruncated}
	errQuotedVersion = &PacketError{Layer: "icmp quoted ip", Field: "version", Offset: 0, Err: ErrMalformed}
	errQuotedIHL     = &PacketError{Layer: "icmp quoted ipv4", Field: "IHL", Offset: 0, Err: ErrMalformed}
	errQuotedL4      = &PacketError{Layer: "icmp quoted transport", Field: "ports", Offset: 0, Err: ErrTruncated}
	errQuotedFrag    = &PacketError{Layer: "icmp quoted ip", Field: "fragment offset", Offset: 6, Err: ErrUnsupported}
	errTooBig        = &PacketError{Layer: "outer", Field: "length", Offset: 2, Err: ErrTooBig}
)
