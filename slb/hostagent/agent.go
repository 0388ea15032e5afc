package hostagent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
)

// A Clock tells the time; tests inject a fake one.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures an Agent.
type Config struct {
	// HostPA is this host's provider address: the agent serves the DIPs
	// whose Backend.HostPA equals it.
	HostPA netip.Addr
	// Clock defaults to the system clock.
	Clock Clock
	// FlowTableSize is the number of flow entries, two per connection;
	// 0 means DefaultFlowTableSize. The table never grows.
	FlowTableSize int
	// DrainTimeout is how long a DIP that a Configure removed keeps its
	// existing flows; 0 means DefaultDrainTimeout.
	DrainTimeout time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger

	// Leaser grants SNAT port blocks; without one, outbound rules are
	// not applied (such packets Pass).
	Leaser Leaser
	// Internal lists the destinations that are never SNATed: the
	// virtual networks' own prefixes, whose traffic is east-west.
	// SetInternal replaces them.
	Internal []netip.Prefix
	// LeaseIdle is how long a leased block may go without a connection
	// before it is returned; 0 means DefaultLeaseIdle.
	LeaseIdle time.Duration

	// Dialer opens the health probes' connections; nil means a
	// net.Dialer.
	Dialer Dialer
	// OnHealth, when set, is told when a local DIP, in the virtual
	// network vni, goes down (probes failed, or SetBusy) or comes back up.
	// Tenants' networks may reuse addresses: two VMs of one address in
	// two VNIs are two DIPs, each reported on its own. It is called from
	// Tick, SetBusy or AwaitProbe, without the agent's locks held but one
	// call at a time, in the order of the changes; it must not call
	// those three itself.
	OnHealth func(vni uint32, dip netip.Addr, up bool)
	// OnTCPReset, when set, is given the TCP RSTs that end an idle TCP
	// connection of a rule with EnableTCPReset (see TCPReset): one to the
	// local DIP and one to the remote end, each when the sequence number
	// its receiver expects is known. It is also given the RST to the DIP
	// of such a connection that a client's SYN replaced with a new
	// connection to another DIP (see reopen.go). It is called from Expire
	// (and Tick) and from Inbound, without the agent's locks held.
	// Without it no RST is sent.
	OnTCPReset func(TCPReset)
	// TickInterval is how often Run calls Tick; 0 means
	// DefaultTickInterval.
	TickInterval time.Duration
}

// Defaults.
const (
	DefaultFlowTableSize = 1 << 16
	DefaultDrainTimeout  = 5 * time.Minute
	DefaultTickInterval  = time.Second
)

// An Agent is the load balancer's host agent for one host: it translates
// the packets of its local DIPs in place.
//
// Inbound and Outbound may be called from many goroutines at once, and
// concurrently with Configure and the other methods.
type Agent struct {
	cfg       Config
	log       *slog.Logger
	clock     Clock
	epoch     time.Time
	now       atomic.Int64 // ns since epoch, refreshed by new flows and Tick
	table     *flowTable
	conf      atomic.Pointer[compiled]
	names     atomic.Pointer[[]string] // interned rule names, append-only
	stats     counters
	pools     atomic.Pointer[map[outboundKey]*snatPool] // copy on write (a.mu)
	internals atomic.Pointer[[]netip.Prefix]            // never SNATed; replaced whole (see internal.go)
	bg        sync.WaitGroup                            // Leaser calls in flight

	dialer Dialer
	http   *http.Client // HTTP probes, through dialer

	// reporting orders the OnHealth calls: held (before mu) from
	// computing the health events to reporting them, so that the
	// reports of two goroutines cannot pass each other.
	reporting sync.Mutex

	mu       sync.Mutex // serialises Configure and Tick; guards what follows
	nameIdx  map[string]uint16
	dips     map[dipKey]*localDIP // every local DIP seen, configured or draining
	probes   map[probeKey]*probeState
	busy     map[dipKey]bool // SetBusy, also for DIPs not configured yet
	reported map[dipKey]bool // the state last reported through OnHealth
}

