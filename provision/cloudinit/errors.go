package cloudinit

import (
	"errors"
	"fmt"
)

// Sentinel errors; *Error wraps one of them.
var (
	ErrHeader    = errors.New("cloudinit: first line is not #cloud-config")
	ErrSyntax    = errors.New("cloudinit: malformed YAML")
	ErrType      = errors.New("cloudinit: wrong type")
	ErrValue     = errors.New("cloudinit: invalid value")
	ErrMissing   = errors.New("cloudinit: required key missing")
	ErrDuplicate = errors.New("cloudinit: duplicate key")
	ErrTooLarge  = errors.New("cloudinit: input too large")
)

// Error says which key was wrong and where.
type Error struct {
	Key    string // path, e.g. users[1].sudo
	Line   int    // 1-based; 0 when unknown
	Column int
	Err    error
	Detail string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("cloudinit: line %d:%d: %s: %v", e.Line, e.Column, e.Key, e.Err)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
