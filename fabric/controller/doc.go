// Package controller is the fabric network controller: the only writer of
// the desired state. It serializes writes, lets the model allocate what a
// spec left open, validates each resource and the whole candidate state,
// and commits with one conditional store Apply, so the store never holds
// an invalid state; it records an event log (Event resources) of what
// changed and what failed; and it runs the controller process (Run):
// store, REST API (package api), /metrics and structured logs.
//
// Writes are fenced: every commit also compare-and-puts one fence key
// (FenceKey), so even several controllers sharing one etcd validate and
// write against the same state, retrying when another one committed
// first.
package controller
