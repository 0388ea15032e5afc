package rib

import (
	"bytes"
	"cmp"
	"net/netip"
	"slices"
)

// Step names one comparison of the decision process (RFC 4271 section
// 9.1.2.2 and the tie-breakers routers add to it), in the order they run.
type Step uint8

const (
	StepOnly        Step = iota // a single path: nothing to decide
	StepWeight                  // higher per-peer weight (local, never sent)
	StepLocalPref               // higher LOCAL_PREF (eBGP paths: DefaultLocalPref)
	StepASPathLen               // shorter AS_PATH (AS_SET counts one, confederation segments zero)
	StepOrigin                  // lower ORIGIN: IGP < EGP < INCOMPLETE
	StepMED                     // lower MED among paths from the same neighbor AS (or all, AlwaysCompareMED)
	StepEBGP                    // eBGP over iBGP
	StepIGPCost                 // lower IGP cost to the next hop (Options.IGPCost)
	StepOldest                  // older of two eBGP paths (Options.PreferOldest, RFC 5004)
	StepRouterID                // lower BGP Identifier, ORIGINATOR_ID when present (RFC 4456 section 9)
	StepClusterList             // shorter CLUSTER_LIST
	StepPeerAddr                // lower peer address
	StepPathID                  // lower ADD-PATH path identifier from the same peer (RFC 7911)
)

var stepNames = [...]string{"only path", "weight", "local-pref", "as-path length", "origin", "med",
	"ebgp over ibgp", "igp cost", "oldest", "router id", "cluster-list length", "peer address", "path id"}

func (s Step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return "step?"
}

// candidate is a path with what the decision process reads of its peer.
type candidate struct {
	p    *path
	peer *peer
}

