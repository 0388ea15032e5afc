package unattend

import (
	"errors"
	"fmt"
)

// Sentinel errors; *Error wraps one of them.
var (
	ErrSyntax    = errors.New("unattend: malformed XML")
	ErrNamespace = errors.New("unattend: wrong namespace")
	ErrValue     = errors.New("unattend: invalid value")
	ErrMissing   = errors.New("unattend: required element or attribute missing")
	ErrDuplicate = errors.New("unattend: duplicate")
	ErrTooLarge  = errors.New("unattend: input too large")
	ErrTooDeep   = errors.New("unattend: elements nested too deeply")
)

// Error says which element was wrong and where.
type Error struct {
	Element string // path, e.g. unattend/settings/component/FirstLogonCommands/SynchronousCommand/Order
	Line    int    // 1-based; 0 when unknown
	Column  int
	Err     error // a sentinel
	Detail  string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("unattend: line %d:%d: <%s>: %v", e.Line, e.Column, e.Element, e.Err)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
