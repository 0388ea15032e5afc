package rib

import (
	"net/netip"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

func TestGracefulRestart(t *testing.T) {
	cfg := ebgpPeer
	cfg.AllowWithoutPolicy = true
	r := newTestRIB()
	id := r.AddPeer(cfg)
	if err := announceN(t, r, id, 3); err != nil {
		t.Fatal(err)
	}
	v6 := netip.MustParsePrefix("2001:db8:1::/48")
	a6 := testAttrs(1)
	a6.NextHop = netip.MustParseAddr("2001:db8::1")
	if err := r.Announce(id, wire.NLRI{Prefix: v6}, a6); err != nil {
		t.Fatal(err)
	}
	// The session drops; the peer preserved forwarding for IPv4 only.
	if n, err := r.MarkStale(id, []wire.Family{wire.IPv4Unicast}); err != nil || n != 3 {
		t.Fatalf("MarkStale kept %d (%v), want 3", n, err)
	}
	if _, _, ok := r.Best(v6); ok {
		t.Error("an IPv6 path survived although the peer did not preserve IPv6 forwarding")
	}
	best, _, ok := r.Best(netip.MustParsePrefix("192.0.1.0/24"))
	if !ok || !best.Stale {
		t.Fatalf("stale path %+v (%v), want kept and marked stale", best, ok)
	}
	if err := r.Announce(id, wire.NLRI{Prefix: netip.MustParsePrefix("192.0.9.0/24")}, testAttrs(0)); err == nil {
		t.Error("a detached peer's UPDATE was taken")
	}
	// The peer is back and sends one path again, then End-of-RIB.
	if err := r.Reattach(id, cfg); err != nil {
		t.Fatal(err)
	}
	if err := r.Announce(id, wire.NLRI{Prefix: netip.MustParsePrefix("192.0.1.0/24")}, testAttrs(1)); err != nil {
		t.Fatal(err)
	}
	if got := r.Stale(id); got != 2 {
		t.Fatalf("%d stale after one path came back, want 2", got)
	}
	if n, _ := r.SweepStale(id, wire.IPv4Unicast); n != 2 {
		t.Fatalf("swept %d, want 2", n)
	}
	if r.Len() != 1 || r.Accepted(id) != 1 {
		t.Fatalf("%d prefixes, %d accepted after the sweep; want 1 and 1", r.Len(), r.Accepted(id))
	}
	best, _, _ = r.Best(netip.MustParsePrefix("192.0.1.0/24"))
	if best.Stale {
		t.Error("a path sent again is still stale")
	}
}

// TestGracefulRestartEqualsFreshSession: whatever the peer had before its
// restart, once the new session's paths and End-of-RIB are in, the RIB is
// the one the new session alone would have built.
func TestGracefulRestartEqualsFreshSession(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := ebgpPeer
		cfg.AllowWithoutPolicy = true
		r, fresh := newTestRIB(), newTestRIB()
		id, fid := r.AddPeer(cfg), fresh.AddPeer(cfg)
		prefix := func(label string) netip.Prefix {
			return netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, byte(rapid.IntRange(0, 9).Draw(t, label)), 0}), 24)
		}
		for range rapid.IntRange(0, 15).Draw(t, "before") {
			_ = r.Announce(id, wire.NLRI{Prefix: prefix("old")}, testAttrs(rapid.IntRange(0, 5).Draw(t, "oldattrs")))
		}
		if _, err := r.MarkStale(id, []wire.Family{wire.IPv4Unicast, wire.IPv6Unicast}); err != nil {
			t.Fatal(err)
		}
		if err := r.Reattach(id, cfg); err != nil {
			t.Fatal(err)
		}
		for range rapid.IntRange(0, 15).Draw(t, "after") {
			p, a := prefix("new"), testAttrs(rapid.IntRange(0, 5).Draw(t, "newattrs"))
			_ = r.Announce(id, wire.NLRI{Prefix: p}, a)
			_ = fresh.Announce(fid, wire.NLRI{Prefix: p}, a)
		}
		if _, err := r.SweepStale(id, wire.IPv4Unicast); err != nil {
			t.Fatal(err)
		}
		if d := gocmp.Diff(ribState(fresh), ribState(r)); d != "" {
			t.Fatalf("after the restart (-fresh session +restarted):\n%s", d)
		}
	})
}
