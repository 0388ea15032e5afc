package setup

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	ErrExitStatus  = errors.New("setup: command failed")
	ErrPlanChanged = errors.New("setup: progress file belongs to a different command list")
	ErrBadPlan     = errors.New("setup: invalid command list")
	ErrBadState    = errors.New("setup: progress file unreadable")
	ErrRebootLoop  = errors.New("setup: too many reboots")
)

// CommandError reports a command that did not complete. It is not
// recorded as done, so the next Run starts with it.
type CommandError struct {
	ID       string
	ExitCode int   // -1 if the command did not exit (timeout, could not start)
	Err      error // ErrExitStatus, or the executor's error
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("setup: command %s: exit %d: %v", e.ID, e.ExitCode, e.Err)
}

func (e *CommandError) Unwrap() error { return e.Err }

// StateError reports a progress file that cannot be used.
type StateError struct {
	Path   string
	Offset int64 // byte offset of a JSON syntax error, or 0
	Err    error
	Detail string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("setup: progress file %s (offset %d): %v: %s", e.Path, e.Offset, e.Err, e.Detail)
}

func (e *StateError) Unwrap() error { return e.Err }