// pairwise steps: negative when a is better than b.
func (r *RIB) compare(s Step, a, b candidate) int {
	switch s {
	case StepWeight:
		return cmp.Compare(b.peer.cfg.Weight, a.peer.cfg.Weight)
	case StepLocalPref:
		return cmp.Compare(r.localPref(b), r.localPref(a))
	case StepASPathLen:
		return cmp.Compare(a.p.attrs.asPathLen, b.p.attrs.asPathLen)
	case StepOrigin:
		return cmp.Compare(a.p.attrs.origin, b.p.attrs.origin)
	case StepEBGP:
		return cmp.Compare(b2i(!a.peer.ebgp), b2i(!b.peer.ebgp))
	case StepIGPCost:
		if r.opts.IGPCost == nil {
			return 0
		}
		return cmp.Compare(r.opts.IGPCost(a.p.attrs.nextHop), r.opts.IGPCost(b.p.attrs.nextHop))
	case StepOldest:
		if !r.opts.PreferOldest || !a.peer.ebgp || !b.peer.ebgp {
			return 0
		}
		return cmp.Compare(a.p.age, b.p.age)
	case StepRouterID:
		return routerID(a).Compare(routerID(b))
	case StepClusterList:
		return cmp.Compare(a.p.attrs.clusterLen, b.p.attrs.clusterLen)
	case StepPeerAddr:
		return a.peer.cfg.Addr.Compare(b.peer.cfg.Addr)
	case StepPathID:
		return cmp.Compare(a.p.pathID, b.p.pathID)
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// localPref is the LOCAL_PREF the decision uses: the attribute for iBGP
// paths, Options.DefaultLocalPref for eBGP paths and iBGP paths without one.
func (r *RIB) localPref(c candidate) uint32 {
	if lp, ok := c.p.attrs.LocalPref(); ok && !c.peer.ebgp {
		return lp
	}
	return r.opts.DefaultLocalPref
}

// routerID is the peer's BGP Identifier, or the ORIGINATOR_ID of a
// reflected path (RFC 4456 section 9).
func routerID(c candidate) netip.Addr {
	if id := c.p.attrs.originatorID; id.IsValid() {
		return id
	}
	return c.peer.cfg.RouterID
}

// med is the MED the decision uses; a missing MED is 0 (RFC 4271
// 9.1.2.2 c), or the worst value with Options.MissingMEDWorst.
func (r *RIB) med(c candidate) uint32 {
	if m, ok := c.p.attrs.MED(); ok {
		return m
	}
	if r.opts.MissingMEDWorst {
		return ^uint32(0)
	}
	return 0
}

// dominated reports whether d.paths[i] loses to the best path,
// d.paths[0], at a step before MED, and at which. Such a path is
// eliminated before any step where it could affect another path, so
// adding it changes neither the best path nor the ECMP set.
func (r *RIB) dominated(d *dest, i int) (Step, bool) {
	if d.nbest == 0 || i == 0 {
		return 0, false
	}
	x := candidate{p: &d.paths[i], peer: &r.peers[d.paths[i].peer]}
	b := candidate{p: &d.paths[0], peer: &r.peers[d.paths[0].peer]}
	for s := StepWeight; s <= StepOrigin; s++ {
		switch c := r.compare(s, x, b); {
		case c > 0:
			return s, true
		case c < 0:
			return 0, false
		}
	}
	return 0, false
}

// keepBest keeps the candidates that tie with the best under pairwise step s.
func (r *RIB) keepBest(s Step, cs []candidate) []candidate {
	best := cs[0]
	for _, c := range cs[1:] {
		if r.compare(s, c, best) < 0 {
			best = c
		}
	}
	out := cs[:0]
	for _, c := range cs {
		if r.compare(s, c, best) == 0 {
			out = append(out, c)
		}
	}
	return out
}

// keepMED appends to out every candidate of in that no other candidate
// from the same neighbor AS (any, with AlwaysCompareMED) beats on MED, as
// RFC 4271 9.1.2.2 c describes. Being a filter over the whole set, the
// outcome does not depend on the order paths arrived in (what other
// implementations call deterministic MED).
func (r *RIB) keepMED(in, out []candidate) []candidate {
	// When every candidate is comparable with every other (one neighbor
	// AS, or AlwaysCompareMED), the filter is "lowest MED": one pass.
	oneGroup := r.opts.AlwaysCompareMED
	if !oneGroup {
		oneGroup = true
		for _, c := range in[1:] {
			if c.p.attrs.neighborAS != in[0].p.attrs.neighborAS {
				oneGroup = false
				break
			}
		}
	}
	if oneGroup {
		low := r.med(in[0])
		for _, c := range in[1:] {
			low = min(low, r.med(c))
		}
		for _, c := range in {
			if r.med(c) == low {
				out = append(out, c)
			}
		}
		return out
	}
	for i, c := range in {
		beaten := false
		for j, d := range in {
			if i != j && (r.opts.AlwaysCompareMED || c.p.attrs.neighborAS == d.p.attrs.neighborAS) &&
				r.med(d) < r.med(c) {
				beaten = true
				break
			}
		}
		if !beaten {
			out = append(out, c)
		}
	}
	return out
}

// decide runs the decision process over cs (reordered in place): it
// returns the best candidate, the step that picked it, and the ECMP set
// (best first, at most Options.MaxPaths, in decision order) in ecmp.
func (r *RIB) decide(cs, ecmp []candidate) (best candidate, by Step, set []candidate) {
	live := cs
	var multi []candidate
	for s := StepWeight; s <= StepPathID && len(live) > 1; s++ {
		n := len(live)
		if s == StepMED {
			live = r.keepMED(live, r.scratchMED[:0])
			r.scratchMED = live
		} else {
			live = r.keepBest(s, live)
		}
		if len(live) == 1 && n > 1 {
			by = s
		}
		if s == StepIGPCost {
			multi = append(r.scratchMulti[:0], live...)
			r.scratchMulti = multi
		}
	}
	best = live[0]
	set = append(ecmp[:0], best)
	if r.opts.MaxPaths <= 1 || len(multi) <= 1 {
		return best, by, set
	}
	// The rest of the ECMP set: the paths still tied after the IGP cost
	// step, with the same AS_PATH as the best (or only its length, with
	// ASPathRelax) and a next hop not already in the set, picked in
	// decision order by rerunning the tie-breakers on what is left.
	rest := multi[:0]
	for _, c := range multi {
		if c.p == best.p || (!r.opts.ASPathRelax && !bytes.Equal(c.p.attrs.asPath, best.p.attrs.asPath)) {
			continue
		}
		rest = append(rest, c)
	}
	for len(set) < r.opts.MaxPaths && len(rest) > 0 {
		live := append(r.scratchMED[:0], rest...)
		for s := StepOldest; s <= StepPathID && len(live) > 1; s++ {
			live = r.keepBest(s, live)
		}
		pick := live[0]
		r.scratchMED = live
		dup := false
		for _, m := range set {
			if m.p.attrs.nextHop == pick.p.attrs.nextHop {
				dup = true
			}
		}
		if !dup {
			set = append(set, pick)
		}
		rest = slices.DeleteFunc(rest, func(c candidate) bool { return c.p == pick.p })
	}
	return best, by, set
}
