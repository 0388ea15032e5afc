// Package store is the desired-state store of the fabric controller: one
// interface, Store, with an in-memory backend (memstore, for tests), an
// embedded single-file backend that needs nothing running (boltstore, on
// go.etcd.io/bbolt; the default) and an etcd v3 backend (etcdstore) for
// when one machine is not enough. All three pass one conformance suite
// (storetest).
//
// # Model
//
// The store is a flat, sorted key space with a global revision counter,
// the model of etcd v3: every successful write commits one new revision,
// higher than all earlier ones; each key records the revision that created
// it and the revision of its last write (KV.CreateRevision,
// KV.ModRevision). Writes are conditional on a key's ModRevision
// (compare-and-put): Put with MustNotExist creates, with a revision
// updates only what the writer last read, with Any overwrites. A failed
// condition is an *Error wrapping ErrConflict that names the key and its
// actual revision, and changes nothing. Apply commits a batch of Ops
// all-or-nothing at one revision. Watch streams the changes after a
// revision, so a List followed by a Watch from the List's revision sees
// every change exactly once.
//
// # Keys
//
// Keys start with '/', are UTF-8 without control characters and at most
// MaxKeyLen bytes; values are opaque bytes (the controller stores
// resources as JSON) of at most MaxValueSize. The controller's layout is
//
//	/v1/<kind>/<name>          for example /v1/virtualnetworks/blue
//
// with kinds in lower-case plural; the leading version segment lets a
// later layout live beside this one during an upgrade. The etcd backend
// puts all of this under a configurable namespace prefix.
//
// # Limits
//
// Every backend enforces the same limits (MaxKeyLen, MaxValueSize,
// MaxOps, MaxApplyBytes; chosen to fit etcd's default 1.5 MiB request and
// 128-operation transaction limits) and rejects a request beyond them
// with ErrInvalid before touching anything. A watcher has a bounded
// buffer: one that falls behind is ended with ErrCompacted, like a watcher
// whose history was compacted, and must re-list.
//
// # Backup
//
// Backup writes every key of a store to a versioned, checksummed text
// file; Restore verifies the whole file before it writes anything into an
// empty store. See Backup for the format.
package store
