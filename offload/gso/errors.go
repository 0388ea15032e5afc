package gso

import (
	"errors"
	"strconv"
)

// Sentinel errors; every error Segment returns is an *Error wrapping one of
// them, so callers test the kind with errors.Is and the details with
// errors.As.
var (
	// ErrShortBuffer: the destination slices cannot hold every segment.
	ErrShortBuffer = errors.New("gso: destination too small")
	// ErrMetadata: the virtio-net header contradicts the packet or is
	// invalid (an unknown GSO type, a zero gso_size, csum_start or
	// csum_offset not pointing at the transport checksum).
	ErrMetadata = errors.New("gso: virtio-net header inconsistent with packet")
	// ErrMalformed: the packet's own headers are truncated or inconsistent.
	ErrMalformed = errors.New("gso: malformed packet")
	// ErrUnsupported: a valid packet this package does not segment (UFO,
	// IP fragments, jumbograms, IPv6 extension headers it cannot walk).
	ErrUnsupported = errors.New("gso: unsupported packet")
)

// Error describes why a packet could not be segmented.
type Error struct {
	// Field names the offending header field or metadata, for example
	// "gso_size", "ipv4 total length" or "dst[3]".
	Field string
	// Offset is the byte offset of Field in the packet, or -1 when the
	// field is virtio-net metadata or a destination buffer.
	Offset int
	// Err is one of the sentinel errors above.
	Err error
	// Cause, when not nil, is the error of the package that found the
	// problem (for example a *virtio.Error).
	Cause error
}

func (e *Error) Error() string {
	s := e.Err.Error() + ": " + e.Field
	if e.Offset >= 0 {
		s += " at offset " + strconv.Itoa(e.Offset)
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the sentinel error and the cause, if any.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

func metaErr(field string) error { return &Error{Field: field, Offset: -1, Err: ErrMetadata} }

func malformed(field string, off int) error {
	return &Error{Field: field, Offset: off, Err: ErrMalformed}
}

func unsupported(field string, off int) error {
	return &Error{Field: field, Offset: off, Err: ErrUnsupported}
}
