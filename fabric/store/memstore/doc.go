// Package memstore is the in-memory store.Store: the same semantics as the
// embedded bbolt store (global revisions, compare-and-put, all-or-nothing
// Apply, watch from a revision over a bounded history), with nothing on
// disk. It is meant for tests and for examples.
package memstore
