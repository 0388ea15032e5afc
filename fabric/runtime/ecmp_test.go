package runtime

import (
	"context"
	"net/http"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/slb/mux"
)

// twoMuxes is the seed with a second Mux, MuxVM2, peering with the BGPVM.
func twoMuxes() *Topology {
	t := Seed()
	m2 := t.Muxes[0]
	m2.Name, m2.Addr, m2.MAC = "MuxVM2", pfx("192.168.100.21/24"), mac(0x06)
	t.Muxes = append(t.Muxes, m2)
	bgpvm := &t.Gateways[1]
	bgpvm.BGP.Peers = append(bgpvm.BGP.Peers, Peer{Name: "MuxVM2", Addr: m2.Addr.Addr(), ASN: m2.ASN})
	return t
}

func (rt *Runtime) vipNextHops(vip netip.Addr) []netip.Addr {
	for _, r := range rt.Status().Routes {
		if r.Prefix.Addr() == vip {
			return r.NextHops
		}
	}
	return nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The router spreads flows over every Mux announcing the VIP (ECMP); when
// a Mux stops, its route is withdrawn and the connections it carried go
// on through the other Mux, which picks the same DIPs.
func TestECMPOverMuxesAndMuxStop(t *testing.T) {
	rt := start(t, twoMuxes(), Options{})
	want := []netip.Addr{netip.MustParseAddr("192.168.100.20"), netip.MustParseAddr("192.168.100.21")}
	// Ready needs one next hop; the other Mux's route may come a moment
	// later.
	waitFor(t, "the VIP routed over both Muxes", func() bool { return slices.Equal(rt.vipNextHops(seedVIP), want) })
	client := mustMachine(t, rt, "ClientVM")
	ctx := context.Background()
	fresh := newClient(client, true, 5*time.Second)
	for range 40 {
		if _, err := get(ctx, fresh, "http://192.168.102.10/"); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range rt.Status().Muxes {
		if m.Stats.Verdicts[mux.VerdictForward] == 0 {
			t.Errorf("%s forwarded nothing: no ECMP", m.Node)
		}
	}
	// Keep-alive connections, some through each Mux, survive a Mux stop.
	var kept []*http.Client
	first := map[*http.Client]string{}
	for range 8 {
		c := newClient(client, false, 5*time.Second)
		defer closeIdle(c)
		who, err := get(ctx, c, "http://192.168.102.10/")
		if err != nil {
			t.Fatal(err)
		}
		kept, first[c] = append(kept, c), who
	}
	if err := rt.StopMux("MuxVM"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the route to shrink to MuxVM2", func() bool { return slices.Equal(rt.vipNextHops(seedVIP), want[1:]) })
	for _, c := range kept {
		who, err := get(ctx, c, "http://192.168.102.10/")
		if err != nil {
			t.Fatalf("a connection broke when its Mux stopped: %v", err)
		}
		if who != first[c] {
			t.Errorf("a connection moved from %s to %s", first[c], who)
		}
	}
}

// With every DIP out of rotation the Mux withdraws the VIP (one without
// inbound NAT rules, which do not depend on health); it comes back with the
// first healthy DIP.
func TestVIPWithdrawnWithoutHealthyBackend(t *testing.T) {
	topo := Seed()
	topo.LoadBalancers[0].InboundNatRules = nil
	rt := start(t, topo, Options{})
	ctx := context.Background()
	dips := []netip.Addr{netip.MustParseAddr("10.10.0.11"), netip.MustParseAddr("10.10.0.12")}
	for _, d := range dips {
		if err := rt.SetBusy(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the VIP to be withdrawn", func() bool { return len(rt.vipNextHops(seedVIP)) == 0 })
	if err := rt.SetReady(ctx, dips[1]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the VIP to come back", func() bool { return len(rt.vipNextHops(seedVIP)) == 1 })
	who, err := get(ctx, newClient(mustMachine(t, rt, "ClientVM"), true, 5*time.Second), "http://192.168.102.10/")
	if err != nil || who != "PortalVM2" {
		t.Fatalf("served by %q, %v; want PortalVM2", who, err)
	}
}
