package header

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error returned by this package is an *Error that
// wraps exactly one of them, so callers can test the kind of failure with
// errors.Is and the place with errors.As.
var (
	// ErrTruncated means the buffer ends before a header, option or
	// extension header that it announces.
	ErrTruncated = errors.New("truncated")
	// ErrBadLength means a length field is inconsistent: smaller than its
	// minimum, larger than the buffer, or not what its type requires.
	ErrBadLength = errors.New("bad length")
	// ErrBadValue means a field holds a value this package does not accept,
	// such as an IP version other than the header's or an unsupported ARP
	// hardware type.
	ErrBadValue = errors.New("bad value")
	// ErrTooManyExtensions means a chain (IPv6 extension headers, VLAN
	// tags) is longer than the documented bound this package walks.
	ErrTooManyExtensions = errors.New("too many extension headers")
)

// Error describes malformed input: which layer, which field, and where.
//
// Parsers return *Error, allocated only on the error path; the success path
// never allocates. Offset is the byte offset of the offending field from the
// start of the buffer the parser was given; iterators count from the start
// of the header they belong to (IPv4 options from the IPv4 header, IPv6
// extension headers and their options from the IPv6 header, NDP options
// from the ICMPv6 message), except TCPOptions.All, which counts from the
// start of the options area it was given.
type Error struct {
	Layer  string // "ethernet", "arp", "ipv4", "ipv6", "tcp", "udp", "icmpv4", "icmpv6"
	Field  string // the field or element at fault, e.g. "ihl", "option length"
	Offset int    // byte offset of the field
	Err    error  // one of ErrTruncated, ErrBadLength, ErrBadValue, ErrTooManyExtensions

	// When Rel is not empty, the error is explained as "Value Rel Bound",
	// for example 3 < 5 for an IPv4 IHL below its minimum.
	Value, Bound int
	Rel          string
}

// Error formats e as "header: ipv4 ihl at offset 0: bad value (3 < 5)".
func (e *Error) Error() string {
	b := make([]byte, 0, 64)
	b = append(b, "header: "...)
	b = append(b, e.Layer...)
	b = append(b, ' ')
	b = append(b, e.Field...)
	b = append(b, " at offset "...)
	b = strconv.AppendInt(b, int64(e.Offset), 10)
	b = append(b, ": "...)
	if e.Err != nil {
		b = append(b, e.Err.Error()...)
	}
	if e.Rel != "" {
		b = append(b, " ("...)
		b = strconv.AppendInt(b, int64(e.Value), 10)
		b = append(b, ' ')
		b = append(b, e.Rel...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(e.Bound), 10)
		b = append(b, ')')
	}
	return string(b)
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// fail builds an *Error without an explanation.
func fail(layer, field string, off int, err error) error {
	return &Error{Layer: layer, Field: field, Offset: off, Err: err}
}

// failRel builds an *Error explained as "value rel bound".
func failRel(layer, field string, off int, err error, value int, rel string, bound int) error {
	return &Error{Layer: layer, Field: field, Offset: off, Err: err, Value: value, Rel: rel, Bound: bound}
}

// checkHeaderLen checks a header length given to an Init function: from
// lo to hi and a multiple of 4.
func checkHeaderLen(layer, field string, off, n, lo, hi int) error {
	switch {
	case n < lo:
		return failRel(layer, field, off, ErrBadValue, n, "<", lo)
	case n > hi:
		return failRel(layer, field, off, ErrBadValue, n, ">", hi)
	case n%4 != 0:
		return failRel(layer, field, off, ErrBadValue, n, "not a multiple of", 4)
	}
	return nil
}
