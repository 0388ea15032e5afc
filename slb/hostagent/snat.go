package hostagent

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/slb/snat"
)

// A Leaser grants SNAT port blocks: the load balancer's manager, or a
// client of it. *snat.Manager satisfies it. The agent calls it from its
// own goroutines, never on the packet path.
type Leaser interface {
	Lease(ctx context.Context, req snat.Request) (snat.Lease, error)
	Renew(ctx context.Context, l snat.Lease) (snat.Lease, error)
	Release(ctx context.Context, l snat.Lease) error
}

// SNAT timing defaults.
const (
	DefaultLeaseIdle    = 2 * time.Minute  // a block without flows this long goes back
	snatRetry           = 5 * time.Second  // no new request this long after the manager refused one
	leaseRequestTimeout = 10 * time.Second // a Leaser call's deadline
	maxSNATProbes       = 64               // ports tried for one new flow
)

type outboundKey struct {
	vni   uint32
	dip   netip.Addr
	proto uint8
}

// An outRule is an outbound (SNAT) rule as it applies to one local DIP
// and protocol.
type outRule struct {
	lb, name string
	rule     uint16
	timeout  int64
	reset    bool // EnableTCPReset
	pool     *snatPool
}

// A snatPool is the port blocks this host holds for one DIP and protocol.
// It outlives configurations.
type snatPool struct {
	key outboundKey

	mu      sync.Mutex
	blocks  []*heldBlock
	byFirst map[snat.Block]*heldBlock
	pending bool  // a Lease call is in flight
	refused int64 // clock reading of the manager's last refusal, or 0
}

type heldBlock struct {
	lease     snat.Lease
	granted   time.Time // when the lease was granted or last renewed
	vip       [16]byte
	flows     int   // connections using a port of the block
	idleSince int64 // clock reading when flows dropped to 0
}

// snatPool returns the pool of key, creating it (a.mu held).
func (a *Agent) snatPool(k outboundKey) *snatPool {
	pools := *a.pools.Load()
	if p := pools[k]; p != nil {
		return p
	}
	p := &snatPool{key: k, byFirst: map[snat.Block]*heldBlock{}}
	next := maps.Clone(pools)
	next[k] = p
	a.pools.Store(&next)
	return p
}

// newSNAT maps a new outbound connection of a local DIP to a (VIP, port)
// of the DIP's blocks that no connection to the same remote endpoint
// uses, with the shard of its key locked. Ports are tried from a hash of
// the connection on, so that connections to one remote end spread over
// the blocks.
func (a *Agent) newSNAT(o *outRule, p *packet, sl slot, act *action) Result {
	pool := o.pool
	pool.mu.Lock()
	defer pool.mu.Unlock()
	now := a.tick()
	total := len(pool.blocks) * 8
	r := Result{Verdict: Drop, Reason: ReasonSNATPending, DIP: fromKey(&p.key.src, p.v4), VNI: p.key.vni,
		Rule: a.ruleName(o.rule)}
	if pool.refused != 0 && now-pool.refused < int64(snatRetry) {
		r.Reason = ReasonSNATExhausted
	}
	tries := min(total, maxSNATProbes)
	start := int(sl.tag>>1) % max(total, 1)
	for i := range tries {
		idx := (start + i) % total
		b := pool.blocks[idx/8]
		port := b.lease.First + uint16(idx%8)
		rev := flowKey{src: p.key.dst, dst: b.vip, sport: p.key.dport, dport: port, vni: p.key.vni,
			proto: p.proto, v4: p.v4}
		rs := a.table.locate(&rev, true) // the same shard: the remote end is the same
		*act = action{addr: b.vip, port: port, setSrc: true, apply: true, snat: true, verdict: ToRouter,
			rule: o.rule, dip: p.key.src, vip: b.vip, reset: o.reset}
		ract := action{addr: p.key.src, port: p.key.sport, apply: true, snat: true, verdict: Deliver,
			rule: o.rule, dip: p.key.src, vip: b.vip, reset: o.reset}
		switch a.table.insert(sl, rs, &p.key, &rev, act, &ract, closingTimeout(o.timeout, p), now, p) {
		case taken:
			continue
		case full:
			r.Reason = ReasonTableFull
			return r
		}
		b.flows++
		if i >= tries/2 && tries == total {
			// Half the ports are busy towards this remote end: ask for
			// another block before they run out.
			a.requestBlock(pool, o, now)
		}
		return a.result(act, p, ReasonSNAT)
	}
	a.requestBlock(pool, o, now)
	return r
}

