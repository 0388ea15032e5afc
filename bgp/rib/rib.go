package rib

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/sdnfabric/sdnfabric/bgp/policy"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Options configures the RIB and its decision process.
type Options struct {
	LocalASN uint32     // our AS: peers in it are iBGP
	RouterID netip.Addr // our BGP Identifier: ORIGINATOR_ID loop check (RFC 4456 section 8)
	// ClusterID is our route reflection cluster (RFC 4456 section 7);
	// the zero value means RouterID.
	ClusterID netip.Addr
	// DefaultLocalPref is the LOCAL_PREF of eBGP paths and of iBGP paths
	// that carry none (100 in most implementations; zero means zero).
	DefaultLocalPref uint32
	AlwaysCompareMED bool // compare MED across neighbor ASes
	MissingMEDWorst  bool // a path without MED has the worst MED, not 0
	PreferOldest     bool // between eBGP paths, keep the older (RFC 5004)
	// IGPCost is the cost to reach a next hop; nil means all equal.
	IGPCost func(nextHop netip.Addr) uint32
	// MaxPaths is the ECMP width: the most paths in a multipath set
	// (0 and 1 mean best path only).
	MaxPaths int
	// ASPathRelax lets paths with AS_PATHs of the same length but
	// different ASes share an ECMP set ("as-path multipath-relax").
	ASPathRelax bool
}

// PeerID names a peer of the RIB.
type PeerID uint32

// PeerConfig is what the RIB knows of a peer.
type PeerConfig struct {
	Addr     netip.Addr // peer address (StepPeerAddr)
	ASN      uint32     // peer AS: LocalASN means iBGP
	RouterID netip.Addr // peer BGP Identifier (StepRouterID)
	Weight   uint32     // local preference of every path from the peer (StepWeight)
	RRClient bool       // a route reflection client (RFC 4456)

	// Import is the peer's import policy. With none, iBGP paths are
	// accepted and eBGP paths rejected, as RFC 8212 requires, unless
	// AllowWithoutPolicy.
	Import             *policy.Policy
	AllowWithoutPolicy bool
	// SoftReconfig keeps every path as received (the pre-policy
	// Adj-RIB-In), so SetImportPolicy can apply a new policy without
	// asking the peer to send its routes again (RFC 2918).
	SoftReconfig bool
	// MaxPrefixes, if not zero, is the most paths the peer may have after
	// import: the UPDATE that goes beyond makes Ingest return a
	// *MaxPrefixError (the session then sends a Cease NOTIFICATION with
	// subcode 1, RFC 4486, and removes the peer).
	MaxPrefixes int
}

type peer struct {
	cfg  PeerConfig
	ebgp bool
	up   bool
	n    int // paths accepted (post-policy Adj-RIB-In size)
	nst  int // of which stale (graceful restart)

	disabled wire.FamilySet       // families ignored until the session ends (RFC 7606 section 7.11)
	pre      map[nlriKey]*AttrSet // pre-policy Adj-RIB-In, with SoftReconfig
}

// Errors.
var (
	ErrUnknownPeer = errors.New("rib: unknown peer")
	ErrFamily      = errors.New("rib: prefix is neither IPv4 nor IPv6")
)

// RIB is the routing information base of a speaker: the paths every peer
// announced (Adj-RIBs-In, after import checks), the best path and ECMP set
// of each prefix (Loc-RIB), and the subscriptions that watch them.
//
// All methods are safe for concurrent use. Writes (Ingest, Announce,
// Withdraw, RemovePeer) hold one lock: the RIB is meant to have a single
// writer goroutine draining the sessions' updates, as BIRD has one thread;
// readers (Lookup, All) share a read lock. Subscribers never block a
// writer (see Subscription).
type RIB struct {
	mu     sync.RWMutex
	opts   Options
	peers  []peer
	intern internTable
	tab    table
	subs   []*Subscription
	age    uint64
	canon  canonicalizer

	// import policy: a canonicalizer of its own (Ingest's is in use while
	// policies run) and the last attribute set decoded for a policy
	policyCanon  canonicalizer
	decoded      *AttrSet
	decodedAttrs wire.Attributes

	// reused by the decision process
	scratchCands, scratchMED, scratchMulti, scratchSet []candidate
	scratchOld, scratchOrder                           []path
}

// New returns an empty RIB.
func New(opts Options) *RIB {
	opts.MaxPaths = min(opts.MaxPaths, 255)
	if !opts.ClusterID.IsValid() {
		opts.ClusterID = opts.RouterID
	}
	return &RIB{opts: opts, intern: newInternTable(), tab: newTable()}
}

