// Package boltstore is the embedded store.Store: one bbolt file
// (go.etcd.io/bbolt), crash-safe because every write is one bbolt
// transaction, fsynced before it returns, so a crash leaves either the
// whole batch or none of it. Nothing else needs to run.
//
// File layout (format 1), three buckets:
//
//	meta  "format"    "sdnfabric-store 1"
//	      "rev"       8-byte big-endian current revision
//	      "compacted" 8-byte big-endian revision the history starts after
//	kv    key  ->  uvarint CreateRevision, uvarint ModRevision, value bytes
//	log   8-byte big-endian revision  ->  the events of that revision, each
//	      type byte (1 put, 2 delete), uvarint key length, key,
//	      uvarint CreateRevision, uvarint value length, value
//
// The log keeps the last Options.HistoryLimit revisions so that Watch can
// start from a past revision; older ones are deleted in the transaction
// that passes the limit. Everything read from the file is bounds-checked:
// a damaged file gives an error wrapping store.ErrCorrupt, never a panic.
package boltstore
