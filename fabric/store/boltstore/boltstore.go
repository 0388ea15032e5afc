package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/internal/watchq"
)

// Format is the value of the meta "format" key this package writes and
// accepts.
const Format = "sdnfabric-store 1"

var (
	bucketMeta = []byte("meta")
	bucketKV   = []byte("kv")
	bucketLog  = []byte("log")

	keyFormat    = []byte("format")
	keyRev       = []byte("rev")
	keyCompacted = []byte("compacted")
)

// Options tune a Store; the zero value is usable.
type Options struct {
	// HistoryLimit is how many revisions Watch can go back (default 1000).
	HistoryLimit int
	// WatchBuffer is how many events a watcher may fall behind before its
	// watch ends with store.ErrCompacted (default 1024).
	WatchBuffer int
	// LockTimeout is how long Open waits for another process holding the
	// file (default 1 s).
	LockTimeout time.Duration
	// Logger receives open and compaction messages (default
	// slog.Default()).
	Logger *slog.Logger
	// NoSync skips the fsync of each commit: much faster, and a power
	// loss may then lose or tear recent commits. For tests only.
	NoSync bool
}

// Store is a store.Store in one bbolt file.
type Store struct {
	db    *bolt.DB
	limit int
	hub   *watchq.Hub
	log   *slog.Logger

	// mu orders commits with watcher registration, so a watcher misses
	// no event and sees none twice. bbolt serialises writers anyway.
	mu     sync.Mutex
	closed bool
}

var _ store.Store = (*Store)(nil)
var _ store.Compactor = (*Store)(nil)

// Open opens or creates the store file at path.
func Open(path string, opt Options) (*Store, error) {
	if opt.HistoryLimit <= 0 {
		opt.HistoryLimit = 1000
	}
	if opt.WatchBuffer <= 0 {
		opt.WatchBuffer = 1024
	}
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opt.LockTimeout})
	if err != nil {
		return nil, &store.Error{Op: "open", Key: path, Err: err}
	}
	db.NoSync = opt.NoSync
	var rev int64
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if f := meta.Get(keyFormat); f == nil {
			if err := meta.Put(keyFormat, []byte(Format)); err != nil {
				return err
			}
		} else if string(f) != Format {
			return corrupt("meta", fmt.Errorf("format %q, want %q", f, Format))
		}
		for _, b := range [][]byte{bucketKV, bucketLog} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		rev, err = readBE64(meta.Get(keyRev), "revision")
		return err
	})
	if err != nil {
		db.Close()
		var se *store.Error
		if !errors.As(err, &se) {
			err = &store.Error{Op: "open", Key: path, Err: err}
		}
		return nil, err
	}
	opt.Logger.Debug("store opened", "path", path, "revision", rev)
	return &Store{db: db, limit: opt.HistoryLimit, hub: watchq.NewHub(opt.WatchBuffer), log: opt.Logger}, nil
}

func (s *Store) begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return &store.Error{Op: op, Key: key, Err: err}
	}
	if s.closed {
		return &store.Error{Op: op, Key: key, Err: store.ErrClosed}
	}
	return nil
}

// view runs fn in a read transaction, failing if the store is closed.
func (s *Store) view(ctx context.Context, op, key string, fn func(tx *bolt.Tx) error) error {
	s.mu.Lock()
	if err := s.begin(ctx, op, key); err != nil {
		s.mu.Unlock()
		return err
	}
	tx, err := s.db.Begin(false)
	s.mu.Unlock()
	if err != nil {
		return &store.Error{Op: op, Key: key, Err: err}
	}
	defer tx.Rollback()
	return fn(tx)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	if err := store.CheckKey(key); err != nil {
		return store.KV{}, &store.Error{Op: "get", Key: key, Err: err}
	}
	var kv store.KV
	err := s.view(ctx, "get", key, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV).Get([]byte(key))
		if b == nil {
			return &store.Error{Op: "get", Key: key, Err: store.ErrNotFound}
		}
		var err error
		kv, err = decodeKV(key, b)
		kv.Value = bytes.Clone(kv.Value)
		return err
	})
	return kv, err
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	p, err := store.CheckPrefix(prefix)
	if err != nil {
		return nil, 0, &store.Error{Op: "list", Key: prefix, Err: err}
	}
	var out []store.KV
	var rev int64
	err = s.view(ctx, "list", prefix, func(tx *bolt.Tx) error {
		var err error
		if rev, err = readBE64(tx.Bucket(bucketMeta).Get(keyRev), "revision"); err != nil {
			return err
		}
		c := tx.Bucket(bucketKV).Cursor()
		for k, v := c.Seek([]byte(p)); k != nil && bytes.HasPrefix(k, []byte(p)); k, v = c.Next() {
			kv, err := decodeKV(string(k), v)
			if err != nil {
				return err
			}
			kv.Value = bytes.Clone(kv.Value)
			out = append(out, kv)
		}
		return nil
	})
	return out, rev, err
}

