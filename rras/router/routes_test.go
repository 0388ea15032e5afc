package router

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestRouteSelection(t *testing.T) {
	r := New(Config{Output: &capture{}})
	rib := r.Routes()
	p := netip.MustParsePrefix("192.0.2.0/24")
	gw := func(s string) NextHop { return NextHop{Addr: netip.MustParseAddr(s), IfIndex: 2} }
	mustReplace := func(src string, hops ...NextHop) {
		t.Helper()
		if err := rib.Replace(src, p, hops); err != nil {
			t.Fatal(err)
		}
	}
	best := func() *NextHopSet {
		s, _ := rib.Lookup(netip.MustParseAddr("192.0.2.9"))
		return s
	}
	mustReplace(SourceIBGP, gw("10.0.0.9"))
	mustReplace(SourceEBGP, gw("10.0.0.2"), gw("10.0.0.1"), gw("10.0.0.2"))
	want := &NextHopSet{Source: SourceEBGP, Distance: 20, Hops: []NextHop{gw("10.0.0.1"), gw("10.0.0.2")}}
	if diff := cmp.Diff(want, best(), addrCmp, cmpopts.IgnoreUnexported(NextHopSet{})); diff != "" {
		t.Errorf("eBGP should win, sorted and deduplicated (-want +got):\n%s", diff)
	}
	mustReplace(SourceStatic, gw("10.0.0.7"))
	if s := best(); s.Source != SourceStatic {
		t.Errorf("static (1) should beat eBGP (20), got %s", s.Source)
	}
	rib.SetDistance(SourceStatic, 250) // a floating static route
	if s := best(); s.Source != SourceEBGP {
		t.Errorf("after distance 250 the static route should lose, got %s", s.Source)
	}
	if n := rib.WithdrawSource(SourceEBGP); n != 1 {
		t.Errorf("WithdrawSource returned %d", n)
	}
	if s := best(); s.Source != SourceIBGP {
		t.Errorf("after eBGP withdrawal, got %s", s.Source)
	}
	rib.Withdraw(SourceIBGP, p)
	rib.Withdraw(SourceStatic, p)
	if s := best(); s != nil {
		t.Errorf("all withdrawn, still %+v", s)
	}
	// Prefixes with the same result share one set.
	mustReplace("bgp-a", gw("10.0.0.1"))
	rib.Replace("bgp-a", netip.MustParsePrefix("198.51.100.0/24"), []NextHop{gw("10.0.0.1")})
	a, _ := rib.Lookup(netip.MustParseAddr("192.0.2.1"))
	b, _ := rib.Lookup(netip.MustParseAddr("198.51.100.1"))
	if a != b {
		t.Errorf("equal next-hop sets not shared")
	}
}

func TestRouteErrors(t *testing.T) {
	rib := New(Config{Output: &capture{}}).Routes()
	for _, tc := range []struct {
		p    netip.Prefix
		hops []NextHop
	}{
		{netip.Prefix{}, []NextHop{{IfIndex: 1}}},
		{netip.MustParsePrefix("10.0.0.0/8"), []NextHop{{}}},
		{netip.MustParsePrefix("10.0.0.0/8"), []NextHop{{Addr: netip.MustParseAddr("2001:db8::1")}}},
		{netip.MustParsePrefix("10.0.0.0/8"), []NextHop{{IfIndex: -1}}},
		{netip.MustParsePrefix("10.0.0.0/8"), make([]NextHop, MaxNextHops+1)},
	} {
		err := rib.Replace("x", tc.p, tc.hops)
		var re *RouteError
		if !errors.Is(err, ErrInvalidRoute) || !errors.As(err, &re) || re.Source != "x" {
			t.Errorf("Replace(%s, %v) = %v, want a *RouteError", tc.p, tc.hops, err)
		}
	}
	if rib.Len() != 0 {
		t.Errorf("refused routes were installed")
	}
}

func TestConnectedRoutesFollowInterfaces(t *testing.T) {
	r, _, _ := testRouter(t)
	s, ok := r.Routes().Lookup(hBv4)
	if !ok || s.Distance != 0 || s.Hops[0] != (NextHop{IfIndex: 2}) {
		t.Fatalf("connected route: %+v", s)
	}
	r.RemoveInterface(2)
	if _, ok := r.Routes().Lookup(hBv4); ok {
		t.Errorf("connected route outlived its interface")
	}
	if err := r.SetInterface(Interface{Index: 3, MAC: macR2, Addrs: []netip.Prefix{netip.PrefixFrom(r1v4, 24)}}); !errors.Is(err, ErrInvalidInterface) {
		t.Errorf("duplicate address accepted: %v", err)
	}
}

func TestReplaceBatch(t *testing.T) {
	rib := New(Config{Output: &capture{}}).Routes()
	hops := []NextHop{{Addr: netip.MustParseAddr("10.0.0.1"), IfIndex: 1}}
	var routes []Route
	for i := range 100 {
		routes = append(routes, Route{netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(i), 0}), 24), hops})
	}
	if err := rib.ReplaceBatch(SourceEBGP, routes); err != nil {
		t.Fatal(err)
	}
	if rib.Len() != 100 {
		t.Fatalf("Len = %d, want 100", rib.Len())
	}
	bad := append(routes[:1:1], Route{netip.Prefix{}, hops})
	if err := rib.ReplaceBatch("other", bad); !errors.Is(err, ErrInvalidRoute) {
		t.Errorf("bad batch: %v", err)
	}
	if s, _ := rib.Lookup(netip.MustParseAddr("198.18.0.1")); s.Source != SourceEBGP {
		t.Errorf("a refused batch was partly applied")
	}
	routes[5].Hops = nil
	rib.ReplaceBatch(SourceEBGP, routes[5:6])
	if rib.Len() != 99 {
		t.Errorf("Len = %d after withdrawing one in a batch", rib.Len())
	}
	if n := rib.WithdrawSource(SourceEBGP); n != 99 || rib.Len() != 0 {
		t.Errorf("WithdrawSource = %d, Len %d", n, rib.Len())
	}
}