// requestBlock asks the Leaser for one more block for pool, in the
// background (pool.mu held). The packet that needed it is dropped; TCP
// retransmits it, by which time the block has usually arrived.
func (a *Agent) requestBlock(pool *snatPool, o *outRule, now int64) {
	if a.cfg.Leaser == nil || pool.pending || (pool.refused != 0 && now-pool.refused < int64(snatRetry)) {
		return
	}
	pool.pending = true
	req := snat.Request{LoadBalancer: o.lb, Rule: o.name, Host: a.cfg.HostPA, VNI: pool.key.vni,
		DIP: pool.key.dip, Protocol: pool.key.proto}
	a.stats.snatRequests.Add(1)
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), leaseRequestTimeout)
		l, err := a.cfg.Leaser.Lease(ctx, req)
		cancel()
		pool.mu.Lock()
		defer pool.mu.Unlock()
		pool.pending = false
		if err != nil {
			if errors.Is(err, snat.ErrExhausted) || errors.Is(err, snat.ErrQuota) {
				a.stats.snatExhausted.Add(1)
			} else {
				a.stats.snatFailures.Add(1)
				a.log.Warn("hostagent: SNAT lease request failed", "dip", req.DIP, "protocol", req.Protocol, "err", err)
			}
			pool.refused = max(a.tick(), 1)
			return
		}
		pool.refused = 0
		pool.add(l, a.clock.Now(), a.tick())
	}()
}

func (pool *snatPool) add(l snat.Lease, wall time.Time, now int64) {
	if pool.byFirst[l.Block] != nil {
		return
	}
	b := &heldBlock{lease: l, granted: wall, vip: l.VIP.As16(), idleSince: now}
	pool.blocks = append(pool.blocks, b)
	pool.byFirst[l.Block] = b
}

// drop forgets block b (pool.mu held).
func (pool *snatPool) drop(b *heldBlock) {
	delete(pool.byFirst, b.lease.Block)
	if i := slices.Index(pool.blocks, b); i >= 0 {
		pool.blocks = slices.Delete(pool.blocks, i, i+1)
	}
}

// snatGone accounts for a removed SNAT connection, given the entry of its
// outbound direction (under the entry's shard lock).
func (a *Agent) snatGone(e *entry) {
	pool := (*a.pools.Load())[outboundKey{e.key.vni, fromKey(&e.key.src, e.key.v4), e.key.proto}]
	if pool == nil {
		return
	}
	blk := snat.Block{VIP: fromKey(&e.act.vip, e.key.v4), Protocol: e.key.proto, First: e.act.port &^ 7}
	pool.mu.Lock()
	if b := pool.byFirst[blk]; b != nil {
		if b.flows--; b.flows == 0 {
			b.idleSince = a.now.Load()
		}
	}
	pool.mu.Unlock()
}

// maintainSNAT runs on every tick (a.mu held): it asks for a first block
// for each DIP under an outbound rule, renews the leases due, returns the
// blocks idle for Config.LeaseIdle but one, and all unused blocks of a DIP
// that no rule names any more (a pool with neither rule nor blocks is
// forgotten).
func (a *Agent) maintainSNAT(c *compiled, now int64) {
	if a.cfg.Leaser == nil {
		return
	}
	wall := a.clock.Now()
	for k, pool := range *a.pools.Load() {
		o := c.outbound[k]
		var renew, release []snat.Lease
		pool.mu.Lock()
		if o != nil && len(pool.blocks) == 0 {
			a.requestBlock(pool, o, now)
		}
		kept := pool.blocks[:0]
		left := len(pool.blocks)
		for _, b := range pool.blocks {
			// Without a rule every unused block goes back; with one, the
			// last block stays (Ananta's pre-allocation), so the next
			// connection need not wait.
			idle := b.flows == 0 && (o == nil || now-b.idleSince > int64(a.cfg.LeaseIdle) && left > 1)
			switch {
			case idle:
				release = append(release, b.lease)
				delete(pool.byFirst, b.lease.Block)
				left--
				continue
			case b.lease.Expires.Sub(wall) < b.lease.Expires.Sub(b.granted)/2:
				// Less than half the term left: renew.
				renew = append(renew, b.lease)
			}
			kept = append(kept, b)
		}
		clear(pool.blocks[len(kept):])
		pool.blocks = kept
		forget := o == nil && len(kept) == 0 && !pool.pending
		pool.mu.Unlock()
		if forget {
			a.forgetPool(k)
		}
		for _, l := range release {
			a.stats.snatReleases.Add(1)
			a.leaserCall(func(ctx context.Context) error { return a.cfg.Leaser.Release(ctx, l) })
		}
		for _, l := range renew {
			a.leaserCall(func(ctx context.Context) error {
				nl, err := a.cfg.Leaser.Renew(ctx, l)
				pool.mu.Lock()
				defer pool.mu.Unlock()
				switch b := pool.byFirst[l.Block]; {
				case b == nil:
				case err == nil:
					b.lease, b.granted = nl, a.clock.Now()
				case errors.Is(err, snat.ErrNotLeased):
					// The manager took the block back (it expired, or the
					// configuration changed): no new connection may use
					// it; those that do run out.
					pool.drop(b)
				}
				return err
			})
		}
	}
}

// leaserCall runs a Leaser call in the background, logging failure.
func (a *Agent) leaserCall(f func(context.Context) error) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), leaseRequestTimeout)
		defer cancel()
		if err := f(ctx); err != nil {
			a.stats.snatFailures.Add(1)
			a.log.Warn("hostagent: SNAT lease call failed", "err", err)
		}
	}()
}

// forgetPool removes the pool of k (a.mu held).
func (a *Agent) forgetPool(k outboundKey) {
	next := maps.Clone(*a.pools.Load())
	delete(next, k)
	a.pools.Store(&next)
}