// New returns an Agent with an empty configuration.
func New(cfg Config) (*Agent, error) {
	if !cfg.HostPA.IsValid() {
		return nil, errors.New("hostagent: Config.HostPA is not set")
	}
	if cfg.FlowTableSize < 0 {
		return nil, fmt.Errorf("hostagent: Config.FlowTableSize %d is negative", cfg.FlowTableSize)
	}
	if cfg.FlowTableSize == 0 {
		cfg.FlowTableSize = DefaultFlowTableSize
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	if cfg.LeaseIdle == 0 {
		cfg.LeaseIdle = DefaultLeaseIdle
	}
	if cfg.TickInterval == 0 {
		cfg.TickInterval = DefaultTickInterval
	}
	a := &Agent{cfg: cfg, log: cfg.Logger, clock: cfg.Clock, dialer: cfg.Dialer,
		nameIdx: map[string]uint16{"": 0}, dips: map[dipKey]*localDIP{}, probes: map[probeKey]*probeState{},
		busy: map[dipKey]bool{}, reported: map[dipKey]bool{}}
	a.table = newFlowTable(cfg.FlowTableSize, a.snatGone)
	pools := map[outboundKey]*snatPool{}
	a.pools.Store(&pools)
	a.SetInternal(cfg.Internal)
	if a.dialer == nil {
		a.dialer = &net.Dialer{}
	}
	a.http = &http.Client{Transport: &http.Transport{DialContext: a.dialer.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.clock == nil {
		a.clock = systemClock{}
	}
	a.epoch = a.clock.Now()
	names := []string{""}
	a.names.Store(&names)
	c, err := a.compile(nil)
	if err != nil {
		return nil, err
	}
	a.conf.Store(c)
	return a, nil
}

// Configure replaces the agent's configuration with lbs, keeping the
// rules whose backend pools have DIPs on this host. Each LoadBalancer must
// be valid. Existing flows keep their translation; those of a DIP that no
// rule names any more are removed after Config.DrainTimeout.
func (a *Agent) Configure(lbs ...slb.LoadBalancer) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, err := a.compile(lbs)
	if err != nil {
		return err
	}
	now := a.tick()
	for k, d := range a.dips {
		if _, ok := c.dips[k]; !ok && d.removed == 0 {
			d.removed = max(now, 1) // 0 means configured
		}
	}
	a.conf.Store(c)
	return nil
}

// tick reads the clock into the coarse per-packet time and returns it.
func (a *Agent) tick() int64 {
	n := int64(a.clock.Now().Sub(a.epoch))
	a.now.Store(n)
	return n
}

// Stats returns a snapshot of the counters.
func (a *Agent) Stats() Stats {
	var s Stats
	for i := range s.Inbound {
		s.Inbound[i] = a.stats.in[i].Load()
		s.Outbound[i] = a.stats.out[i].Load()
	}
	for i := range s.Reasons {
		s.Reasons[i] = a.stats.reasons[i].Load()
	}
	a.table.addStats(&s)
	s.SNATRequests = a.stats.snatRequests.Load()
	s.SNATExhausted = a.stats.snatExhausted.Load()
	s.SNATFailures = a.stats.snatFailures.Load()
	s.SNATReleases = a.stats.snatReleases.Load()
	for _, p := range *a.pools.Load() {
		p.mu.Lock()
		s.SNATBlocks += len(p.blocks)
		p.mu.Unlock()
	}
	s.Probes = a.stats.probes.Load()
	s.HealthChanges = a.stats.healthChanges.Load()
	s.TCPResets = a.stats.tcpResets.Load()
	return s
}

func (a *Agent) ruleName(i uint16) string {
	names := *a.names.Load()
	if int(i) < len(names) {
		return names[i]
	}
	return ""
}

// result builds the Result of a flow entry's action.
func (a *Agent) result(act *action, p *packet, r Reason) Result {
	return Result{Verdict: act.verdict, Reason: r, DIP: fromKey(&act.dip, p.v4), VIP: fromKey(&act.vip, p.v4),
		VNI: p.key.vni, Rule: a.ruleName(act.rule)}
}

// closingTimeout returns a connection's idle timeout after packet p: a
// TCP RST or FIN shortens it.
func closingTimeout(timeout int64, p *packet) int64 {
	if p.proto == protoTCP {
		switch {
		case p.flags&header.TCPFlagRST != 0:
			return min(timeout, resetTimeout)
		case p.flags&header.TCPFlagFIN != 0:
			return min(timeout, finTimeout)
		}
	}
	return timeout
}

// hit refreshes the connection of the entry at i of a locked shard for
// packet p and returns the entry, or nil when the connection has expired
// (and removes it).
func (p *packet) hit(s *shard, i int, now int64) *entry {
	e := &s.entries[i]
	if e.expired(s, now) {
		s.remove(i)
		return nil
	}
	if e.last != now {
		e.last = now
	}
	if p.closes() {
		e.closing, s.entries[e.peer].closing = true, true
		if t := closingTimeout(e.timeout, p); t != e.timeout {
			e.timeout = t
			s.entries[e.peer].timeout = t
		}
	}
	if e.act.reset {
		p.track(s, e)
	}
	return e
}

// established translates p by entry i of its locked shard (i < 0: none)
// when that connection is live, rewriting under the lock straight from
// the entry, and unlocks the shard; ok reports whether it did. Otherwise
// the shard stays locked for the new flow.
func (a *Agent) established(sl slot, p *packet, i int, now int64, outbound bool) (r Result, ok bool) {
	if i < 0 {
		return Result{}, false
	}
	e := p.hit(sl.s, i, now)
	if e == nil {
		return Result{}, false
	}
	p.apply(&e.act)
	r = sl.s.count(outbound, a.result(&e.act, p, ReasonFlow))
	if !p.more {
		sl.s.mu.Unlock()
		return r, true
	}
	act := e.act // a first fragment: remember it for the others
	sl.s.mu.Unlock()
	a.rememberFragment(p, &act, outbound)
	return r, true
}

func (p *packet) apply(act *action) {
	if act.apply {
		p.rewrite(!act.setSrc, &act.addr, act.port)
	}
}

// Run calls Tick every Config.TickInterval until ctx ends, then waits for
// the Leaser calls in flight and returns ctx.Err().
func (a *Agent) Run(ctx context.Context) error {
	t := time.NewTicker(a.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			a.bg.Wait()
			return ctx.Err()
		case <-t.C:
			a.Tick(ctx)
		}
	}
}

// Tick does what is due at the clock's time: it expires idle flows and
// drained DIPs, maintains the SNAT leases (a first block for each DIP
// under an outbound rule, renewals, returning idle blocks), and runs the
// health probes that are due, waiting for them.
func (a *Agent) Tick(ctx context.Context) {
	a.Expire()
	c := a.conf.Load()
	now := a.now.Load()
	a.mu.Lock()
	a.maintainSNAT(c, now)
	a.mu.Unlock()
	a.runProbes(ctx, c, now)
}

// Expire removes the flows idle for longer than their timeout, and the
// flows of DIPs that a Configure removed more than Config.DrainTimeout
// ago, and returns the number of flows left. Run calls it every tick.
// Idle TCP connections of rules with EnableTCPReset are reset both ways
// through Config.OnTCPReset.
func (a *Agent) Expire() int {
	n, idle := a.expire()
	if len(idle) > 0 {
		a.sendResets(idle, true)
	}
	return n
}

// expire does Expire's work under the agent's lock and returns the flows
// left and the idle connections due RSTs.
func (a *Agent) expire() (int, []resetConn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.tick()
	var drained map[dipKey]bool
	for k, d := range a.dips {
		if d.removed != 0 && now-d.removed > int64(a.cfg.DrainTimeout) {
			if drained == nil {
				drained = map[dipKey]bool{}
			}
			drained[k] = true
			delete(a.dips, k)
			for pk := range a.probes {
				if pk.dip == k {
					delete(a.probes, pk)
				}
			}
		}
	}
	for k := range drained {
		delete(a.reported, k)
	}
	var drop func(*entry) bool
	if drained != nil {
		drop = func(e *entry) bool {
			return drained[dipKey{e.key.vni, fromKey(&e.act.dip, e.key.v4)}]
		}
	}
	var idle []resetConn
	var onIdle func(e, peer *entry)
	if a.cfg.OnTCPReset != nil {
		onIdle = func(e, peer *entry) {
			if c, ok := dueReset(e, peer); ok {
				idle = append(idle, c)
			}
		}
	}
	return a.table.sweep(now, drop, onIdle), idle
}
