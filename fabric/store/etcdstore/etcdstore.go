package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/internal/watchq"
)

// Options tune a Store; the zero value is usable.
type Options struct {
	// Namespace is prepended to every key: empty, or starting with '/'
	// and not ending with it (default "/sdnfabric").
	Namespace string
	// WatchBuffer is how many events a watcher may fall behind before its
	// watch ends with store.ErrCompacted (default 1024).
	WatchBuffer int
	// Logger receives watch and close messages (default slog.Default()).
	Logger *slog.Logger
}

// Store is a store.Store on etcd.
type Store struct {
	cli    *clientv3.Client
	own    bool // Close closes cli
	ns     string
	buffer int
	log    *slog.Logger

	mu       sync.Mutex
	closed   bool
	watchers map[*watchq.Queue]context.CancelFunc
}

var _ store.Store = (*Store)(nil)
var _ store.Compactor = (*Store)(nil)

// Open connects to the etcd cluster cfg names; Close closes the client.
func Open(cfg clientv3.Config, opt Options) (*Store, error) {
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, &store.Error{Op: "open", Key: strings.Join(cfg.Endpoints, ","), Err: err}
	}
	s, err := New(cli, opt)
	if err != nil {
		cli.Close()
		return nil, err
	}
	s.own = true
	return s, nil
}

// New returns a store on an existing client, which Close leaves open.
func New(cli *clientv3.Client, opt Options) (*Store, error) {
	if opt.Namespace == "" {
		opt.Namespace = "/sdnfabric"
	}
	if err := store.CheckKey(opt.Namespace); err != nil || strings.HasSuffix(opt.Namespace, "/") {
		return nil, &store.Error{Op: "open", Key: opt.Namespace,
			Err: fmt.Errorf("%w: namespace must start with '/' and not end with it", store.ErrInvalid)}
	}
	if opt.WatchBuffer <= 0 {
		opt.WatchBuffer = 1024
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Store{cli: cli, ns: opt.Namespace, buffer: opt.WatchBuffer, log: opt.Logger,
		watchers: make(map[*watchq.Queue]context.CancelFunc)}, nil
}

func (s *Store) begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return &store.Error{Op: op, Key: key, Err: err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return &store.Error{Op: op, Key: key, Err: store.ErrClosed}
	}
	return nil
}

// wrap turns a client error into an *store.Error.
func (s *Store) wrap(op, key string, err error) error {
	switch {
	case errors.Is(err, rpctypes.ErrCompacted):
		err = fmt.Errorf("%w: %w", store.ErrCompacted, err)
	case errors.Is(err, rpctypes.ErrRequestTooLarge), errors.Is(err, rpctypes.ErrTooManyOps):
		err = fmt.Errorf("%w: %w", store.ErrInvalid, err)
	default:
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			err = fmt.Errorf("%w: %w", store.ErrClosed, err)
		}
	}
	return &store.Error{Op: op, Key: key, Err: err}
}

// kv converts an etcd key-value, stripping the namespace.
func (s *Store) kv(k *mvccpb.KeyValue) store.KV {
	v := k.Value
	if v == nil {
		v = []byte{}
	}
	return store.KV{Key: strings.TrimPrefix(string(k.Key), s.ns), Value: v,
		CreateRevision: k.CreateRevision, ModRevision: k.ModRevision}
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.KV, error) {
	if err := store.CheckKey(key); err != nil {
		return store.KV{}, &store.Error{Op: "get", Key: key, Err: err}
	}
	if err := s.begin(ctx, "get", key); err != nil {
		return store.KV{}, err
	}
	resp, err := s.cli.Get(ctx, s.ns+key)
	if err != nil {
		return store.KV{}, s.wrap("get", key, err)
	}
	if len(resp.Kvs) == 0 {
		return store.KV{}, &store.Error{Op: "get", Key: key, Err: store.ErrNotFound}
	}
	return s.kv(resp.Kvs[0]), nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	p, err := store.CheckPrefix(prefix)
	if err != nil {
		return nil, 0, &store.Error{Op: "list", Key: prefix, Err: err}
	}
	if err := s.begin(ctx, "list", prefix); err != nil {
		return nil, 0, err
	}
	resp, err := s.cli.Get(ctx, s.ns+p, clientv3.WithPrefix())
	if err != nil {
		return nil, 0, s.wrap("list", prefix, err)
	}
	var out []store.KV
	for _, k := range resp.Kvs {
		out = append(out, s.kv(k))
	}
	return out, resp.Header.Revision, nil
}

// Revision implements store.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	if err := s.begin(ctx, "revision", ""); err != nil {
		return 0, err
	}
	resp, err := s.cli.Get(ctx, s.ns+"/", clientv3.WithCountOnly())
	if err != nil {
		return 0, s.wrap("revision", "", err)
	}
	return resp.Header.Revision, nil
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

