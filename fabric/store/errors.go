package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a Store returns wraps one of them in an
// *Error, so errors.Is and errors.As both work.
var (
	ErrNotFound  = errors.New("key not found")
	ErrConflict  = errors.New("revision conflict")
	ErrCompacted = errors.New("revision compacted, re-list and watch again")
	ErrInvalid   = errors.New("invalid request")
	ErrClosed    = errors.New("store closed")
	ErrCorrupt   = errors.New("corrupt data")
	ErrNotEmpty  = errors.New("store not empty")
)

// Error is the typed error of every store operation.
type Error struct {
	Op  string // "get", "list", "put", "delete", "apply", "watch", "restore", ...
	Key string // the key (or prefix) concerned, if any
	// Revision is, for ErrConflict, the key's actual ModRevision (0: the key
	// does not exist); for ErrCompacted, the revision history starts after.
	Revision int64
	Err      error
}

func (e *Error) Error() string {
	s := "store: " + e.Op
	if e.Key != "" {
		s += " " + e.Key
	}
	s += ": " + e.Err.Error()
	switch {
	case errors.Is(e.Err, ErrConflict):
		s += fmt.Sprintf(" (actual revision %d)", e.Revision)
	case errors.Is(e.Err, ErrCompacted) && e.Revision > 0:
		s += fmt.Sprintf(" (history starts after revision %d)", e.Revision)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
