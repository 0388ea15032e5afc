package virtio

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error this package returns is an *Error wrapping
// one of them.
var (
	// ErrTruncated: fewer than NetHdrLen bytes.
	ErrTruncated = errors.New("virtio: header truncated")
	// ErrGSOType: gso_type is not one this package knows (after removing
	// GSOECN), or GSOECN is set without a GSO type.
	ErrGSOType = errors.New("virtio: unknown gso_type")
	// ErrGSOSize: gso_size is zero although gso_type asks for segmentation.
	ErrGSOSize = errors.New("virtio: zero gso_size with a gso_type")
	// ErrChecksumOffset: csum_start/csum_offset do not fit the packet, or
	// csum_offset cannot be a TCP or UDP checksum for a GSO packet.
	ErrChecksumOffset = errors.New("virtio: checksum offset out of range")
)

// Error reports which field of a virtio-net header was wrong.
type Error struct {
	// Field is the header field, as the specification names it:
	// "gso_type", "gso_size", "csum_start", "csum_offset", or "header" for
	// a truncated buffer.
	Field string
	// Offset is the byte offset of Field in the encoded header.
	Offset int
	// Value is the offending value (the buffer length for ErrTruncated).
	Value int
	// Err is one of the sentinel errors.
	Err error
}

func (e *Error) Error() string {
	return e.Err.Error() + ": " + e.Field + " at offset " + strconv.Itoa(e.Offset) +
		" is " + strconv.Itoa(e.Value)
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }
