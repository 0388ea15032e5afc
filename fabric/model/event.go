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

func (s *EventSpec) validate(c checker, _ string) {
	if s.Time.IsZero() {
		c.fail(ErrRequired, "spec.time", "is empty")
	}
	if s.Type != EventNormal && s.Type != EventWarning {
		c.fail(ErrInvalid, "spec.type", "%q is not Normal or Warning", s.Type)
	}
	checkRef(c, "spec.reason", s.Reason)
	if NewSpec(s.Object.Kind) == nil {
		c.fail(ErrInvalid, "spec.object.kind", "%q is not a kind", s.Object.Kind)
	}
	checkRef(c, "spec.object.name", s.Object.Name)
	if len(s.Message) > MaxEventMessage {
		c.fail(ErrRange, "spec.message", "%d bytes, more than %d", len(s.Message), MaxEventMessage)
	}
}
