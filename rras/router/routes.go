package router

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sdnfabric/sdnfabric/rras/lpm"
)

// Well-known route sources and their default administrative distances
// (the values Cisco and FRR use).
const (
	SourceConnected = "connected"
	SourceStatic    = "static"
	SourceEBGP      = "ebgp"
	SourceIBGP      = "ibgp"
)

// DefaultDistance is the administrative distance of a source that has none
// set with [RIB.SetDistance] and is not one of the well-known sources.
const DefaultDistance = 200

// MaxNextHops is the largest ECMP set a route may carry.
const MaxNextHops = 64

func wellKnownDistance(source string) uint8 {
	if strings.HasPrefix(source, SourceConnected+":") {
		return 0
	}
	switch source {
	case SourceConnected:
		return 0
	case SourceStatic:
		return 1
	case SourceEBGP:
		return 20
	case SourceIBGP:
		return 200
	}
	return DefaultDistance
}

// ErrInvalidRoute is wrapped by the *RouteError returned for a route the RIB
// refuses.
var ErrInvalidRoute = errors.New("invalid route")

// RouteError says which route was refused and why.
type RouteError struct {
	Source string
	Prefix netip.Prefix
	Reason string
}

func (e *RouteError) Error() string {
	return fmt.Sprintf("router: route %s from %q: %s: %v", e.Prefix, e.Source, e.Reason, ErrInvalidRoute)
}

// Unwrap returns ErrInvalidRoute.
func (e *RouteError) Unwrap() error { return ErrInvalidRoute }

// NextHop is one next hop of a route: a gateway address, an interface,
// or both. A zero Addr means the destination is directly connected on
// IfIndex. An IfIndex of 0 means the gateway is resolved through the
// connected route covering Addr when a packet is forwarded (as BGP next hops
// on a shared subnet are).
type NextHop struct {
	Addr    netip.Addr
	IfIndex int
}

func (h NextHop) compare(o NextHop) int {
	if c := cmp.Compare(h.IfIndex, o.IfIndex); c != 0 {
		return c
	}
	return h.Addr.Compare(o.Addr)
}

// NextHopSet is the installed, immutable result of route selection: the
// winning source, its distance and its sorted ECMP next hops. The forwarding
// table holds it by pointer, and prefixes with the same result share one
// (a full BGP table has as many sets as next-hop combinations, not
// prefixes); a change publishes a new pointer.
type NextHopSet struct {
	Source   string
	Distance uint8
	Hops     []NextHop // sorted by IfIndex, then Addr; never empty

	// neighbors caches, per gateway hop, the neighbor entry it resolved
	// to, so forwarding skips the neighbor-cache lookup. The only mutable
	// part of a set; entries are checked before use.
	neighbors []atomic.Pointer[neighbor]
}

// Pick returns the next hop for a packet with flow hash h: Hops[h mod n].
func (s *NextHopSet) Pick(h uint64) NextHop {
	return s.Hops[s.pick(h)]
}

func (s *NextHopSet) pick(h uint64) int { return int(h % uint64(len(s.Hops))) }

// RouteSink is what a route source (a BGP RIB subscription, a static
// configuration) feeds. *RIB implements it.
type RouteSink interface {
	// Replace sets the next hops source offers for prefix; an empty hops
	// withdraws the prefix from that source.
	Replace(source string, prefix netip.Prefix, hops []NextHop) error
	// WithdrawSource removes every route of source and returns how many
	// there were.
	WithdrawSource(source string) int
}

var _ RouteSink = (*RIB)(nil)

// offer is one source's route for a prefix.
type offer struct {
	source string
	hops   []NextHop
}

// RIB holds the routes of every source and installs the best per prefix
// into the forwarding table. Writers serialise on a mutex; the forwarding
// table they publish into is read without locks.
type RIB struct {
	mu       sync.Mutex
	offers   map[netip.Prefix][]offer
	bySource map[string]map[netip.Prefix]struct{}
	distance map[string]uint8
	sets     map[string]*NextHopSet // interned installed sets
	fib      *lpm.Table[*NextHopSet]
}

