package provision

import (
	"net/netip"
	"time"
)

// Instance is one machine cloned from a catalog's master image.
type Instance struct {
	Name  string
	Index int // the number in the naming scheme
	MAC   MAC
	Addr  netip.Addr

	state   State
	reason  string
	history []Transition
}

// NewInstance returns an instance in state Requested, recorded at now.
func NewInstance(name string, index int, mac MAC, addr netip.Addr, now time.Time) *Instance {
	in := &Instance{Name: name, Index: index, MAC: mac, Addr: addr, state: Requested}
	in.history = append(in.history, Transition{To: Requested, At: now})
	return in
}

// State returns the current lifecycle state.
func (in *Instance) State() State { return in.state }

// Reason returns why the instance failed, or "".
func (in *Instance) Reason() string { return in.reason }

// History returns every recorded transition, oldest first. The slice is
// the instance's own; do not modify it.
func (in *Instance) History() []Transition { return in.history }

// To moves the instance to state to at time now, or returns a
// *TransitionError (wrapping ErrIllegalTransition) and keeps the state.
func (in *Instance) To(to State, now time.Time) error {
	return in.move(to, "", now)
}

// Fail moves the instance to Failed with reason.
func (in *Instance) Fail(reason string, now time.Time) error {
	if reason == "" {
		reason = "unspecified"
	}
	return in.move(Failed, reason, now)
}

func (in *Instance) move(to State, reason string, now time.Time) error {
	if !CanTransition(in.state, to) {
		return &TransitionError{Instance: in.Name, From: in.state, To: to}
	}
	in.history = append(in.history, Transition{From: in.state, To: to, At: now, Reason: reason})
	in.state = to
	if to == Failed {
		in.reason = reason
	} else if to != Deleted {
		in.reason = ""
	}
	return nil
}
