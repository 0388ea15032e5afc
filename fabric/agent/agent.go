package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/metrics"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/provision/jitter"
)

// Config configures an agent.
type Config struct {
	// Backend is where the desired state is read and status written:
	// an *api.Client, or the *controller.Controller in process.
	Backend api.Backend
	// Name is the name of the agent's own resource (the Host, Mux or
	// Gateway it programs).
	Name string
	// Backoff spaces retries of a failed programming or a broken watch
	// (default jitter.FullJitter{Base: 200 ms, Cap: 30 s}).
	Backoff jitter.Gate
	// Clock is the time source (default jitter.SystemClock).
	Clock jitter.Clock
	// StatusInterval is how often the node's status is reported even
	// when nothing changed: the heartbeat (default 15 s).
	StatusInterval time.Duration
	// StatusMinInterval is the least time between a status report and
	// one that a change of the node asks for (Host.ReportStatus): the
	// changes within it make one report, so that a flapping probe writes
	// to the store at most once per interval (default 500 ms).
	StatusMinInterval time.Duration
	// Settle is how long the agent waits after a change for the rest of
	// a burst before it reprograms (default 50 ms).
	Settle time.Duration
	Logger *slog.Logger
	// Metrics, if set, receives the agent's metrics.
	Metrics *metrics.Registry
}

func (c *Config) defaults() error {
	if c.Backend == nil {
		return errors.New("agent: Config.Backend is nil")
	}
	if c.Name == "" {
		return errors.New("agent: Config.Name is empty")
	}
	if c.Backoff == nil {
		c.Backoff = jitter.FullJitter{Base: 200 * time.Millisecond, Cap: 30 * time.Second}
	}
	if c.Clock == nil {
		c.Clock = jitter.SystemClock{}
	}
	if c.StatusInterval <= 0 {
		c.StatusInterval = 15 * time.Second
	}
	if c.StatusMinInterval <= 0 {
		c.StatusMinInterval = 500 * time.Millisecond
	}
	if c.Settle <= 0 {
		c.Settle = 50 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// role is what differs between the Host, Mux and Gateway agents: the
// slice S they project and the status St they report.
type role[S, St any] struct {
	kind model.Kind
	// project returns the slice of the node name and its resource's
	// generation; false when the resource does not exist.
	project func(st *model.State, name string) (S, int64, bool)
	program func(ctx context.Context, slice S) error
	status  func(ctx context.Context) (St, error)
	// stamp sets the status' observed generation, heartbeat and, when
	// programming fails, the message saying why.
	stamp func(st *St, generation int64, now time.Time, message string)
	// healthOnly, if set, reports whether slice next differs from prev
	// only in the DIP health it carries (other nodes' reports, see
	// MuxSlice.Health); the agent then gives the node next through
	// health, not program, and writes no status: each host's report
	// would otherwise be echoed by every Mux.
	healthOnly func(prev, next S) bool
	health     func(ctx context.Context, slice S) error
}

// engine runs one agent.
type engine[S, St any] struct {
	cfg  Config
	role role[S, St]
	log  *slog.Logger

	mu    sync.Mutex
	cache map[string]model.Object // by "<kind>/<name>"; guarded by mu
	ready bool                    // the state was listed; guarded by mu
	dirty chan struct{}
	// changed asks for a status report (statusChanged): run makes one
	// at most every StatusMinInterval.
	changed chan struct{}

	programmed   bool
	last         S
	observed     int64 // generation of the last programmed slice
	programTries int
	failure      string    // the last programming error, until one succeeds
	lastReport   time.Time // when the status was last written (or tried)

	programs *metrics.CounterVec
	restarts *metrics.CounterVec
	lastOK   *metrics.GaugeVec
}

func newEngine[S, St any](cfg Config, r role[S, St]) (*engine[S, St], error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	e := &engine[S, St]{cfg: cfg, role: r,
		dirty: make(chan struct{}, 1), changed: make(chan struct{}, 1),
		log: cfg.Logger.With("agent", string(r.kind)+"/"+cfg.Name)}
	if m := cfg.Metrics; m != nil {
		e.programs = m.NewCounter("fabric_agent_programs_total", "Node programmings by result (ok, error).", "result")
		e.restarts = m.NewCounter("fabric_agent_watch_restarts_total", "Watches of the state listed again after a break.")
		e.lastOK = m.NewGauge("fabric_agent_programmed_generation", "Generation of the node's resource last programmed.")
	}
	return e, nil
}

func (e *engine[S, St]) markDirty() {
	select {
	case e.dirty <- struct{}{}:
	default:
	}
}

// statusChanged asks for a status report soon: the node observed a
// change that others act on. It never blocks; calls before the report
// make one.
func (e *engine[S, St]) statusChanged() {
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// run watches every kind and reconciles until ctx ends.
func (e *engine[S, St]) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { e.watchState(ctx) })
	defer wg.Wait()

	heartbeat := time.NewTicker(e.cfg.StatusInterval)
	defer heartbeat.Stop()
	var retry, changeDue <-chan time.Time
	changeFails := 0 // failed reports of a change in a row
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-e.changed:
			// Not programmed yet: the report after the programming has
			// the change. One pending: it will have it.
			if !e.programmed || changeDue != nil {
				continue
			}
			changeDue = e.cfg.Clock.After(max(0, e.lastReport.Add(e.cfg.StatusMinInterval).Sub(e.cfg.Clock.Now())))
			continue
		case <-changeDue:
			changeDue = nil
			if e.report(ctx) || ctx.Err() != nil {
				changeFails = 0
				continue
			}
			// Cut off from the controller: try again, less and less
			// often, up to the heartbeat's pace.
			changeFails++
			changeDue = e.cfg.Clock.After(min(e.cfg.StatusMinInterval<<min(changeFails, 16), e.cfg.StatusInterval))
			continue
		case <-e.dirty:
			// Let the rest of a burst (one batch's watch events) arrive.
			select {
			case <-e.cfg.Clock.After(e.cfg.Settle):
			case <-ctx.Done():
				return nil
			}
		case <-retry:
		case <-heartbeat.C:
			if e.programmed {
				e.report(ctx)
			}
			continue
		}
		retry = nil
		if err := e.reconcile(ctx); err != nil {
			e.programTries++
			e.failure = fmt.Sprintf("programming failed (attempt %d): %v", e.programTries, err)
			e.count(e.programs, "error")
			e.report(ctx)
			wait, _ := e.cfg.Backoff.Admit(e.cfg.Clock.Now(), e.programTries)
			e.log.Warn("programming failed; keeping the node's last state and retrying",
				"err", err, "attempt", e.programTries, "in", wait)
			retry = e.cfg.Clock.After(wait)
			continue
		}
		e.programTries = 0
	}
}

