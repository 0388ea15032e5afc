package provision

import (
	"errors"
	"fmt"
)

// Sentinel errors; the typed errors below wrap them so errors.Is works.
var (
	ErrSpecializedImage  = errors.New("provision: specialized image cannot be cloned")
	ErrDataDisksAttached = errors.New("provision: data disks attached")
	ErrUnknownImageKind  = errors.New("provision: unknown image kind")
	ErrIllegalTransition = errors.New("provision: illegal lifecycle transition")
	ErrPoolExhausted     = errors.New("provision: identity pool exhausted")
	ErrDuplicate         = errors.New("provision: duplicate identity")
	ErrBadScheme         = errors.New("provision: bad naming scheme")
	ErrBadMAC            = errors.New("provision: bad MAC address")
	ErrBadSubnet         = errors.New("provision: bad subnet or reserved address")
)

// ImageError is returned when an image operation is refused.
type ImageError struct {
	Image  string
	Op     string // "capture" or "clone"
	Err    error  // one of the sentinels
	Detail string // why, for a human
}

func (e *ImageError) Error() string {
	return fmt.Sprintf("provision: %s image %q: %v: %s", e.Op, e.Image, e.Err, e.Detail)
}

func (e *ImageError) Unwrap() error { return e.Err }

// TransitionError is returned for a transition the lifecycle table forbids.
type TransitionError struct {
	Instance string
	From, To State
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("provision: instance %q: illegal transition %s -> %s", e.Instance, e.From, e.To)
}

func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }

// PoolError is returned when an identity pool cannot satisfy a request.
type PoolError struct {
	Pool  string // "hostname", "mac" or "ip"
	Value string // the offending value, if any
	Err   error
}

func (e *PoolError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("provision: %s pool: %v", e.Pool, e.Err)
	}
	return fmt.Sprintf("provision: %s pool: %v: %s", e.Pool, e.Err, e.Value)
}

func (e *PoolError) Unwrap() error { return e.Err }
