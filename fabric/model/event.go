package model

import "time"

// EventSpec is an entry of the event log: what changed and what failed,
// for people reading `fabric get events` and for the agents' reports.
type EventSpec struct {
	Time time.Time `json:"time"`
	Type EventType `json:"type"`
	// Reason is a short CamelCase cause: "Applied", "ValidationFailed",
	// "BGPEstablished", "ProbeDown".
	Reason string `json:"reason"`
	// Object is the resource the event is about.
	Object ObjectRef `json:"object"`
	// Source names the component that reported it ("controller",
	// "host/host1", "mux/mux1").
	Source  string `json:"source"`
	Message string `json:"message"`
}

// Kind returns KindEvent.
func (EventSpec) Kind() Kind { return KindEvent }

// EventType is Normal (something changed) or Warning (something failed).
type EventType string

// The event types.
const (
	EventNormal  EventType = "Normal"
	EventWarning EventType = "Warning"
)

// An ObjectRef names a resource.
type ObjectRef struct {
	Kind Kind   `json:"kind"`
	Name string `json:"name"`
}

// MaxEventMessage bounds an event's message, in bytes (ours).
const MaxEventMessage = 4096