// maxInterned bounds the interning map; past it the map starts afresh (sets
// already installed stay valid, they are just no longer shared with new
// routes).
const maxInterned = 1 << 16

func newRIB(fib *lpm.Table[*NextHopSet]) *RIB {
	return &RIB{
		offers:   make(map[netip.Prefix][]offer),
		bySource: make(map[string]map[netip.Prefix]struct{}),
		distance: make(map[string]uint8),
		sets:     make(map[string]*NextHopSet),
		fib:      fib,
	}
}

// Distance returns the administrative distance of source.
func (r *RIB) Distance(source string) uint8 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.distanceLocked(source)
}

func (r *RIB) distanceLocked(source string) uint8 {
	if d, ok := r.distance[source]; ok {
		return d
	}
	return wellKnownDistance(source)
}

// SetDistance sets the administrative distance of source and reselects
// every prefix it offers.
func (r *RIB) SetDistance(source string, d uint8) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.distance[source] = d
	_ = r.fib.Update(func(b *lpm.Batch[*NextHopSet]) error {
		for p := range r.bySource[source] {
			r.install(b, p)
		}
		return nil
	})
}

// Replace sets the next hops source offers for prefix, replacing what it
// offered before; an empty hops withdraws it. The prefix is masked. Next hops
// are copied, deduplicated and sorted. A route is refused (with a *RouteError)
// if the prefix is invalid, a next hop's address is of the other family or
// neither address nor interface is set, or there are more than MaxNextHops.
func (r *RIB) Replace(source string, prefix netip.Prefix, hops []NextHop) error {
	hs, err := checkRoute(source, prefix, hops)
	if err != nil {
		return err
	}
	prefix = prefix.Masked()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set(source, prefix, hs) {
		// A single change goes straight into the table, which clones only
		// the node it changes (a batch would path-copy to the root).
		r.install(r.fib, prefix)
	}
	return nil
}

// Route is one prefix and the next hops a source offers for it, for
// ReplaceBatch. Empty Hops withdraws the prefix.
type Route struct {
	Prefix netip.Prefix
	Hops   []NextHop
}

