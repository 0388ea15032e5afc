package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/internal/watchq"
)

// Options tune a Store; the zero value is usable.
type Options struct {
	// HistoryLimit is how many revisions Watch can go back (default 1000).
	HistoryLimit int
	// WatchBuffer is how many events a watcher may fall behind before its
	// watch ends with store.ErrCompacted (default 1024).
	WatchBuffer int
}

// Store is an in-memory store.Store.
type Store struct {
	mu        sync.Mutex
	data      map[string]store.KV
	rev       int64
	compacted int64 // history holds the revisions after this one
	history   []commit
	limit     int
	hub       *watchq.Hub
	closed    bool
}

type commit struct {
	rev    int64
	events []store.Event
}

var _ store.Store = (*Store)(nil)
var _ store.Compactor = (*Store)(nil)

// New returns an empty store.
func New(opt Options) *Store {
	if opt.HistoryLimit <= 0 {
		opt.HistoryLimit = 1000
	}
	if opt.WatchBuffer <= 0 {
		opt.WatchBuffer = 1024
	}
	return &Store{
		data:  make(map[string]store.KV),
		limit: opt.HistoryLimit,
		hub:   watchq.NewHub(opt.WatchBuffer),
	}
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

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	if err := store.CheckKey(key); err != nil {
		return store.KV{}, &store.Error{Op: "get", Key: key, Err: err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "get", key); err != nil {
		return store.KV{}, err
	}
	kv, ok := s.data[key]
	if !ok {
		return store.KV{}, &store.Error{Op: "get", Key: key, Err: store.ErrNotFound}
	}
	return kv, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	p, err := store.CheckPrefix(prefix)
	if err != nil {
		return nil, 0, &store.Error{Op: "list", Key: prefix, Err: err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "list", prefix); err != nil {
		return nil, 0, err
	}
	var out []store.KV
	for k, kv := range s.data {
		if strings.HasPrefix(k, p) {
			out = append(out, kv)
		}
	}
	slices.SortFunc(out, func(a, b store.KV) int { return cmp.Compare(a.Key, b.Key) })
	return out, s.rev, nil
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
	if len(ops) == 0 {
		return s.rev, nil
	}
	for i := range ops {
		cur, ok := s.data[ops[i].Key]
		if err := ops[i].Precondition(op, cur, ok); err != nil {
			return 0, err
		}
	}
	rev := s.rev + 1
	events := make([]store.Event, len(ops))
	for i := range ops {
		cur, ok := s.data[ops[i].Key]
		events[i] = ops[i].Event(rev, cur, ok)
		if events[i].Type == store.EventPut {
			s.data[ops[i].Key] = events[i].KV
		} else {
			delete(s.data, ops[i].Key)
		}
	}
	s.rev = rev
	s.history = append(s.history, commit{rev: rev, events: events})
	s.trim(rev - int64(s.limit))
	s.hub.Publish(events)
	return rev, nil
}

// trim drops the history up to and including rev.
func (s *Store) trim(rev int64) {
	if rev <= s.compacted {
		return
	}
	i, _ := slices.BinarySearchFunc(s.history, rev+1, func(c commit, r int64) int { return cmp.Compare(c.rev, r) })
	s.history = slices.Delete(s.history, 0, i)
	s.compacted = rev
}

// Compact implements store.Compactor.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "compact", ""); err != nil {
		return err
	}
	s.trim(min(rev, s.rev))
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
	if afterRevision < s.compacted {
		return nil, &store.Error{Op: "watch", Key: prefix, Revision: s.compacted, Err: store.ErrCompacted}
	}
	var replay []store.Event
	for _, c := range s.history {
		if c.rev > afterRevision {
			replay = append(replay, watchq.Match(c.events, p)...)
		}
	}
	return s.hub.Add(ctx, p, replay), nil
}

// Revision implements store.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx, "revision", ""); err != nil {
		return 0, err
	}
	return s.rev, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.hub.Close(&store.Error{Op: "watch", Err: store.ErrClosed})
	}
	return nil
}