// AddPeer adds a peer and returns its ID.
func (r *RIB) AddPeer(cfg PeerConfig) PeerID {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := peer{cfg: cfg, ebgp: cfg.ASN != r.opts.LocalASN, up: true}
	if cfg.SoftReconfig {
		p.pre = make(map[nlriKey]*AttrSet)
	}
	r.peers = append(r.peers, p)
	return PeerID(len(r.peers) - 1)
}

// RemovePeer withdraws every path of the peer (its session went down).
// The ID stays allocated; AddPeer makes a new one.
func (r *RIB) RemovePeer(id PeerID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(id) >= len(r.peers) {
		return fmt.Errorf("%w %d", ErrUnknownPeer, id)
	}
	r.peers[id].up = false
	for k, s := range r.peers[id].pre {
		r.intern.release(s)
		delete(r.peers[id].pre, k)
	}
	var gone []netip.Prefix
	for p, d := range r.tab.all {
		for _, x := range d.paths {
			if x.peer == id {
				gone = append(gone, p)
				break
			}
		}
	}
	for _, p := range gone {
		for {
			d := r.tab.get(p)
			if d == nil {
				break
			}
			i := slices.IndexFunc(d.paths, func(x path) bool { return x.peer == id })
			if i < 0 {
				break
			}
			r.withdraw(id, p, d.paths[i].pathID)
		}
	}
	return nil
}

// Ingest applies one UPDATE received from the peer: every withdrawn prefix
// is removed, then every announced prefix gets the UPDATE's attributes,
// interned once per next hop (NEXT_HOP and MP_REACH_NLRI may differ).
// An UPDATE that RFC 7606 says to treat as a withdrawal withdraws all its
// prefixes. Announcements that fail the loop checks (our AS in the AS_PATH
// of an eBGP path, RFC 4271 section 9.1.2; our ROUTER_ID as ORIGINATOR_ID
// or our cluster in CLUSTER_LIST, RFC 4456 section 8) are treated as
// withdrawals. Only unicast prefixes are kept.
//
// For an attribute set already interned and a prefix already known,
// Ingest does not allocate.
func (r *RIB) Ingest(id PeerID, u *wire.Update) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(id) >= len(r.peers) || !r.peers[id].up {
		return fmt.Errorf("%w %d", ErrUnknownPeer, id)
	}
	pr := &r.peers[id]
	for f, n := range u.Unreachable() {
		if (f == wire.IPv4Unicast || f == wire.IPv6Unicast) && !pr.disabled.Has(f) {
			r.forgetPre(id, n)
			r.withdraw(id, n.Prefix, n.PathID)
		}
	}
	switch u.Action() {
	case wire.ActionTreatAsWithdraw:
		return nil
	case wire.ActionAFISAFIDisable:
		// RFC 7606 section 7.11, RFC 4760 section 7: forget the family's
		// paths from the peer and ignore it until the session ends.
		for f := range u.Disable().All() {
			if !pr.disabled.Has(f) {
				pr.disabled = pr.disabled.With(f)
				r.dropFamily(id, f)
			}
		}
		return nil
	}
	var err error
	nrec := -1
	loop := false
	intern := func(nh, ll netip.Addr) *AttrSet {
		if nrec < 0 {
			nrec = r.canon.base(u)
		}
		return r.intern.intern(r.canon.encode(nrec, nh, ll))
	}
	var set *AttrSet
	for n := range u.NLRI() {
		if pr.disabled.Has(wire.IPv4Unicast) {
			break
		}
		if set == nil {
			nh := netip.Addr{}
			if a, ok := u.Attr(wire.AttrNextHop); ok {
				nh = a.NextHop()
			}
			set = intern(nh, netip.Addr{})
			loop = r.looped(id, set)
		}
		if e := r.admit(id, n, set, loop); e != nil {
			err = e
		}
	}
	if set != nil {
		r.intern.release(set)
		set = nil
	}
	if mp, ok := u.MPReach(); ok && (mp.Family == wire.IPv4Unicast || mp.Family == wire.IPv6Unicast) && !pr.disabled.Has(mp.Family) {
		for n := range mp.NLRI() {
			if set == nil {
				set = intern(mp.NextHop, mp.LinkLocal)
				loop = r.looped(id, set)
			}
			if e := r.admit(id, n, set, loop); e != nil {
				err = e
			}
		}
		if set != nil {
			r.intern.release(set)
		}
	}
	return err
}