// ReplaceBatch applies Replace for each route of source and publishes the
// result to readers at once: the NLRI of a BGP UPDATE, or a whole table
// after a session comes up, is one call and one publication. If any route is
// refused, nothing is applied and its *RouteError is returned.
func (r *RIB) ReplaceBatch(source string, routes []Route) error {
	checked := make([]Route, len(routes))
	for i, rt := range routes {
		hs, err := checkRoute(source, rt.Prefix, rt.Hops)
		if err != nil {
			return err
		}
		checked[i] = Route{rt.Prefix.Masked(), hs}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fib.Update(func(b *lpm.Batch[*NextHopSet]) error {
		var prev []NextHop
		for _, rt := range checked {
			// Consecutive routes with equal next hops (one UPDATE) share
			// one slice.
			if slices.Equal(prev, rt.Hops) && len(prev) > 0 {
				rt.Hops = prev
			}
			prev = rt.Hops
			if r.set(source, rt.Prefix, rt.Hops) {
				r.install(b, rt.Prefix)
			}
		}
		return nil
	})
}

// Withdraw removes the route source offers for prefix.
func (r *RIB) Withdraw(source string, prefix netip.Prefix) {
	_ = r.Replace(source, prefix, nil)
}

// WithdrawSource removes every route of source (for example when its BGP
// session goes down) and publishes the result to readers at once.
func (r *RIB) WithdrawSource(source string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := r.bySource[source]
	n := len(ps)
	_ = r.fib.Update(func(b *lpm.Batch[*NextHopSet]) error {
		for p := range ps {
			r.set(source, p, nil)
			r.install(b, p)
		}
		return nil
	})
	return n
}

// Lookup returns the installed next-hop set for the longest prefix covering
// addr.
func (r *RIB) Lookup(addr netip.Addr) (*NextHopSet, bool) {
	return r.fib.Lookup(addr)
}

// Len returns the number of installed prefixes.
func (r *RIB) Len() int { return r.fib.Len() }

func checkRoute(source string, prefix netip.Prefix, hops []NextHop) ([]NextHop, error) {
	fail := func(reason string) error { return &RouteError{Source: source, Prefix: prefix, Reason: reason} }
	if !prefix.IsValid() {
		return nil, fail("invalid prefix")
	}
	if source == "" {
		return nil, fail("empty source name")
	}
	if len(hops) > MaxNextHops {
		return nil, fail(fmt.Sprintf("%d next hops, more than %d", len(hops), MaxNextHops))
	}
	if len(hops) == 0 {
		return nil, nil
	}
	hs := make([]NextHop, 0, len(hops))
	for _, h := range hops {
		if h.IfIndex < 0 {
			return nil, fail(fmt.Sprintf("negative interface index %d", h.IfIndex))
		}
		if !h.Addr.IsValid() {
			if h.IfIndex == 0 {
				return nil, fail("next hop with neither address nor interface")
			}
		} else {
			h.Addr = h.Addr.WithZone("")
			if h.Addr.Is4In6() && prefix.Addr().Is4() {
				h.Addr = h.Addr.Unmap()
			}
			if h.Addr.Is4() != prefix.Addr().Is4() {
				return nil, fail(fmt.Sprintf("next hop %s of the other address family", h.Addr))
			}
		}
		hs = append(hs, h)
	}
	slices.SortFunc(hs, NextHop.compare)
	return slices.CompactFunc(hs, func(a, b NextHop) bool { return a == b }), nil
}

// set records source's offer for p (nil hops removes it) and reports whether
// anything changed.
func (r *RIB) set(source string, p netip.Prefix, hops []NextHop) bool {
	os := r.offers[p]
	i := slices.IndexFunc(os, func(o offer) bool { return o.source == source })
	switch {
	case len(hops) == 0 && i < 0:
		return false
	case len(hops) == 0:
		os = slices.Delete(os, i, i+1)
		delete(r.bySource[source], p)
		if len(r.bySource[source]) == 0 {
			delete(r.bySource, source)
		}
	case i >= 0:
		if slices.Equal(os[i].hops, hops) {
			return false
		}
		os[i].hops = hops
	default:
		os = append(os, offer{source: source, hops: hops})
		if r.bySource[source] == nil {
			r.bySource[source] = make(map[netip.Prefix]struct{})
		}
		r.bySource[source][p] = struct{}{}
	}
	if len(os) == 0 {
		delete(r.offers, p)
	} else {
		r.offers[p] = os
	}
	return true
}

// fibWriter is an lpm.Table or an lpm.Batch.
type fibWriter interface {
	Insert(p netip.Prefix, v *NextHopSet) error
	Delete(p netip.Prefix) bool
}

// install selects the best offer for p and writes it into the table or
// batch.
func (r *RIB) install(b fibWriter, p netip.Prefix) {
	var best *offer
	var bestD uint8
	for i := range r.offers[p] {
		o := &r.offers[p][i]
		d := r.distanceLocked(o.source)
		if best == nil || d < bestD || d == bestD && o.source < best.source {
			best, bestD = o, d
		}
	}
	if best == nil {
		b.Delete(p)
		return
	}
	_ = b.Insert(p, r.intern(best.source, bestD, best.hops))
}

func (r *RIB) intern(source string, d uint8, hops []NextHop) *NextHopSet {
	k := make([]byte, 0, len(source)+2+len(hops)*24)
	k = append(k, source...)
	k = append(k, 0, d)
	for _, h := range hops {
		k = binary.BigEndian.AppendUint64(k, uint64(h.IfIndex))
		k = append(k, byte(h.Addr.BitLen()/8))
		k, _ = h.Addr.AppendBinary(k)
	}
	if s, ok := r.sets[string(k)]; ok {
		return s
	}
	if len(r.sets) >= maxInterned {
		clear(r.sets)
	}
	s := &NextHopSet{Source: source, Distance: d, Hops: hops, neighbors: make([]atomic.Pointer[neighbor], len(hops))}
	r.sets[string(k)] = s
	return s
}
