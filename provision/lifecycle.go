package provision

import (
	"fmt"
	"time"
)

// State is an instance's place in its lifecycle.
type State uint8

const (
	Requested    State = iota + 1 // in the catalog, not yet cloned
	Cloning                       // disk being copied from the master image
	Specializing                  // mini-setup: specialize pass, RunSynchronous
	FirstLogon                    // oobeSystem: auto-logon, FirstLogonCommands start
	Busy                          // setup running; out of load-balancer rotation
	Ready                         // setup done; in rotation
	Failed                        // stopped with a reason
	Deleted                       // removed by scale-down or by hand
)

var stateNames = [...]string{
	Requested: "Requested", Cloning: "Cloning", Specializing: "Specializing",
	FirstLogon: "FirstLogon", Busy: "Busy", Ready: "Ready", Failed: "Failed", Deleted: "Deleted",
}

func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// transitions is the lifecycle table: transitions[from] is the set of legal
// next states. Every working state may fail or be deleted; Failed may only
// be deleted or retried from the start; Deleted is final. Ready may go back
// to Busy (maintenance, re-run of setup).
var transitions = [...][]State{
	Requested:    {Cloning, Failed, Deleted},
	Cloning:      {Specializing, Failed, Deleted},
	Specializing: {FirstLogon, Failed, Deleted},
	FirstLogon:   {Busy, Failed, Deleted},
	Busy:         {Ready, Failed, Deleted},
	Ready:        {Busy, Failed, Deleted},
	Failed:       {Requested, Deleted},
	Deleted:      nil,
}

// CanTransition reports whether the lifecycle table allows from -> to.
func CanTransition(from, to State) bool {
	if int(from) >= len(transitions) {
		return false
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition is one recorded lifecycle step.
type Transition struct {
	From, To State
	At       time.Time
	Reason   string // set for Failed, optional otherwise
}

// Clock gives the time recorded with each transition; tests and the
// simulator inject a virtual one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
