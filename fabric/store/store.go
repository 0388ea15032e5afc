package store

import "context"

// Revision conditions for Put, Delete and Op.IfRevision. A positive value
// requires the key's current ModRevision to equal it.
const (
	// MustNotExist makes a Put create the key: it fails with ErrConflict if
	// the key exists.
	MustNotExist int64 = 0
	// Any makes a write unconditional.
	Any int64 = -1
)

// KV is one key with its value and revisions.
type KV struct {
	Key   string
	Value []byte
	// CreateRevision is the store revision that created the key (a delete
	// and re-create starts a new life with a new CreateRevision).
	CreateRevision int64
	// ModRevision is the store revision of the key's last write; it is the
	// value compare-and-put conditions name.
	ModRevision int64
}

// EventType says what happened to a key.
type EventType uint8

// Event types.
const (
	EventPut EventType = iota + 1
	EventDelete
)

func (t EventType) String() string {
	switch t {
	case EventPut:
		return "put"
	case EventDelete:
		return "delete"
	}
	return "unknown"
}

// Event is one change delivered by Watch. For EventPut, KV is the key after
// the write. For EventDelete, KV holds the Key and ModRevision (the revision
// of the delete) only. The revision of the event is KV.ModRevision; the
// events of one Apply share it and arrive in the order of the ops.
//
// When a watch ends abnormally its last event has Err set (and no KV):
// ErrCompacted (the watcher asked for history the store no longer keeps or
// fell behind by more than its buffer: re-list and watch again) or ErrClosed.
// A watch ended by its context closes the channel without such an event.
type Event struct {
	Type EventType
	KV   KV
	Err  error
}

// Store is the desired-state store of the fabric controller: a flat key
// space with a global revision counter, etcd-like. Every successful write
// (Put, Delete, Apply) commits one new revision, higher than every earlier
// one; the revisions of a store are strictly increasing but need not be
// contiguous.
//
// Values passed in are copied; values returned must not be modified.
// All methods are safe for concurrent use.
type Store interface {
	// Get returns the key, or an *Error wrapping ErrNotFound.
	Get(ctx context.Context, key string) (KV, error)
	// List returns every key starting with prefix ("" means all keys),
	// sorted by key, and the revision the snapshot was taken at: watching
	// from that revision misses nothing and repeats nothing.
	List(ctx context.Context, prefix string) ([]KV, int64, error)
	// Put writes key if ifRevision holds (MustNotExist, Any or the key's
	// current ModRevision) and returns the new revision. A failed
	// condition returns an *Error wrapping ErrConflict whose Revision is
	// the key's actual ModRevision (0 when the key does not exist).
	Put(ctx context.Context, key string, value []byte, ifRevision int64) (int64, error)
	// Delete removes key if ifRevision holds (Any or the key's current
	// ModRevision) and returns the new revision. Deleting a missing key
	// returns ErrNotFound.
	Delete(ctx context.Context, key string, ifRevision int64) (int64, error)
	// Apply commits ops all-or-nothing at one new revision. If any op's
	// condition fails nothing is written and the error names that op's key.
	// Apply with no ops writes nothing and returns the current revision.
	Apply(ctx context.Context, ops []Op) (int64, error)
	// Watch delivers, in revision order, every event on keys starting with
	// prefix whose revision is greater than afterRevision, then every later
	// one, until ctx is done. Each watcher has a bounded buffer: a watcher
	// that falls behind gets a final event wrapping ErrCompacted instead of
	// slowing writers. Asking for history the store has compacted returns
	// ErrCompacted (from Watch, or as the first event).
	Watch(ctx context.Context, prefix string, afterRevision int64) (<-chan Event, error)
	// Revision returns the store's current revision.
	Revision(ctx context.Context) (int64, error)
	// Close releases the store; later calls return ErrClosed and running
	// watches end with ErrClosed. Close is idempotent.
	Close() error
}

// Compactor is implemented by stores whose watch history can be discarded
// on demand. Compact drops the history up to and including rev: a Watch
// with afterRevision < rev then fails with ErrCompacted.
type Compactor interface {
	Compact(ctx context.Context, rev int64) error
}