func (e *engine[S, St]) count(c *metrics.CounterVec, label string) {
	if c != nil {
		c.With(label).Inc()
	}
}

// reconcile programs the node if its slice changed.
func (e *engine[S, St]) reconcile(ctx context.Context) error {
	e.mu.Lock()
	ready := e.ready
	objs := make([]model.Object, 0, len(e.cache))
	for _, o := range e.cache {
		objs = append(objs, o)
	}
	e.mu.Unlock()
	if !ready {
		return nil // not listed yet
	}
	st, err := model.NewState(objs)
	if err != nil {
		// Part of a batch seen (its events are still arriving): wait for
		// the rest. The store only ever holds valid states.
		e.log.Debug("desired state not consistent yet", "err", err)
		return nil
	}
	slice, gen, ok := e.role.project(st, e.cfg.Name)
	if !ok {
		e.log.Debug("own resource absent; nothing to program")
		return nil
	}
	same := e.programmed && reflect.DeepEqual(slice, e.last)
	if same && gen == e.observed {
		return nil
	}
	if e.programmed && gen == e.observed && e.role.healthOnly != nil && e.role.healthOnly(e.last, slice) {
		if err := e.role.health(ctx, slice); err != nil {
			return err
		}
		e.last = slice
		return nil
	}
	if err := e.role.program(ctx, slice); err != nil {
		return err
	}
	e.programmed, e.last, e.observed, e.failure = true, slice, gen, ""
	e.count(e.programs, "ok")
	if e.lastOK != nil {
		e.lastOK.With().Set(float64(gen))
	}
	if !same {
		e.log.Info("node programmed", "generation", gen)
	}
	e.report(ctx)
	return nil
}

// report writes the node's status into its resource and reports whether
// it did. Failures are logged: the next heartbeat tries again.
func (e *engine[S, St]) report(ctx context.Context) bool {
	e.lastReport = e.cfg.Clock.Now()
	s, err := e.role.status(ctx)
	if err != nil {
		e.log.Warn("node status unavailable", "err", err)
		return false
	}
	e.role.stamp(&s, e.observed, e.cfg.Clock.Now().UTC(), e.failure)
	raw, err := json.Marshal(s)
	if err != nil {
		e.log.Error("status does not encode", "err", err)
		return false
	}
	o := model.Object{APIVersion: model.APIVersion, Kind: e.role.kind, Metadata: model.Metadata{Name: e.cfg.Name}, Status: raw}
	if _, err := e.cfg.Backend.UpdateStatus(ctx, o, 0); err != nil {
		if ctx.Err() == nil {
			e.log.Warn("status report failed", "err", err)
		}
		return false
	}
	return true
}

// watchState keeps the cache current: list the whole desired state (one
// snapshot), then watch it from the snapshot's revision; on any break,
// back off and list again. The node keeps its state meanwhile.
func (e *engine[S, St]) watchState(ctx context.Context) {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if err := jitter.Wait(ctx, e.cfg.Clock, e.cfg.Backoff, attempt); err != nil {
			return
		}
		e.cfg.Backoff.Done(e.cfg.Clock.Now())
		err := e.listWatch(ctx, func() { attempt = 0 })
		if ctx.Err() != nil {
			return
		}
		e.log.Debug("watch broke; listing again", "err", err)
		if e.restarts != nil {
			e.restarts.With().Inc()
		}
	}
}

func cacheKey(o *model.Object) string { return string(o.Kind) + "/" + o.Metadata.Name }

// listWatch lists the state into the cache and applies watch events
// until the watch ends; ok is called once the list succeeded.
func (e *engine[S, St]) listWatch(ctx context.Context, ok func()) error {
	objs, rev, err := e.cfg.Backend.List(ctx, "")
	if err != nil {
		return err
	}
	m := make(map[string]model.Object, len(objs))
	for i := range objs {
		m[cacheKey(&objs[i])] = objs[i]
	}
	e.mu.Lock()
	e.cache, e.ready = m, true
	e.mu.Unlock()
	e.markDirty()
	events, err := e.cfg.Backend.Watch(ctx, "", rev)
	if err != nil {
		return err
	}
	ok()
	for ev := range events {
		switch ev.Type {
		case api.WatchAdded, api.WatchModified:
			e.mu.Lock()
			e.cache[cacheKey(ev.Object)] = *ev.Object
			e.mu.Unlock()
		case api.WatchDeleted:
			e.mu.Lock()
			delete(e.cache, cacheKey(ev.Object))
			e.mu.Unlock()
		case api.WatchError:
			return ev.Err
		default:
			continue // bookmarks
		}
		e.markDirty()
	}
	return errors.New("watch ended")
}
