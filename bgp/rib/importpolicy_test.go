package rib

import (
	"errors"
	"net/netip"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/bgp/policy"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

var (
	ebgpPeer = PeerConfig{Addr: netip.MustParseAddr("10.0.0.1"), ASN: 1, RouterID: netip.MustParseAddr("10.1.0.1")}
	ibgpPeer = PeerConfig{Addr: netip.MustParseAddr("10.0.0.3"), ASN: testASN, RouterID: netip.MustParseAddr("10.1.0.3")}
)

func newTestRIB() *RIB {
	return New(Options{LocalASN: testASN, RouterID: testRouterID, DefaultLocalPref: 100})
}

func announceN(t *testing.T, r *RIB, id PeerID, n int) error {
	t.Helper()
	var last error
	for i := range n {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, byte(i), 0}), 24)
		if err := r.Announce(id, wire.NLRI{Prefix: p}, testAttrs(i)); err != nil {
			last = err
		}
	}
	return last
}

// TestRFC8212Default: without an import policy, eBGP paths are rejected
// and iBGP ones accepted; AllowWithoutPolicy is the opt-out.
func TestRFC8212Default(t *testing.T) {
	r := newTestRIB()
	e := r.AddPeer(ebgpPeer)
	i := r.AddPeer(ibgpPeer)
	optOut := ebgpPeer
	optOut.Addr, optOut.AllowWithoutPolicy = netip.MustParseAddr("10.0.0.2"), true
	o := r.AddPeer(optOut)
	for _, id := range []PeerID{e, i, o} {
		if err := announceN(t, r, id, 3); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[PeerID]int{e: 0, i: 3, o: 3} {
		if got := r.Accepted(id); got != want {
			t.Errorf("peer %d: %d paths accepted, want %d", id, got, want)
		}
	}
}

func TestImportPolicy(t *testing.T) {
	lp := uint32(300)
	pol := &policy.Policy{
		Statements: []policy.Statement{
			{Name: "no-192.0.1", Match: policy.Match{Prefixes: []policy.PrefixRange{{Prefix: netip.MustParsePrefix("192.0.1.0/24")}}}, Result: policy.Reject},
			{Name: "prefer-192.0.2", Match: policy.Match{Prefixes: []policy.PrefixRange{{Prefix: netip.MustParsePrefix("192.0.2.0/24")}}},
				Set: policy.Set{LocalPref: &lp}, Result: policy.Accept},
		},
		Default: policy.Accept,
	}
	cfg := ebgpPeer
	cfg.Import = pol
	r := newTestRIB()
	id := r.AddPeer(cfg)
	if err := announceN(t, r, id, 4); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := r.Best(netip.MustParsePrefix("192.0.1.0/24")); ok {
		t.Error("a rejected prefix is in the Loc-RIB")
	}
	best, _, ok := r.Best(netip.MustParsePrefix("192.0.2.0/24"))
	if !ok {
		t.Fatal("192.0.2.0/24 missing")
	}
	if v, has := best.Attrs.LocalPref(); !has || v != lp {
		t.Errorf("LOCAL_PREF %d (%v), want %d set by the policy", v, has, lp)
	}
	untouched, _, _ := r.Best(netip.MustParsePrefix("192.0.3.0/24"))
	if _, has := untouched.Attrs.LocalPref(); has {
		t.Error("a path no statement changed got a LOCAL_PREF")
	}
	if got := r.Accepted(id); got != 3 {
		t.Errorf("%d accepted, want 3", got)
	}
	if err := r.RemovePeer(id); err != nil {
		t.Fatal(err)
	}
	if n := r.AttrSets(); n != 0 {
		t.Errorf("%d attribute sets left after the peer went away", n)
	}
}

func TestMaxPrefixes(t *testing.T) {
	cfg := ebgpPeer
	cfg.AllowWithoutPolicy, cfg.MaxPrefixes = true, 5
	r := newTestRIB()
	id := r.AddPeer(cfg)
	if err := announceN(t, r, id, 5); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	err := announceN(t, r, id, 6)
	var mp *MaxPrefixError
	if !errors.As(err, &mp) || !errors.Is(err, ErrMaxPrefix) || mp.Limit != 5 || mp.Accepted != 6 {
		t.Fatalf("err = %v, want a MaxPrefixError with limit 5 and 6 accepted", err)
	}
}

func TestSoftReconfigAndAdjRIBIn(t *testing.T) {
	cfg := ebgpPeer
	cfg.SoftReconfig = true
	cfg.Import = &policy.Policy{Default: policy.Reject}
	r := newTestRIB()
	id := r.AddPeer(cfg)
	if err := announceN(t, r, id, 4); err != nil {
		t.Fatal(err)
	}
	count := func(pre bool) (n int) {
		for range r.AdjRIBIn(id, pre) {
			n++
		}
		return n
	}
	if pre, post := count(true), count(false); pre != 4 || post != 0 {
		t.Fatalf("Adj-RIB-In pre %d post %d, want 4 and 0", pre, post)
	}
	if err := r.SetImportPolicy(id, &policy.Policy{Default: policy.Accept}, false); err != nil {
		t.Fatal(err)
	}
	if pre, post := count(true), count(false); pre != 4 || post != 4 {
		t.Fatalf("after the new policy: pre %d post %d, want 4 and 4", pre, post)
	}
	if err := r.Withdraw(id, wire.NLRI{Prefix: netip.MustParsePrefix("192.0.0.0/24")}); err != nil {
		t.Fatal(err)
	}
	if pre := count(true); pre != 3 {
		t.Fatalf("withdrawn path kept in the pre-policy Adj-RIB-In (%d)", pre)
	}
	noSoft := r.AddPeer(PeerConfig{Addr: netip.MustParseAddr("10.0.0.9"), ASN: 9})
	if err := r.SetImportPolicy(noSoft, nil, true); !errors.Is(err, ErrNoSoftReconfig) {
		t.Fatalf("err = %v, want ErrNoSoftReconfig", err)
	}
	if err := r.RemovePeer(id); err != nil {
		t.Fatal(err)
	}
	if n := r.AttrSets(); n != 0 {
		t.Errorf("%d attribute sets left after the peer went away", n)
	}
}

func genPolicy(t *rapid.T, label string) *policy.Policy {
	pol := &policy.Policy{Default: rapid.SampledFrom([]policy.Result{policy.Accept, policy.Reject}).Draw(t, label+"default")}
	for range rapid.IntRange(0, 3).Draw(t, label+"statements") {
		s := policy.Statement{
			Match: policy.Match{Prefixes: []policy.PrefixRange{{
				Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, byte(rapid.IntRange(0, 7).Draw(t, label+"octet")), 0}), 24)}}},
			Result: rapid.SampledFrom([]policy.Result{policy.Next, policy.Accept, policy.Reject}).Draw(t, label+"result"),
		}
		if rapid.Bool().Draw(t, label+"set") {
			lp := uint32(rapid.IntRange(50, 500).Draw(t, label+"lp"))
			s.Set.LocalPref = &lp
		}
		pol.Statements = append(pol.Statements, s)
	}
	return pol
}

