package router

import (
	"cmp"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// NeighborState is the state of a neighbor cache entry (RFC 4861 section
// 7.3.2; ARP entries go through the same states).
type NeighborState uint32

// Neighbor cache states.
const (
	StateIncomplete NeighborState = iota + 1 // resolution in progress
	StateReachable                           // recently confirmed
	StateStale                               // usable, not confirmed lately
	StateDelay                               // used while stale; waiting before probing
	StateProbe                               // being confirmed by unicast solicitations
	StateFailed                              // resolution failed; a new packet restarts it
)

func (s NeighborState) String() string {
	switch s {
	case StateIncomplete:
		return "INCOMPLETE"
	case StateReachable:
		return "REACHABLE"
	case StateStale:
		return "STALE"
	case StateDelay:
		return "DELAY"
	case StateProbe:
		return "PROBE"
	case StateFailed:
		return "FAILED"
	}
	return "NONE"
}

// Neighbor discovery protocol constants (RFC 4861 section 10), used for ARP
// as well.
const (
	MaxMulticastSolicit = 3
	MaxUnicastSolicit   = 3
	ReachableTime       = 30 * time.Second
	RetransTimer        = time.Second
	DelayFirstProbeTime = 5 * time.Second
)

// Neighbor is a snapshot of one neighbor cache entry.
type Neighbor struct {
	IfIndex int
	Addr    netip.Addr
	MAC     header.MAC
	State   NeighborState
	Queued  int // packets waiting for resolution
}

type neighborKey struct {
	ifIndex int
	addr    netip.Addr
}

type queued struct {
	frame []byte // whole Ethernet frame; addresses filled in when resolved
	in    int    // receiving interface, for the ICMP error if resolution fails
	seq   uint64 // global arrival order, to drop the oldest
	mss   int    // a super-frame's MSS (InputSuper); 0 for a plain frame
}

type neighbor struct {
	key     neighborKey
	mac     atomic.Uint64
	state   atomic.Uint32
	delayAt atomic.Int64 // when the data path moved the entry from STALE to DELAY (UnixNano)
	dead    atomic.Bool  // removed from the cache (a next-hop set may still point to it)

	// guarded by neighborCache.mu
	deadline time.Time
	probes   int
	queue    []queued
}

func (n *neighbor) macAddr() header.MAC {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n.mac.Load())
	return header.MAC(b[2:])
}

func (n *neighbor) setMAC(m header.MAC) {
	var b [8]byte
	copy(b[2:], m[:])
	n.mac.Store(binary.BigEndian.Uint64(b[:]))
}

// neighborCache maps (interface, address) to link-layer addresses. Readers
// load a shard's map and the entry's atomics without locking; writers hold
// mu and publish a new copy of the one shard that changes, so adding an
// entry copies about 1/neighborShards of the cache, not all of it.
type neighborCache struct {
	r      *Router
	mu     sync.Mutex
	shards [neighborShards]atomic.Pointer[map[neighborKey]*neighbor]
	n      int // entries; guarded by mu
	queued int // packets waiting, all entries; guarded by mu
	seq    uint64
}

const neighborShards = 64

// shardOf spreads neighbors by the last octet of their address, which is
// what differs between the hosts of a subnet.
func shardOf(k neighborKey) int {
	b := k.addr.As16()
	return int(b[15]^byte(k.ifIndex)) & (neighborShards - 1)
}

func (c *neighborCache) init(r *Router) {
	c.r = r
	for i := range c.shards {
		m := map[neighborKey]*neighbor{}
		c.shards[i].Store(&m)
	}
}

func (c *neighborCache) get(k neighborKey) *neighbor {
	return (*c.shards[shardOf(k)].Load())[k]
}

// put adds n; callers hold mu.
func (c *neighborCache) put(n *neighbor) {
	c.editShard(shardOf(n.key), func(m map[neighborKey]*neighbor) { m[n.key] = n })
	c.n++
}

