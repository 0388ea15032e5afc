package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/metrics"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// FenceKey is the store key every commit compare-and-puts, so that a
// commit fails if any other commit happened since its snapshot.
const FenceKey = "/sdnfabric/fence"

// snapshotPrefix covers FenceKey and every resource, so one List reads
// both consistently.
const snapshotPrefix = "/sdnfabric/"

// maxCommitAttempts bounds retries of a commit that lost the fence to
// another writer.
const maxCommitAttempts = 8

// MaxBatch is the most objects one Apply takes: one store Apply of
// store.MaxOps ops holds them, the fence, and the event log's writes.
const MaxBatch = store.MaxOps - 8

// Config configures a Controller.
type Config struct {
	Store store.Store
	Rules Rules
	// Source names this controller in events (default "controller").
	Source string
	// EventLimit is how many Event resources the log keeps (default
	// 1000); older ones are deleted as new ones are written.
	EventLimit int
	Logger     *slog.Logger
	// Metrics, if set, receives store-op and resource metrics.
	Metrics *metrics.Registry
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Controller is the write path of the desired state and the api.Backend
// of the REST API.
type Controller struct {
	st         store.Store
	rules      Rules
	source     string
	eventLimit int
	log        *slog.Logger
	now        func() time.Time

	// mu serializes commits within this process (the fence serializes
	// them across processes); it guards cache and seq.
	mu    sync.Mutex
	cache map[string]cached
	seq   uint64

	storeOps *metrics.CounterVec
	commits  *metrics.CounterVec
	kinds    map[model.Kind]int // resources per kind; guarded by mu
	plurals  map[string]model.Kind
}

var _ api.Backend = (*Controller)(nil)

// cached is a decoded resource at one ModRevision.
type cached struct {
	mod, create int64
	obj         model.Object
}

// New returns a Controller over cfg.Store.
func New(cfg Config) (*Controller, error) {
	if cfg.Store == nil {
		return nil, errors.New("controller: Config.Store is nil")
	}
	if cfg.Source == "" {
		cfg.Source = "controller"
	}
	if cfg.EventLimit <= 0 {
		cfg.EventLimit = 1000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Controller{st: cfg.Store, rules: cfg.Rules.withDefaults(), source: cfg.Source,
		eventLimit: cfg.EventLimit, log: cfg.Logger, now: cfg.Now,
		cache: make(map[string]cached), kinds: make(map[model.Kind]int), plurals: make(map[string]model.Kind)}
	for _, k := range model.Kinds() {
		c.plurals[k.Plural()] = k
	}
	if r := cfg.Metrics; r != nil {
		c.storeOps = r.NewCounter("fabric_store_ops_total", "Store operations by op and result.", "op", "result")
		c.commits = r.NewCounter("fabric_controller_commits_total",
			"Controller writes by verb and result (ok, invalid, conflict, error).", "verb", "result")
		r.NewGaugeFunc("fabric_resources", "Resources per kind, as of the controller's last write.", c.resourceSamples, "kind")
	}
	return c, nil
}

func (c *Controller) resourceSamples() []metrics.Sample {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]metrics.Sample, 0, len(model.Kinds()))
	for _, k := range model.Kinds() {
		out = append(out, metrics.Sample{Values: []string{string(k)}, Value: float64(c.kinds[k])})
	}
	return out
}

// countResources updates the resources per kind after ops committed:
// creates are the puts conditioned on MustNotExist. The caller holds
// c.mu.
func (c *Controller) countResources(ops []store.Op) {
	for _, op := range ops {
		kind, _, ok := c.keyOf(op.Key)
		if !ok {
			continue
		}
		switch {
		case op.Type == store.OpDelete:
			c.kinds[kind]--
		case op.IfRevision == store.MustNotExist:
			c.kinds[kind]++
		}
	}
}

// countOp records one store operation's outcome.
func (c *Controller) countOp(op string, err error) {
	if c.storeOps == nil {
		return
	}
	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
		result = "not_found"
	case errors.Is(err, store.ErrConflict):
		result = "conflict"
	default:
		result = "error"
	}
	c.storeOps.With(op, result).Inc()
}

// checkName refuses names that cannot be a store key segment. The model
// validates names further.
func checkName(kind model.Kind, name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 253 ||
		strings.ContainsFunc(name, func(r rune) bool { return r == '/' || r < 0x20 || r == 0x7f }) {
		return &api.Error{Err: api.ErrBadRequest, Kind: kind, Name: name,
			Fields: []api.FieldError{{Field: "metadata.name", Detail: "must be 1 to 253 characters without '/' or control characters"}}}
	}
	return nil
}

