package lpm

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrInvalidPrefix is wrapped by the *PrefixError returned for a prefix
// that is not valid (the zero netip.Prefix, or a length out of range).
var ErrInvalidPrefix = errors.New("invalid prefix")

// PrefixError says which prefix an operation refused and why.
type PrefixError struct {
	Prefix netip.Prefix
	Err    error
}

func (e *PrefixError) Error() string {
	return fmt.Sprintf("lpm: prefix %v: %v", e.Prefix, e.Err)
}

func (e *PrefixError) Unwrap() error { return e.Err }
