package runtime

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/bfd"
)

// With Options.BFD, the BGPVM (our router) and the Muxes run BFD over
// their gVisor stacks; a Mux that dies without a word (its provider port
// cut: no withdraw, no NOTIFICATION, no AdminDown) loses its ECMP next
// hop because BFD took the session down, not the 30 s hold timer.
//
// BFD runs at 100 ms (detection 300 ms): on a loaded machine a session may
// still flap before the crash (packets late past the detection time) and
// come back; only the sessions that go down after the crash count.
func TestMuxCrashDetectedByBFD(t *testing.T) {
	var mu sync.Mutex
	var downs []string
	rt := start(t, twoMuxes(), Options{HoldTime: 30 * time.Second, BFD: 100 * time.Millisecond, Progress: func(p Progress) {
		if p.Node == "BGPVM" && p.Event == "bgp" && strings.Contains(p.Detail, "down") {
			mu.Lock()
			downs = append(downs, p.Detail)
			mu.Unlock()
		}
		t.Log(p)
	}})
	want := []netip.Addr{netip.MustParseAddr("192.168.100.20"), netip.MustParseAddr("192.168.100.21")}
	waitFor(t, "ECMP over both Muxes", func() bool { return slices.Equal(rt.vipNextHops(seedVIP), want) })
	var crashed *muxNode
	for _, m := range rt.muxes {
		if m.spec.Name == "MuxVM2" {
			crashed = m
		}
	}
	// Both BFD sessions of the BGPVM come Up.
	waitFor(t, "BFD Up on the BGPVM's sessions", func() bool {
		st := rt.gateways["BGPVM"].speaker.Peers()
		return len(st) == 2 && st[0].BFD == bfd.Up && st[1].BFD == bfd.Up
	})
	mu.Lock()
	before := len(downs)
	mu.Unlock()
	start := time.Now()
	crashed.port.Close()
	waitFor(t, "the route to shrink to MuxVM", func() bool { return slices.Equal(rt.vipNextHops(seedVIP), want[:1]) })
	t.Logf("MuxVM2's next hop withdrawn %v after it went silent", time.Since(start).Round(time.Millisecond))
	// The first report after the crash of MuxVM2's session going down.
	crashedDown := func() (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range downs[before:] {
			if strings.Contains(d, "192.168.100.21") {
				return d, true
			}
		}
		return "", false
	}
	waitFor(t, "the BGPVM's report of MuxVM2's session down", func() bool { _, ok := crashedDown(); return ok })
	if d, _ := crashedDown(); !strings.Contains(d, bgp.ErrBFDDown.Error()) {
		t.Fatalf("after the crash the BGPVM's session with MuxVM2 went down with %q, want by BFD (%v)", d, bgp.ErrBFDDown)
	}
}
