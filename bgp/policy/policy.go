package policy

import (
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Result is what a policy decides for a route.
type Result uint8

const (
	Next   Result = iota // a statement's result: go on to the next statement
	Accept               // keep the route (with the changes made so far)
	Reject               // drop the route
)

func (r Result) String() string {
	return [...]string{"next", "accept", "reject"}[min(int(r), 2)]
}

// Policy is an ordered list of statements; the first statement whose match
// holds and whose Result is not Next decides. Default decides when none
// does (the zero value rejects nothing: set Reject explicitly).
type Policy struct {
	Statements []Statement
	Default    Result
}

// Statement is one term of a policy: if Match holds, Set is applied and
// Result is returned (Next carries on with the changed route).
type Statement struct {
	Name   string
	Match  Match
	Set    Set
	Result Result
}

// PrefixRange matches prefixes inside Prefix whose length is in
// [GE, LE]; GE and LE zero mean exactly Prefix's length, LE zero with GE
// set means up to the address length.
type PrefixRange struct {
	Prefix netip.Prefix
	GE, LE int
}

// Contains reports whether p falls in the range.
func (r PrefixRange) Contains(p netip.Prefix) bool {
	if p.Addr().Is4() != r.Prefix.Addr().Is4() || p.Bits() < r.Prefix.Bits() || !r.Prefix.Contains(p.Addr()) {
		return false
	}
	ge, le := r.GE, r.LE
	switch {
	case ge == 0 && le == 0:
		ge, le = r.Prefix.Bits(), r.Prefix.Bits()
	case ge == 0:
		ge = r.Prefix.Bits()
	case le == 0:
		le = p.Addr().BitLen()
	}
	return p.Bits() >= ge && p.Bits() <= le
}

// Match is a conjunction: every condition that is set must hold. Within a
// list, any element matching is enough.
type Match struct {
	Prefixes            []PrefixRange
	ASPathContains      []uint32 // some AS of the path is one of these
	OriginAS            []uint32 // the rightmost AS of the path is one of these
	MinASPathLen        int      // path length (RFC 4271 9.1.2.2 counting) at least this
	MaxASPathLen        int      // and at most this, if not zero
	Communities         []wire.Community
	ExtendedCommunities []wire.ExtendedCommunity
	LargeCommunities    []wire.LargeCommunity
}

// Set is the changes a statement makes.
type Set struct {
	LocalPref           *uint32
	MED                 *uint32
	AddCommunities      []wire.Community
	RemoveCommunities   []wire.Community
	AddLargeCommunities []wire.LargeCommunity
	PrependASN          uint32 // prepend this AS ...
	PrependCount        int    // ... this many times
	NextHop             netip.Addr
}

// Route is what a policy sees and changes. Apply copies the slices of
// Attrs before changing them, so Attrs may share them with others.
type Route struct {
	Prefix netip.Prefix
	Attrs  wire.Attributes
	// Changed is set by Apply when a statement that matched had changes
	// to make, so a caller can keep its unchanged copy of the attributes.
	Changed bool
}

// Apply runs the policy over r, changing r.Attrs as the statements say.
func (p *Policy) Apply(r *Route) Result {
	for i := range p.Statements {
		s := &p.Statements[i]
		if !s.Match.matches(r) {
			continue
		}
		if !s.Set.empty() {
			s.Set.apply(&r.Attrs)
			r.Changed = true
		}
		if s.Result != Next {
			return s.Result
		}
	}
	return p.Default
}

// Evaluate applies pol to r for a route to or from a peer. With no policy
// (pol nil), routes of iBGP sessions are accepted and routes of eBGP
// sessions rejected, as RFC 8212 requires, unless allowWithoutPolicy.
func Evaluate(pol *Policy, ebgp, allowWithoutPolicy bool, r *Route) Result {
	if pol == nil {
		if ebgp && !allowWithoutPolicy {
			return Reject
		}
		return Accept
	}
	return pol.Apply(r)
}

func (m *Match) matches(r *Route) bool {
	if len(m.Prefixes) > 0 && !slices.ContainsFunc(m.Prefixes, func(pr PrefixRange) bool { return pr.Contains(r.Prefix) }) {
		return false
	}
	a := &r.Attrs
	if len(m.ASPathContains) > 0 && !slices.ContainsFunc(a.ASPath, func(s wire.Segment) bool {
		return slices.ContainsFunc(s.ASNs, func(asn uint32) bool { return slices.Contains(m.ASPathContains, asn) })
	}) {
		return false
	}
	if len(m.OriginAS) > 0 {
		origin, ok := originAS(a.ASPath)
		if !ok || !slices.Contains(m.OriginAS, origin) {
			return false
		}
	}
	if m.MinASPathLen > 0 || m.MaxASPathLen > 0 {
		n := pathLen(a.ASPath)
		if n < m.MinASPathLen || (m.MaxASPathLen > 0 && n > m.MaxASPathLen) {
			return false
		}
	}
	if len(m.Communities) > 0 && !slices.ContainsFunc(a.Communities, func(c wire.Community) bool { return slices.Contains(m.Communities, c) }) {
		return false
	}
	if len(m.ExtendedCommunities) > 0 && !slices.ContainsFunc(a.ExtendedCommunities, func(c wire.ExtendedCommunity) bool {
		return slices.Contains(m.ExtendedCommunities, c)
	}) {
		return false
	}
	if len(m.LargeCommunities) > 0 && !slices.ContainsFunc(a.LargeCommunities, func(c wire.LargeCommunity) bool {
		return slices.Contains(m.LargeCommunities, c)
	}) {
		return false
	}
	return true
}

// originAS is the rightmost AS of the last AS_SEQUENCE ending the path
// (none when the path ends in an AS_SET: the origin is ambiguous).
func originAS(path []wire.Segment) (uint32, bool) {
	if len(path) == 0 {
		return 0, false
	}
	last := path[len(path)-1]
	if last.Type != wire.ASSequence || len(last.ASNs) == 0 {
		return 0, false
	}
	return last.ASNs[len(last.ASNs)-1], true
}

// pathLen counts as the decision process does: an AS_SET is one,
// confederation segments nothing.
func pathLen(path []wire.Segment) int {
	n := 0
	for _, s := range path {
		switch s.Type {
		case wire.ASSequence:
			n += len(s.ASNs)
		case wire.ASSet:
			n++
		}
	}
	return n
}

func (s *Set) empty() bool {
	return s.LocalPref == nil && s.MED == nil && len(s.AddCommunities) == 0 && len(s.RemoveCommunities) == 0 &&
		len(s.AddLargeCommunities) == 0 && s.PrependCount == 0 && !s.NextHop.IsValid()
}

func (s *Set) apply(a *wire.Attributes) {
	if s.LocalPref != nil {
		a.LocalPref, a.HasLocalPref = *s.LocalPref, true
	}
	if s.MED != nil {
		a.MED, a.HasMED = *s.MED, true
	}
	if len(s.RemoveCommunities) > 0 {
		a.Communities = slices.DeleteFunc(slices.Clone(a.Communities), func(c wire.Community) bool {
			return slices.Contains(s.RemoveCommunities, c)
		})
	}
	for _, c := range s.AddCommunities {
		if !slices.Contains(a.Communities, c) {
			a.Communities = append(slices.Clip(a.Communities), c)
		}
	}
	for _, c := range s.AddLargeCommunities {
		if !slices.Contains(a.LargeCommunities, c) {
			a.LargeCommunities = append(slices.Clip(a.LargeCommunities), c)
		}
	}
	if s.PrependCount > 0 {
		pre := slices.Repeat([]uint32{s.PrependASN}, s.PrependCount)
		if len(a.ASPath) > 0 && a.ASPath[0].Type == wire.ASSequence && len(a.ASPath[0].ASNs)+s.PrependCount <= 255 {
			path := slices.Clone(a.ASPath)
			path[0].ASNs = append(pre, path[0].ASNs...)
			a.ASPath = path
		} else {
			a.ASPath = append([]wire.Segment{{Type: wire.ASSequence, ASNs: pre}}, a.ASPath...)
		}
	}
	if s.NextHop.IsValid() {
		a.NextHop, a.LinkLocal = s.NextHop, netip.Addr{}
	}
}
