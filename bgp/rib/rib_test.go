package rib

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// snapPath is a Path with its attributes as bytes, comparable across RIBs.
type snapPath struct {
	Peer   PeerID
	PathID uint32
	Attrs  string
}

func snap(ps []Path) []snapPath {
	out := make([]snapPath, len(ps))
	for i, p := range ps {
		out[i] = snapPath{p.Peer, p.PathID, string(p.Attrs.Bytes())}
	}
	return out
}

// state is the whole RIB: each prefix's ECMP set in order and all its
// paths (sorted, the non-best ones have no order).
type state struct {
	Best map[netip.Prefix][]snapPath
	All  map[netip.Prefix][]snapPath
	Sets int
}

func ribState(r *RIB) state {
	s := state{Best: map[netip.Prefix][]snapPath{}, All: map[netip.Prefix][]snapPath{}, Sets: r.AttrSets()}
	var prefixes []netip.Prefix
	for p, ps := range r.LocRIB() {
		s.Best[p] = snap(ps)
		prefixes = append(prefixes, p)
	}
	for _, p := range prefixes {
		all := snap(r.Paths(p))
		slices.SortFunc(all, func(a, b snapPath) int {
			return cmp.Or(cmp.Compare(a.Peer, b.Peer), cmp.Compare(a.PathID, b.PathID))
		})
		s.All[p] = all
	}
	return s
}

func testAttrs(i int) *wire.Attributes {
	return &wire.Attributes{
		Origin:      wire.Origin(i % 3),
		ASPath:      []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{1, uint32(i%2) + 2}[:1+i%2]}},
		NextHop:     netip.AddrFrom4([4]byte{10, 9, 0, byte(i%3 + 1)}),
		MED:         uint32(i % 2 * 10),
		HasMED:      true,
		Communities: []wire.Community{wire.Community(i)},
	}
}

type routeKey struct {
	peer   PeerID
	prefix netip.Prefix
}

// The RIB after any interleaving of announces and withdraws equals the RIB
// built from the final set of routes; a subscriber that drained its changes
// sees the Loc-RIB.
func TestInterleavingEqualsFinalSet(t *testing.T) {
	prefixes := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	rapid.Check(t, func(t *rapid.T) {
		o := Options{LocalASN: testASN, RouterID: testRouterID, DefaultLocalPref: 100,
			MaxPaths: rapid.IntRange(1, 3).Draw(t, "maxpaths"), AlwaysCompareMED: rapid.Bool().Draw(t, "alwaysMED")}
		peers := []PeerConfig{
			{Addr: netip.MustParseAddr("10.0.0.1"), ASN: 1, RouterID: netip.MustParseAddr("10.1.0.1")},
			{Addr: netip.MustParseAddr("10.0.0.2"), ASN: 1, RouterID: netip.MustParseAddr("10.1.0.2")},
			{Addr: netip.MustParseAddr("10.0.0.3"), ASN: testASN, RouterID: netip.MustParseAddr("10.1.0.3")},
		}
		r := New(o)
		for i := range peers {
			peers[i].AllowWithoutPolicy = true
			r.AddPeer(peers[i])
		}
		sub := r.Subscribe()
		final := map[routeKey]int{}
		for range rapid.IntRange(0, 60).Draw(t, "ops") {
			k := routeKey{PeerID(rapid.IntRange(0, 2).Draw(t, "peer")), rapid.SampledFrom(prefixes).Draw(t, "prefix")}
			if rapid.Bool().Draw(t, "announce") {
				i := rapid.IntRange(0, 5).Draw(t, "attrs")
				a := testAttrs(i)
				if k.prefix.Addr().Is6() {
					a.NextHop = netip.MustParseAddr("2001:db8:ffff::1")
				}
				if err := r.Announce(k.peer, wire.NLRI{Prefix: k.prefix}, a); err != nil {
					t.Fatal(err)
				}
				final[k] = i
			} else {
				if err := r.Withdraw(k.peer, wire.NLRI{Prefix: k.prefix}); err != nil {
					t.Fatal(err)
				}
				delete(final, k)
			}
		}
		fresh := New(o)
		for _, c := range peers {
			fresh.AddPeer(c)
		}
		keys := make([]routeKey, 0, len(final))
		for k := range final {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b routeKey) int {
			return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
		})
		for _, k := range keys {
			a := testAttrs(final[k])
			if k.prefix.Addr().Is6() {
				a.NextHop = netip.MustParseAddr("2001:db8:ffff::1")
			}
			if err := fresh.Announce(k.peer, wire.NLRI{Prefix: k.prefix}, a); err != nil {
				t.Fatal(err)
			}
		}
		want := ribState(fresh)
		if d := gocmp.Diff(want, ribState(r)); d != "" {
			t.Fatalf("RIB after interleaving (-final set +interleaved):\n%s", d)
		}

		view := map[netip.Prefix][]snapPath{}
		for sub.Pending() > 0 {
			changes, err := sub.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range changes {
				if len(c.Paths) == 0 {
					delete(view, c.Prefix)
				} else {
					view[c.Prefix] = snap(c.Paths)
				}
			}
		}
		if d := gocmp.Diff(want.Best, view); d != "" {
			t.Fatalf("subscriber view (-Loc-RIB +view):\n%s", d)
		}
	})
}