// del removes the entry for k and forgets its queued packets; callers hold
// mu.
func (c *neighborCache) del(k neighborKey) {
	i := shardOf(k)
	n := (*c.shards[i].Load())[k]
	if n == nil {
		return
	}
	c.queued -= len(n.queue)
	c.n--
	n.dead.Store(true)
	c.editShard(i, func(m map[neighborKey]*neighbor) { delete(m, k) })
}

func (c *neighborCache) editShard(i int, fn func(m map[neighborKey]*neighbor)) {
	old := *c.shards[i].Load()
	m := make(map[neighborKey]*neighbor, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	fn(m)
	c.shards[i].Store(&m)
}

// all yields every entry (of the shard maps as they were when each shard
// was reached; deleting during the walk is safe).
func (c *neighborCache) all(yield func(neighborKey, *neighbor) bool) {
	for i := range c.shards {
		for k, n := range *c.shards[i].Load() {
			if !yield(k, n) {
				return
			}
		}
	}
}

// action is work found under mu and done after releasing it, since Output
// may re-enter the router.
type action struct {
	out     *iface
	target  netip.Addr
	unicast header.MAC // solicit by unicast (PROBE) when not zero
	solicit bool
	mac     header.MAC // resolved address for flushing frames
	frames  []queued
	failed  bool // frames get an ICMP host unreachable
}

func (c *neighborCache) run(acts []action) {
	r := c.r
	for _, a := range acts {
		if a.solicit {
			r.solicit(a.out, a.target, a.unicast)
		}
		for _, q := range a.frames {
			if a.failed {
				r.count(r.ifs.Load().get(q.in), DropUnresolved)
				r.hostUnreachable(q.frame[header.EthernetMinSize:], q.in)
				continue
			}
			e := header.Ethernet(q.frame)
			e.SetDestination(a.mac)
			e.SetSource(a.out.MAC)
			r.sendSuper(a.out, q.frame, q.mss)
		}
	}
}

// transmit sends frame (an untagged Ethernet frame whose EtherType is set)
// to next hop nh on out, resolving nh first if needed. in is the receiving
// interface (0 for frames the router originates).
func (r *Router) transmit(out *iface, nh netip.Addr, frame []byte, in, mss int) {
	r.transmitTo(out, nh, frame, in, r.neigh.get(neighborKey{out.Index, nh}), mss)
}

// transmitCached is transmit for hop hi of set: a gateway's neighbor entry
// is remembered in the set, so later packets skip the cache lookup.
func (r *Router) transmitCached(out *iface, nh netip.Addr, frame []byte, in int, set *NextHopSet, hi, mss int) {
	if !set.Hops[hi].Addr.IsValid() {
		r.transmit(out, nh, frame, in, mss)
		return
	}
	k := neighborKey{out.Index, nh}
	c := &set.neighbors[hi]
	n := c.Load()
	if n == nil || n.key != k || n.dead.Load() {
		if n = r.neigh.get(k); n != nil {
			c.Store(n)
		}
	}
	r.transmitTo(out, nh, frame, in, n, mss)
}

// transmitTo is transmit with the neighbor entry for nh on out (nil if
// there is none); mss is a super-frame's (0 for a plain frame).
func (r *Router) transmitTo(out *iface, nh netip.Addr, frame []byte, in int, n *neighbor, mss int) {
	if n != nil {
		st := NeighborState(n.state.Load())
		switch st {
		case StateStale:
			if n.state.CompareAndSwap(uint32(StateStale), uint32(StateDelay)) {
				n.delayAt.Store(r.cfg.Now().UnixNano())
			}
			fallthrough
		case StateReachable, StateDelay, StateProbe:
			e := header.Ethernet(frame)
			e.SetDestination(n.macAddr())
			e.SetSource(out.MAC)
			r.sendSuper(out, frame, mss)
			return
		}
	}
	r.neigh.resolve(out, nh, frame, in, mss)
}

// resolve queues a copy of frame for nh and starts resolution if needed.
func (c *neighborCache) resolve(out *iface, nh netip.Addr, frame []byte, in, mss int) {
	r := c.r
	k := neighborKey{out.Index, nh}
	var acts []action
	c.mu.Lock()
	n := c.get(k)
	if n == nil {
		if !c.makeRoom() {
			c.mu.Unlock()
			r.count(r.ifs.Load().get(in), DropQueueOverflow)
			return
		}
		n = &neighbor{key: k}
		n.state.Store(uint32(StateIncomplete))
		c.put(n)
	}
	switch NeighborState(n.state.Load()) {
	case StateFailed:
		n.state.Store(uint32(StateIncomplete))
		n.probes = 0
	case StateIncomplete:
	default: // resolved meanwhile
		c.mu.Unlock()
		r.transmit(out, nh, frame, in, mss)
		return
	}
	if n.probes == 0 {
		n.probes = 1
		n.deadline = r.cfg.Now().Add(RetransTimer)
		acts = append(acts, action{out: out, target: nh, solicit: true})
	}
	c.seq++
	n.queue = append(n.queue, queued{frame: slices.Clone(frame), in: in, seq: c.seq, mss: mss})
	c.queued++
	if len(n.queue) > r.cfg.MaxQueuedPerNeighbor {
		c.dropOldest(n)
	}
	if c.queued > r.cfg.MaxQueued {
		c.dropOldestGlobal()
	}
	c.mu.Unlock()
	c.run(acts)
}

func (c *neighborCache) dropOldest(n *neighbor) {
	q := n.queue[0]
	n.queue = slices.Delete(n.queue, 0, 1)
	c.queued--
	c.r.count(c.r.ifs.Load().get(q.in), DropQueueOverflow)
}

func (c *neighborCache) dropOldestGlobal() {
	var oldest *neighbor
	for _, n := range c.all {
		if len(n.queue) > 0 && (oldest == nil || n.queue[0].seq < oldest.queue[0].seq) {
			oldest = n
		}
	}
	if oldest != nil {
		c.dropOldest(oldest)
	}
}

// makeRoom makes space for one more entry, evicting a FAILED or STALE one
// when the cache is full; it reports whether there is room.
func (c *neighborCache) makeRoom() bool {
	if c.n < c.r.cfg.MaxNeighbors {
		return true
	}
	for k, n := range c.all {
		if st := NeighborState(n.state.Load()); st == StateFailed || st == StateStale {
			c.del(k)
			return true
		}
	}
	return false
}

// learn records that addr on in has link-layer address mac. solicited
// means the message answered our solicitation (ARP reply, NA with the S
// flag) and confirms reachability; override (ARP always, NA with the O
// flag) lets a different address replace the cached one; create allows a
// new entry (the message was addressed to us, RFC 826 and RFC 4861 section
// 7.2.3).
func (c *neighborCache) learn(in *iface, addr netip.Addr, mac header.MAC, solicited, override, create bool) {
	if mac.IsMulticast() || mac.IsZero() {
		return
	}
	r := c.r
	k := neighborKey{in.Index, addr}
	var acts []action
	c.mu.Lock()
	n := c.get(k)
	if n == nil {
		if !create || !c.makeRoom() {
			c.mu.Unlock()
			return
		}
		n = &neighbor{key: k}
		n.setMAC(mac)
		n.state.Store(uint32(StateStale))
		c.put(n)
	}
	now := r.cfg.Now()
	reach := func() {
		n.state.Store(uint32(StateReachable))
		n.deadline = now.Add(reachableTime())
		n.probes = 0
	}
	switch st := NeighborState(n.state.Load()); st {
	case StateIncomplete, StateFailed:
		n.setMAC(mac)
		if solicited {
			reach()
		} else {
			n.state.Store(uint32(StateStale))
		}
		c.queued -= len(n.queue)
		acts = append(acts, action{out: in, mac: mac, frames: n.queue})
		n.queue = nil
	default:
		differ := n.macAddr() != mac
		switch {
		case differ && !override:
			if st == StateReachable {
				n.state.Store(uint32(StateStale))
			}
		case solicited:
			n.setMAC(mac)
			reach()
		case differ:
			n.setMAC(mac)
			n.state.Store(uint32(StateStale))
		}
	}
	c.mu.Unlock()
	c.run(acts)
}

// reachableTime is ReachableTime randomised to between 0.5 and 1.5 times
// (RFC 4861 section 6.3.2).
func reachableTime() time.Duration {
	return ReachableTime/2 + rand.N(ReachableTime)
}

// Tick runs the neighbor timers at the router's clock: retransmits
// solicitations, gives up on unresolved neighbors (sending ICMP host
// unreachable for their queued packets), ages REACHABLE entries to STALE and
// probes entries in DELAY. Call it every few hundred milliseconds, or use
// Run.
func (r *Router) Tick() {
	c := &r.neigh
	now := r.cfg.Now()
	var acts []action
	var gone []neighborKey
	c.mu.Lock()
	for k, n := range c.all {
		out := r.ifs.Load().get(k.ifIndex)
		if out == nil {
			gone = append(gone, k)
			continue
		}
		switch NeighborState(n.state.Load()) {
		case StateIncomplete:
			if now.Before(n.deadline) {
				continue
			}
			if n.probes >= MaxMulticastSolicit {
				n.state.Store(uint32(StateFailed))
				n.deadline = now.Add(ReachableTime)
				c.queued -= len(n.queue)
				acts = append(acts, action{out: out, frames: n.queue, failed: true})
				n.queue = nil
				continue
			}
			n.probes++
			n.deadline = now.Add(RetransTimer)
			acts = append(acts, action{out: out, target: k.addr, solicit: true})
		case StateReachable:
			if !now.Before(n.deadline) {
				n.state.Store(uint32(StateStale))
			}
		case StateDelay:
			if now.Sub(time.Unix(0, n.delayAt.Load())) >= DelayFirstProbeTime {
				n.state.Store(uint32(StateProbe))
				n.probes = 1
				n.deadline = now.Add(RetransTimer)
				acts = append(acts, action{out: out, target: k.addr, solicit: true, unicast: n.macAddr()})
			}
		case StateProbe:
			if now.Before(n.deadline) {
				continue
			}
			if n.probes >= MaxUnicastSolicit {
				gone = append(gone, k)
				continue
			}
			n.probes++
			n.deadline = now.Add(RetransTimer)
			acts = append(acts, action{out: out, target: k.addr, solicit: true, unicast: n.macAddr()})
		case StateFailed:
			if !now.Before(n.deadline) {
				gone = append(gone, k)
			}
		}
	}
	for _, k := range gone {
		c.del(k)
	}
	c.mu.Unlock()
	c.run(acts)
}

func (c *neighborCache) removeInterface(index int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.all {
		if k.ifIndex == index {
			c.del(k)
		}
	}
}

// Neighbors returns a snapshot of the neighbor cache, sorted by interface
// and address.
func (r *Router) Neighbors() []Neighbor {
	c := &r.neigh
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Neighbor
	for k, n := range c.all {
		out = append(out, Neighbor{IfIndex: k.ifIndex, Addr: k.addr, MAC: n.macAddr(),
			State: NeighborState(n.state.Load()), Queued: len(n.queue)})
	}
	slices.SortFunc(out, func(a, b Neighbor) int {
		return cmp.Or(cmp.Compare(a.IfIndex, b.IfIndex), a.Addr.Compare(b.Addr))
	})
	return out
}

// TickInterval is how often Run calls Tick: a tenth of RetransTimer, so
// solicitations are retransmitted within 10% of their timer.
const TickInterval = RetransTimer / 10

// Run calls Tick every TickInterval until ctx is done, and returns
// ctx.Err().
func (r *Router) Run(ctx context.Context) error {
	t := time.NewTicker(TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			r.Tick()
		}
	}
}
