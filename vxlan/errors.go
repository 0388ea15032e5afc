package vxlan

import (
	"errors"
	"fmt"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Sentinel errors. Malformed input is reported as an *Error wrapping one of
// ErrTruncated, ErrBadLength, ErrBadValue or ErrBadChecksum; the first three
// are the offload/header sentinels, so one errors.Is test covers the outer
// headers and the VXLAN header alike.
var (
	ErrTruncated   = header.ErrTruncated
	ErrBadLength   = header.ErrBadLength
	ErrBadValue    = header.ErrBadValue
	ErrBadChecksum = errors.New("bad checksum")

	// ErrFDBFull is returned by FDB.Learn and FDB.Add when a VNI already
	// holds its limit of entries.
	ErrFDBFull = errors.New("forwarding database full")
	// ErrUnknownVNI means a packet or call named a VNI the VTEP does not
	// serve.
	ErrUnknownVNI = errors.New("unknown VNI")
	// ErrNoRoute means a frame has neither an FDB entry nor a flood list.
	ErrNoRoute = errors.New("no remote VTEP")
)

// Error describes malformed input or an invalid argument: which layer,
// which field, and at which byte offset of the buffer the function was given.
// Decode returns shared *Error values (so that it inlines and never
// allocates); treat every *Error as read-only.
type Error struct {
	Layer  string // "vxlan", "vxlan-gpe", "ethernet", "ipv4", "ipv6", "udp", "inner ethernet", "fdb"
	Field  string // the field at fault, e.g. "flags", "vni", "destination port"
	Offset int    // byte offset of the field, -1 when not about a buffer
	Err    error  // one of the sentinel errors
}

func (e *Error) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("vxlan: %s %s: %v", e.Layer, e.Field, e.Err)
	}
	return fmt.Sprintf("vxlan: %s %s at offset %d: %v", e.Layer, e.Field, e.Offset, e.Err)
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// wrapHeader turns an offload/header parse error at byte base of the
// caller's buffer into an *Error with an offset from the buffer's start.
func wrapHeader(err error, base int) error {
	var he *header.Error
	if errors.As(err, &he) {
		return &Error{Layer: he.Layer, Field: he.Field, Offset: base + he.Offset, Err: he.Err}
	}
	return &Error{Layer: "packet", Field: "header", Offset: base, Err: err}
}