// looped reports whether a path with attributes s from peer id is one the
// loop checks refuse.
func (r *RIB) looped(id PeerID, s *AttrSet) bool {
	p := &r.peers[id]
	if p.ebgp && r.opts.LocalASN != 0 {
		for seg := range s.ASPath().Segments() {
			for a := range seg.ASNs() {
				if a == r.opts.LocalASN {
					return true
				}
			}
		}
	}
	if s.originatorID.IsValid() && s.originatorID == r.opts.RouterID {
		return true
	}
	if s.clusterLen > 0 {
		v, _ := s.Attr(wire.AttrClusterList)
		c := r.opts.ClusterID.As4()
		for ; len(v) >= 4; v = v[4:] {
			if [4]byte(v) == c {
				return true
			}
		}
	}
	return false
}

// Announce adds or replaces the peer's path to n.Prefix with attributes
// built from attrs (for routes that come from elsewhere than an UPDATE:
// tests, static routes). It allocates; Ingest is the fast path.
func (r *RIB) Announce(id PeerID, n wire.NLRI, attrs *wire.Attributes) error {
	u, err := encodeUpdate(n, attrs)
	if err != nil {
		return err
	}
	return r.Ingest(id, &u)
}

// Withdraw removes the peer's path to n.Prefix, if any.
func (r *RIB) Withdraw(id PeerID, n wire.NLRI) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(id) >= len(r.peers) {
		return fmt.Errorf("%w %d", ErrUnknownPeer, id)
	}
	r.forgetPre(id, n)
	r.withdraw(id, n.Prefix, n.PathID)
	return nil
}

// announce stores the path (taking a reference to s), or withdraws it when
// the loop checks refused it.
func (r *RIB) announce(id PeerID, n wire.NLRI, s *AttrSet, loop bool) {
	p := n.Prefix.Masked()
	if loop {
		r.withdraw(id, p, n.PathID)
		return
	}
	d := r.tab.getOrAdd(p)
	i := slices.IndexFunc(d.paths, func(x path) bool { return x.peer == id && x.pathID == n.PathID })
	old := r.saveBest(d)
	if i >= 0 {
		x := &d.paths[i]
		r.unstale(x)
		if x.attrs == s {
			return // nothing else changed
		}
		r.intern.release(x.attrs)
		s.refs++
		r.age++
		x.attrs, x.age = s, r.age
	} else {
		s.refs++
		r.age++
		d.paths = append(d.paths, path{attrs: s, peer: id, pathID: n.PathID, age: r.age})
		r.peers[id].n++
		if k, ok := r.dominated(d, len(d.paths)-1); ok {
			// The new path loses to the best before MED: nothing else
			// changes, but the step that decides may come later.
			d.by = max(d.by, k)
			return
		}
	}
	r.recompute(p, d, old)
}

func (r *RIB) withdraw(id PeerID, p netip.Prefix, pathID uint32) {
	p = p.Masked()
	d := r.tab.get(p)
	if d == nil {
		return
	}
	i := slices.IndexFunc(d.paths, func(x path) bool { return x.peer == id && x.pathID == pathID })
	if i < 0 {
		return
	}
	old := r.saveBest(d)
	r.unstale(&d.paths[i])
	r.intern.release(d.paths[i].attrs)
	d.paths = slices.Delete(d.paths, i, i+1)
	r.peers[id].n--
	if len(d.paths) == 0 {
		r.tab.remove(p)
		if len(old) > 0 {
			r.notify(p)
		}
		return
	}
	r.recompute(p, d, old)
}

// saveBest copies the ECMP set of d before a change.
func (r *RIB) saveBest(d *dest) []path {
	r.scratchOld = append(r.scratchOld[:0], d.paths[:d.nbest]...)
	return r.scratchOld
}

// recompute reruns the decision process for d, puts the ECMP set first,
// and tells subscribers if the set differs from old.
func (r *RIB) recompute(p netip.Prefix, d *dest, old []path) {
	cs := r.scratchCands[:0]
	for i := range d.paths {
		cs = append(cs, candidate{p: &d.paths[i], peer: &r.peers[d.paths[i].peer]})
	}
	r.scratchCands = cs
	var set []candidate
	if len(cs) == 1 {
		d.nbest, d.by = 1, StepOnly
		set = cs
	} else {
		_, d.by, set = r.decide(cs, r.scratchSet[:0])
		r.scratchSet = set
		// the set first, in order, then the others
		ord := r.scratchOrder[:0]
		for _, c := range set {
			ord = append(ord, *c.p)
		}
		for i := range d.paths {
			member := false
			for _, c := range set {
				member = member || c.p == &d.paths[i]
			}
			if !member {
				ord = append(ord, d.paths[i])
			}
		}
		r.scratchOrder = ord
		copy(d.paths, ord)
		d.nbest = uint8(len(set))
	}
	if !slices.Equal(old, d.paths[:d.nbest]) {
		r.notify(p)
	}
}
