package mux

import (
	"net/netip"
	"sync/atomic"

	"github.com/sdnfabric/sdnfabric/slb/maglev"
)

// A backend is one DIP of one pool, as the data path sees it. Backends
// live in the Mux's registry under a stable slot number, which is what
// flow-table entries store; a backend keeps its slot across
// configurations for as long as it stays in its pool (also when it moves
// to another host), and after its
// removal for its drain time plus the longest idle timeout, after which
// no live flow can refer to it and the slot is reused.
type backend struct {
	slot   uint32
	id     backendID
	hostPA netip.Addr  // where it is: a move replaces the backend in its slot
	tmpl   [2]template // by inner family: [0] IPv4, [1] IPv6

	down     atomic.Bool // SetHealth marked its DIP (in its VNI) unhealthy: out of the Maglev tables
	removed  atomic.Bool
	drainEnd atomic.Uint32 // ticks; when removed, existing flows move on after it
	freeAt   uint32        // ticks; when removed, the slot is reusable after it (under Mux.mu)
}

// backendID identifies a backend across configurations.
type backendID struct {
	pool string // load balancer name/pool name
	name string // slb.Backend.Key, the Maglev name
	dip  netip.Addr
	vni  uint32
}

// A vnetDIP is a DIP in its virtual network, what health is kept by:
// tenants' virtual networks may reuse each other's addresses.
type vnetDIP struct {
	vni uint32
	dip netip.Addr
}

// vnetDIP returns the DIP of the backend in its virtual network.
func (id backendID) vnetDIP() vnetDIP { return vnetDIP{id.vni, id.dip} }

// gone reports whether b was removed and its drain time has passed.
func (b *backend) gone(now uint32) bool {
	return b.removed.Load() && int32(now-b.drainEnd.Load()) >= 0
}

// takesNew reports whether new flows may go to b: it is healthy and in
// its pool, not draining. A connection-opening SYN whose flow entry
// names a backend that takes none is a new flow (see Mux.flow).
func (b *backend) takesNew() bool { return !b.down.Load() && !b.removed.Load() }

// A pool is a backend pool of the current configuration with its Maglev
// table over the healthy members, replaced atomically on every change.
type pool struct {
	id      string
	members []*backend // configuration order
	weights []uint32   // by member
	table   atomic.Pointer[poolTable]
}

// A poolTable is a Maglev table and, by the table's backend index, the
// backends' slots.
type poolTable struct {
	t     *maglev.Table
	slots []uint32
}

// pick returns the slot of the backend that owns hash, or false when the
// pool has no healthy backend.
func (p *pool) pick(hash uint64) (uint32, bool) {
	pt := p.table.Load()
	i := pt.t.Lookup(hash)
	if i < 0 {
		return 0, false
	}
	return pt.slots[i], true
}

// rebuild builds the pool's table over its members that down does not
// mark, and publishes it. With minimal set it rebuilds from the table the
// pool has (see Config.MinimalDisruption), if any.
func (p *pool) rebuild(size int, down map[vnetDIP]bool, minimal bool) error {
	bs := make([]maglev.Backend, 0, len(p.members))
	for i, b := range p.members {
		if !down[b.id.vnetDIP()] {
			bs = append(bs, maglev.Backend{Name: b.id.name, Weight: p.weights[i]})
		}
	}
	var t *maglev.Table
	var err error
	if prev := p.table.Load(); minimal && prev != nil {
		t, err = maglev.Rebuild(prev.t, bs)
	} else {
		t, err = maglev.New(size, bs)
	}
	if err != nil {
		return err
	}
	pt := &poolTable{t: t, slots: make([]uint32, t.Len())}
	for _, b := range p.members {
		if i, ok := t.Index(b.id.name); ok {
			pt.slots[i] = b.slot
		}
	}
	p.table.Store(pt)
	return nil
}

// healthy reports whether the pool's table has a backend.
func (p *pool) healthy() bool {
	return p.table.Load().t.Len() > 0
}