// Revision implements store.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.view(ctx, "revision", "", func(tx *bolt.Tx) error {
		var err error
		rev, err = readBE64(tx.Bucket(bucketMeta).Get(keyRev), "revision")
		return err
	})
	return rev, err
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, key string, value []byte, ifRevision int64) (int64, error) {
	return s.apply(ctx, "put", []store.Op{store.PutOp(key, value, ifRevision)})
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key string, ifRevision int64) (int64, error) {
	return s.apply(ctx, "delete", []store.Op{store.DeleteOp(key, ifRevision)})
}

// Apply implements store.Store.
func (s *Store) Apply(ctx context.Context, ops []store.Op) (int64, error) {
	return s.apply(ctx, "apply", ops)
}

func (s *Store) apply(ctx context.Context, op string, ops []store.Op) (int64, error) {
	if err := store.CheckOps(op, ops); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, op, ""); err != nil {
		return 0, err
	}
	var rev int64
	var events []store.Event
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta, kvb, logb := tx.Bucket(bucketMeta), tx.Bucket(bucketKV), tx.Bucket(bucketLog)
		cur, err := readBE64(meta.Get(keyRev), "revision")
		if err != nil {
			return err
		}
		rev = cur
		if len(ops) == 0 {
			return nil
		}
		olds := make([]store.KV, len(ops))
		for i := range ops {
			b := kvb.Get([]byte(ops[i].Key))
			if b != nil {
				if olds[i], err = decodeKV(ops[i].Key, b); err != nil {
					return err
				}
			}
			if err := ops[i].Precondition(op, olds[i], b != nil); err != nil {
				return err
			}
		}
		rev = cur + 1
		events = make([]store.Event, len(ops))
		var entry []byte
		for i := range ops {
			events[i] = ops[i].Event(rev, olds[i], olds[i].CreateRevision != 0)
			key := []byte(ops[i].Key)
			if events[i].Type == store.EventPut {
				// bbolt keeps the slice until commit: one per put.
				err = kvb.Put(key, appendKV(nil, events[i].KV))
			} else {
				err = kvb.Delete(key)
			}
			if err != nil {
				return err
			}
			entry = appendEvent(entry, events[i])
		}
		if err := logb.Put(be64(rev), entry); err != nil {
			return err
		}
		if err := meta.Put(keyRev, be64(rev)); err != nil {
			return err
		}
		return s.trim(tx, rev-int64(s.limit))
	})
	if err != nil {
		var se *store.Error
		if !errors.As(err, &se) {
			err = &store.Error{Op: op, Err: err}
		}
		return 0, err
	}
	if events != nil {
		s.hub.Publish(events)
	}
	return rev, nil
}

// trim deletes the log up to and including rev.
func (s *Store) trim(tx *bolt.Tx, rev int64) error {
	meta := tx.Bucket(bucketMeta)
	compacted, err := readBE64(meta.Get(keyCompacted), "compacted revision")
	if err != nil || rev <= compacted {
		return err
	}
	c := tx.Bucket(bucketLog).Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, be64(rev)) <= 0; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return meta.Put(keyCompacted, be64(rev))
}

// Compact implements store.Compactor.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "compact", ""); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		cur, err := readBE64(tx.Bucket(bucketMeta).Get(keyRev), "revision")
		if err != nil {
			return err
		}
		return s.trim(tx, min(rev, cur))
	})
	if err != nil {
		return &store.Error{Op: "compact", Err: err}
	}
	s.log.Debug("store compacted", "revision", rev)
	return nil
}

// Watch implements store.Store.
func (s *Store) Watch(ctx context.Context, prefix string, afterRevision int64) (<-chan store.Event, error) {
	p, err := store.CheckWatch(prefix, afterRevision)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "watch", prefix); err != nil {
		return nil, err
	}
	var replay []store.Event
	err = s.db.View(func(tx *bolt.Tx) error {
		compacted, err := readBE64(tx.Bucket(bucketMeta).Get(keyCompacted), "compacted revision")
		if err != nil {
			return err
		}
		if afterRevision < compacted {
			return &store.Error{Op: "watch", Key: prefix, Revision: compacted, Err: store.ErrCompacted}
		}
		c := tx.Bucket(bucketLog).Cursor()
		for k, v := c.Seek(be64(afterRevision + 1)); k != nil; k, v = c.Next() {
			rev, err := readBE64(k, "log key")
			if err != nil {
				return err
			}
			err = decodeEvents(rev, v, func(ev store.Event) bool {
				if bytes.HasPrefix([]byte(ev.KV.Key), []byte(p)) {
					ev.KV.Value = bytes.Clone(ev.KV.Value)
					replay = append(replay, ev)
				}
				return true
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		var se *store.Error
		if !errors.As(err, &se) {
			err = &store.Error{Op: "watch", Key: prefix, Err: err}
		}
		return nil, err
	}
	return s.hub.Add(ctx, p, replay), nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.hub.Close(&store.Error{Op: "watch", Err: store.ErrClosed})
	if err := s.db.Close(); err != nil {
		return &store.Error{Op: "close", Err: err}
	}
	return nil
}