// TestSoftReconfigEqualsFreshImport: a RIB that received paths under one
// policy and then switched to another holds what a RIB that had the second
// policy from the start holds.
func TestSoftReconfigEqualsFreshImport(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		first, second := genPolicy(t, "first"), genPolicy(t, "second")
		cfg := ebgpPeer
		cfg.SoftReconfig, cfg.Import = true, first
		r := newTestRIB()
		id := r.AddPeer(cfg)
		cfg.Import = second
		fresh := newTestRIB()
		fid := fresh.AddPeer(cfg)
		for range rapid.IntRange(0, 20).Draw(t, "ops") {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, byte(rapid.IntRange(0, 7).Draw(t, "prefix")), 0}), 24)
			if rapid.Bool().Draw(t, "announce") {
				a := testAttrs(rapid.IntRange(0, 5).Draw(t, "attrs"))
				_ = r.Announce(id, wire.NLRI{Prefix: p}, a)
				_ = fresh.Announce(fid, wire.NLRI{Prefix: p}, a)
			} else {
				_ = r.Withdraw(id, wire.NLRI{Prefix: p})
				_ = fresh.Withdraw(fid, wire.NLRI{Prefix: p})
			}
		}
		if err := r.SetImportPolicy(id, second, false); err != nil {
			t.Fatal(err)
		}
		if d := gocmp.Diff(ribState(fresh), ribState(r)); d != "" {
			t.Fatalf("after soft reconfiguration (-fresh +reconfigured):\n%s", d)
		}
	})
}

// TestAFISAFIDisable: an UPDATE whose MP_REACH_NLRI is malformed disables
// its family for the peer (RFC 7606 section 7.11): the family's paths go,
// later announcements in it are ignored, the other family stays.
func TestAFISAFIDisable(t *testing.T) {
	cfg := ebgpPeer
	cfg.AllowWithoutPolicy = true
	r := newTestRIB()
	id := r.AddPeer(cfg)
	if err := announceN(t, r, id, 2); err != nil {
		t.Fatal(err)
	}
	v6 := func(p string) error {
		a := testAttrs(0)
		a.NextHop = netip.MustParseAddr("2001:db8::1")
		return r.Announce(id, wire.NLRI{Prefix: netip.MustParsePrefix(p)}, a)
	}
	if err := v6("2001:db8:1::/48"); err != nil {
		t.Fatal(err)
	}
	nh := netip.MustParseAddr("2001:db8::1").As16()
	mp := append([]byte{0, 2, 1, 16}, nh[:]...)
	mp = append(mp, 0, 200, 0x20, 0x01) // reserved, then a 200-bit IPv6 prefix: malformed
	body := []byte{0, 0}                // no withdrawn routes
	attrs := []byte{0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0, 1, 0x80, 14, byte(len(mp))}
	attrs = append(attrs, mp...)
	body = append(body, byte(len(attrs)>>8), byte(len(attrs)))
	body = append(body, attrs...)
	msg := append(append(bytes16ff(), byte((19+len(body))>>8), byte(19+len(body)), byte(wire.TypeUpdate)), body...)
	u, err := wire.ParseUpdate(msg, &wire.DecodeOptions{AS4: true})
	if err != nil {
		t.Fatalf("ParseUpdate: %v", err)
	}
	if u.Action() != wire.ActionAFISAFIDisable {
		t.Fatalf("action %v, want AFI/SAFI disable", u.Action())
	}
	if err := r.Ingest(id, &u); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := r.Best(netip.MustParsePrefix("2001:db8:1::/48")); ok {
		t.Error("the disabled family's path stayed")
	}
	if err := v6("2001:db8:2::/48"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := r.Best(netip.MustParsePrefix("2001:db8:2::/48")); ok {
		t.Error("an announcement in the disabled family was taken")
	}
	if r.Accepted(id) != 2 {
		t.Errorf("%d paths, want the 2 IPv4 ones", r.Accepted(id))
	}
}

func bytes16ff() []byte {
	b := make([]byte, 16)
	for i := range b {
		b[i] = 0xff
	}
	return b
}
