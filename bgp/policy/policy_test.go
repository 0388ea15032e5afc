package policy

import (
	"net/netip"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

func TestPrefixRange(t *testing.T) {
	pfx := netip.MustParsePrefix
	for _, tc := range []struct {
		r    PrefixRange
		p    string
		want bool
	}{
		{PrefixRange{Prefix: pfx("10.0.0.0/8")}, "10.0.0.0/8", true},
		{PrefixRange{Prefix: pfx("10.0.0.0/8")}, "10.1.0.0/16", false},
		{PrefixRange{Prefix: pfx("10.0.0.0/8"), LE: 24}, "10.1.0.0/16", true},
		{PrefixRange{Prefix: pfx("10.0.0.0/8"), LE: 24}, "10.1.1.0/25", false},
		{PrefixRange{Prefix: pfx("10.0.0.0/8"), GE: 24}, "10.1.1.0/24", true},
		{PrefixRange{Prefix: pfx("10.0.0.0/8"), GE: 24}, "10.1.1.1/32", true},
		{PrefixRange{Prefix: pfx("10.0.0.0/8"), GE: 24}, "10.1.0.0/16", false},
		{PrefixRange{Prefix: pfx("10.0.0.0/8"), GE: 16, LE: 20}, "10.16.0.0/12", false},
		{PrefixRange{Prefix: pfx("10.0.0.0/8"), GE: 16, LE: 20}, "10.16.16.0/20", true},
		{PrefixRange{Prefix: pfx("10.0.0.0/8"), LE: 32}, "11.0.0.0/8", false},
		{PrefixRange{Prefix: pfx("10.0.0.0/8"), LE: 32}, "9.0.0.0/7", false},
		{PrefixRange{Prefix: pfx("0.0.0.0/0"), LE: 32}, "2001:db8::/32", false},
		{PrefixRange{Prefix: pfx("2001:db8::/32"), GE: 48, LE: 64}, "2001:db8:1::/48", true},
	} {
		if got := tc.r.Contains(pfx(tc.p)); got != tc.want {
			t.Errorf("%+v contains %s: %v, want %v", tc.r, tc.p, got, tc.want)
		}
	}
}

func route(prefix string, asns ...uint32) *Route {
	return &Route{Prefix: netip.MustParsePrefix(prefix), Attrs: wire.Attributes{
		ASPath:      []wire.Segment{{Type: wire.ASSequence, ASNs: asns}},
		NextHop:     netip.MustParseAddr("10.0.0.1"),
		Communities: []wire.Community{65000<<16 | 1},
	}}
}

func ptr[T any](v T) *T { return &v }

func TestApply(t *testing.T) {
	pol := &Policy{
		Statements: []Statement{
			{Name: "bogons", Match: Match{Prefixes: []PrefixRange{{Prefix: netip.MustParsePrefix("10.0.0.0/8"), LE: 32}}}, Result: Reject},
			{Name: "too long", Match: Match{MinASPathLen: 5}, Result: Reject},
			{Name: "tag customers", Match: Match{OriginAS: []uint32{64600}}, Set: Set{LocalPref: ptr(uint32(200)), AddCommunities: []wire.Community{65000<<16 | 100}}, Result: Next},
			{Name: "depref transit", Match: Match{ASPathContains: []uint32{3356}}, Set: Set{LocalPref: ptr(uint32(50)), PrependASN: 65000, PrependCount: 2}, Result: Accept},
			{Name: "blackhole", Match: Match{Communities: []wire.Community{wire.CommunityBlackhole}}, Set: Set{NextHop: netip.MustParseAddr("192.0.2.1"), RemoveCommunities: []wire.Community{wire.CommunityBlackhole}}, Result: Accept},
		},
		Default: Accept,
	}
	t.Run("reject bogon", func(t *testing.T) {
		if got := pol.Apply(route("10.1.0.0/16", 1)); got != Reject {
			t.Fatal(got)
		}
	})
	t.Run("reject long path", func(t *testing.T) {
		if got := pol.Apply(route("192.0.2.0/24", 1, 2, 3, 4, 5)); got != Reject {
			t.Fatal(got)
		}
	})
	t.Run("next then accept, attributes shared are not changed", func(t *testing.T) {
		r := route("198.51.100.0/24", 3356, 64600)
		before := r.Attrs
		if got := pol.Apply(r); got != Accept {
			t.Fatal(got)
		}
		want := wire.Attributes{
			ASPath:       []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{65000, 65000, 3356, 64600}}},
			NextHop:      netip.MustParseAddr("10.0.0.1"),
			Communities:  []wire.Community{65000<<16 | 1, 65000<<16 | 100},
			LocalPref:    50,
			HasLocalPref: true,
		}
		if d := gocmp.Diff(want, r.Attrs, cmpopts.EquateComparable(netip.Addr{})); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
		if before.ASPath[0].ASNs[0] != 3356 || len(before.Communities) != 1 {
			t.Fatal("Apply changed the caller's slices")
		}
	})
	t.Run("blackhole", func(t *testing.T) {
		r := route("203.0.113.7/32", 64700)
		r.Attrs.Communities = append(r.Attrs.Communities, wire.CommunityBlackhole)
		if got := pol.Apply(r); got != Accept || r.Attrs.NextHop != netip.MustParseAddr("192.0.2.1") || len(r.Attrs.Communities) != 1 {
			t.Fatalf("%v %+v", got, r.Attrs)
		}
	})
}

// RFC 8212: without a policy, eBGP routes are rejected unless opted out;
// iBGP routes are accepted.
func TestEvaluateRFC8212(t *testing.T) {
	r := route("192.0.2.0/24", 1)
	for _, tc := range []struct {
		ebgp, optOut bool
		want         Result
	}{{true, false, Reject}, {true, true, Accept}, {false, false, Accept}} {
		if got := Evaluate(nil, tc.ebgp, tc.optOut, r); got != tc.want {
			t.Errorf("ebgp %v opt-out %v: %v, want %v", tc.ebgp, tc.optOut, got, tc.want)
		}
	}
	if got := Evaluate(&Policy{Default: Accept}, true, false, r); got != Accept {
		t.Errorf("with a policy: %v", got)
	}
}

func TestMatchCommunities(t *testing.T) {
	r := route("192.0.2.0/24", 1)
	r.Attrs.LargeCommunities = []wire.LargeCommunity{{GlobalAdmin: 65000, LocalData1: 1, LocalData2: 2}}
	r.Attrs.ExtendedCommunities = []wire.ExtendedCommunity{{0, 2, 0, 1, 0, 0, 0, 9}}
	for name, m := range map[string]Match{
		"large":    {LargeCommunities: []wire.LargeCommunity{{GlobalAdmin: 65000, LocalData1: 1, LocalData2: 2}}},
		"extended": {ExtendedCommunities: []wire.ExtendedCommunity{{0, 2, 0, 1, 0, 0, 0, 9}}},
		"path len": {MinASPathLen: 1, MaxASPathLen: 1},
	} {
		if !m.matches(r) {
			t.Errorf("%s: no match", name)
		}
	}
	if (&Match{LargeCommunities: []wire.LargeCommunity{{GlobalAdmin: 1}}}).matches(r) {
		t.Error("wrong large community matched")
	}
}
