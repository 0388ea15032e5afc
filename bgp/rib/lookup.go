package rib

import (
	"iter"
	"net/netip"
)

// Path is one route in the RIB.
type Path struct {
	Peer   PeerID
	PathID uint32 // ADD-PATH path identifier (RFC 7911), 0 without ADD-PATH
	Attrs  *AttrSet
	Stale  bool // kept through the peer's graceful restart, not yet sent again
}

// NextHop is the path's next hop.
func (p Path) NextHop() netip.Addr { return p.Attrs.nextHop }

func (x path) value() Path {
	return Path{Peer: x.peer, PathID: x.pathID, Attrs: x.attrs, Stale: x.stale}
}

// change is the Loc-RIB state of p. The caller holds r.mu.
func (r *RIB) change(p netip.Prefix) Change {
	c := Change{Prefix: p}
	if d := r.tab.get(p); d != nil {
		c.DecidedBy = d.by
		c.Paths = make([]Path, d.nbest)
		for i, x := range d.paths[:d.nbest] {
			c.Paths[i] = x.value()
		}
	}
	return c
}

// Best returns the best path to p and the step of the decision process
// that chose it.
func (r *RIB) Best(p netip.Prefix) (best Path, by Step, ok bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d := r.tab.get(p.Masked())
	if d == nil {
		return Path{}, 0, false
	}
	return d.paths[0].value(), d.by, true
}

// Multipath returns the ECMP set of p, best first (nil if p is unknown).
func (r *RIB) Multipath(p netip.Prefix) []Path {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.change(p.Masked()).Paths
}

// Paths returns every path to p: the ECMP set first in decision order,
// then the others (the Adj-RIBs-In for p).
func (r *RIB) Paths(p netip.Prefix) []Path {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d := r.tab.get(p.Masked())
	if d == nil {
		return nil
	}
	out := make([]Path, len(d.paths))
	for i, x := range d.paths {
		out[i] = x.value()
	}
	return out
}

// LocRIB yields every prefix with its ECMP set, best first, under the read
// lock (so the loop body must not write to the RIB). The slice is reused
// between iterations.
func (r *RIB) LocRIB() iter.Seq2[netip.Prefix, []Path] {
	return func(yield func(netip.Prefix, []Path) bool) {
		r.mu.RLock()
		defer r.mu.RUnlock()
		var buf []Path
		for p, d := range r.tab.all {
			buf = buf[:0]
			for _, x := range d.paths[:d.nbest] {
				buf = append(buf, x.value())
			}
			if !yield(p, buf) {
				return
			}
		}
	}
}

// Len is the number of prefixes with at least one path.
func (r *RIB) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.tab.len()
}

// AttrSets is the number of distinct interned attribute sets.
func (r *RIB) AttrSets() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.intern.n
}