// apply runs ops as one etcd transaction: If every condition holds, Then
// every write, Else read every key so the failed condition can be named.
func (s *Store) apply(ctx context.Context, op string, ops []store.Op) (int64, error) {
	if err := store.CheckOps(op, ops); err != nil {
		return 0, err
	}
	if err := s.begin(ctx, op, ""); err != nil {
		return 0, err
	}
	cmps := make([]clientv3.Cmp, 0, len(ops))
	thens := make([]clientv3.Op, len(ops))
	elses := make([]clientv3.Op, len(ops))
	for i, o := range ops {
		k := s.ns + o.Key
		switch {
		case o.Type == store.OpDelete && o.IfRevision == store.Any:
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), ">", 0))
		case o.IfRevision == store.MustNotExist:
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), "=", 0))
		case o.IfRevision > 0:
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", o.IfRevision))
		}
		if o.Type == store.OpPut {
			thens[i] = clientv3.OpPut(k, string(o.Value))
		} else {
			thens[i] = clientv3.OpDelete(k)
		}
		elses[i] = clientv3.OpGet(k, clientv3.WithKeysOnly())
	}
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(thens...).Else(elses...).Commit()
	if err != nil {
		return 0, s.wrap(op, "", err)
	}
	if resp.Succeeded {
		return resp.Header.Revision, nil
	}
	for i := range ops {
		var cur store.KV
		kvs := resp.Responses[i].GetResponseRange().GetKvs()
		if len(kvs) > 0 {
			cur = s.kv(kvs[0])
		}
		if err := ops[i].Precondition(op, cur, len(kvs) > 0); err != nil {
			return 0, err
		}
	}
	return 0, &store.Error{Op: op, Err: fmt.Errorf("%w: etcd refused the transaction at revision %d",
		store.ErrConflict, resp.Header.Revision)}
}

// Compact implements store.Compactor. It compacts the whole etcd cluster.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	if err := s.begin(ctx, "compact", ""); err != nil {
		return err
	}
	if _, err := s.cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		return s.wrap("compact", "", err)
	}
	return nil
}

// Watch implements store.Store.
func (s *Store) Watch(ctx context.Context, prefix string, afterRevision int64) (<-chan store.Event, error) {
	p, err := store.CheckWatch(prefix, afterRevision)
	if err != nil {
		return nil, err
	}
	if err := s.begin(ctx, "watch", prefix); err != nil {
		return nil, err
	}
	// A read at afterRevision tells a compacted start now rather than as
	// the watch's first event (a compaction racing with this call still
	// arrives that way), and its header gives the revision up to which
	// events are replayed history rather than live.
	opts := []clientv3.OpOption{clientv3.WithCountOnly()}
	if afterRevision > 0 {
		opts = append(opts, clientv3.WithRev(afterRevision))
	}
	var now int64
	resp, err := s.cli.Get(ctx, s.ns+p, opts...)
	switch {
	case err == nil:
		now = resp.Header.Revision
	case !errors.Is(err, rpctypes.ErrFutureRev):
		return nil, s.wrap("watch", prefix, err)
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	wch := s.cli.Watch(wctx, s.ns+p, clientv3.WithPrefix(), clientv3.WithRev(afterRevision+1))
	var q *watchq.Queue
	q = watchq.NewQueue(ctx, p, nil, s.buffer, func() {
		cancel()
		s.mu.Lock()
		delete(s.watchers, q)
		s.mu.Unlock()
	})
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return nil, &store.Error{Op: "watch", Key: prefix, Err: store.ErrClosed}
	}
	s.watchers[q] = cancel
	s.mu.Unlock()
	go s.forward(wctx, prefix, now, wch, q)
	return q.C(), nil
}

// forward moves etcd watch responses into the bounded queue q; it never
// blocks on the watcher, so the client's own buffer stays small. Events up
// to replayUntil are the history the watcher asked for and do not count
// against its buffer.
func (s *Store) forward(ctx context.Context, prefix string, replayUntil int64, wch clientv3.WatchChan, q *watchq.Queue) {
	for resp := range wch {
		if resp.CompactRevision != 0 {
			q.End(&store.Error{Op: "watch", Key: prefix, Revision: resp.CompactRevision, Err: store.ErrCompacted})
			return
		}
		if err := resp.Err(); err != nil {
			q.End(s.wrap("watch", prefix, err))
			return
		}
		for _, e := range resp.Events {
			ev := store.Event{Type: store.EventPut, KV: s.kv(e.Kv)}
			if e.Type == mvccpb.DELETE {
				ev = store.Event{Type: store.EventDelete, KV: store.KV{Key: ev.KV.Key, ModRevision: e.Kv.ModRevision}}
			}
			push := q.Push
			if ev.KV.ModRevision <= replayUntil {
				push = q.PushReplay
			}
			if !push(ev) {
				s.log.Warn("store watcher fell behind", "prefix", prefix)
				return
			}
		}
	}
	// The channel closed: the watcher's context ended, or the store
	// closed the watch.
	if ctx.Err() == nil {
		q.End(&store.Error{Op: "watch", Key: prefix, Err: store.ErrClosed})
	}
	q.End(nil)
}

// Close implements store.Store: running watches end with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for q, cancel := range s.watchers {
		q.End(&store.Error{Op: "watch", Key: q.Prefix(), Err: store.ErrClosed})
		cancel()
		delete(s.watchers, q)
	}
	s.mu.Unlock()
	if s.own {
		if err := s.cli.Close(); err != nil {
			return &store.Error{Op: "close", Err: err}
		}
	}
	return nil
}