// storeErr maps a store error to the API's vocabulary.
func storeErr(err error, kind model.Kind, name string) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return err
	}
	e := &api.Error{Kind: kind, Name: name, Detail: err.Error()}
	var se *store.Error
	switch {
	case errors.Is(err, store.ErrNotFound):
		e.Err, e.Detail = api.ErrNotFound, ""
	case errors.Is(err, store.ErrConflict):
		e.Err = api.ErrConflict
		if errors.As(err, &se) && se.Revision > 0 {
			e.ResourceVersion = strconv.FormatInt(se.Revision, 10)
		}
	case errors.Is(err, store.ErrCompacted):
		e.Err = api.ErrGone
		e.Detail = "the watch history no longer holds that revision (or the watcher fell behind): list and watch again"
	case errors.Is(err, store.ErrInvalid):
		e.Err = api.ErrBadRequest
	case errors.Is(err, store.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Err = api.ErrUnavailable
	default:
		return fmt.Errorf("store: %w", err)
	}
	return e
}

// decode turns a stored resource into an Object carrying its version.
func decode(kv store.KV) (model.Object, error) {
	var o model.Object
	if err := json.Unmarshal(kv.Value, &o); err != nil {
		return model.Object{}, fmt.Errorf("%w: %s: %v", store.ErrCorrupt, kv.Key, err)
	}
	o.Metadata.ResourceVersion = strconv.FormatInt(kv.ModRevision, 10)
	return o, nil
}

// encode is the stored form of o: without resourceVersion, which the
// store's ModRevision gives.
func encode(o model.Object) ([]byte, error) {
	o.Metadata.ResourceVersion = ""
	return json.Marshal(o)
}

// Get returns one resource.
func (c *Controller) Get(ctx context.Context, kind model.Kind, name string) (model.Object, error) {
	if err := checkName(kind, name); err != nil {
		return model.Object{}, err
	}
	kv, err := c.st.Get(ctx, model.Key(kind, name))
	c.countOp("get", err)
	if err != nil {
		return model.Object{}, storeErr(err, kind, name)
	}
	return decode(kv)
}

// prefixOf is the store prefix of kind; "" is the whole state.
func prefixOf(kind model.Kind) string {
	if kind == "" {
		return model.KeyPrefix
	}
	return model.KindPrefix(kind)
}

// keyOf splits a resource key into its kind and name.
func (c *Controller) keyOf(key string) (model.Kind, string, bool) {
	plural, name, ok := strings.Cut(strings.TrimPrefix(key, model.KeyPrefix), "/")
	kind, known := c.plurals[plural]
	return kind, name, ok && known && strings.HasPrefix(key, model.KeyPrefix)
}

// isEventKey reports whether key is an Event's.
func isEventKey(key string) bool { return strings.HasPrefix(key, model.KindPrefix(model.KindEvent)) }

// List returns the kind's resources sorted by name, and the snapshot's
// revision. Kind "" lists the whole desired state: every kind but
// events, from one snapshot.
func (c *Controller) List(ctx context.Context, kind model.Kind) ([]model.Object, int64, error) {
	kvs, rev, err := c.st.List(ctx, prefixOf(kind))
	c.countOp("list", err)
	if err != nil {
		return nil, 0, storeErr(err, kind, "")
	}
	out := make([]model.Object, 0, len(kvs))
	for _, kv := range kvs {
		if kind == "" && isEventKey(kv.Key) {
			continue
		}
		o, err := decode(kv)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, o)
	}
	return out, rev, nil
}

// Watch streams the kind's changes after afterRevision; kind "" streams
// the whole desired state's (every kind but events), in revision order.
func (c *Controller) Watch(ctx context.Context, kind model.Kind, afterRevision int64) (<-chan api.WatchEvent, error) {
	in, err := c.st.Watch(ctx, prefixOf(kind), afterRevision)
	c.countOp("watch", err)
	if err != nil {
		return nil, storeErr(err, kind, "")
	}
	out := make(chan api.WatchEvent)
	go func() {
		defer close(out)
		for ev := range in {
			var we api.WatchEvent
			switch {
			case ev.Err != nil:
				we = api.WatchEvent{Type: api.WatchError, Err: storeErr(ev.Err, kind, "")}
			case kind == "" && isEventKey(ev.KV.Key):
				continue
			case ev.Type == store.EventDelete:
				k, name, _ := c.keyOf(ev.KV.Key)
				we = api.WatchEvent{Type: api.WatchDeleted, Object: &model.Object{APIVersion: model.APIVersion, Kind: k,
					Metadata: model.Metadata{Name: name, ResourceVersion: strconv.FormatInt(ev.KV.ModRevision, 10)}}}
			default:
				o, err := decode(ev.KV)
				if err != nil {
					we = api.WatchEvent{Type: api.WatchError, Err: err}
				} else {
					we = api.WatchEvent{Type: api.WatchModified, Object: &o}
					if ev.KV.CreateRevision == ev.KV.ModRevision {
						we.Type = api.WatchAdded
					}
				}
			}
			select {
			case out <- we:
			case <-ctx.Done():
				return
			}
			if we.Type == api.WatchError {
				return
			}
		}
	}()
	return out, nil
}
