package bgp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// grCaps is the capability of a peer that restarts gracefully, for IPv4
// unicast, with the given restart time.
func grCaps(restart uint16, restarting bool) wire.Capabilities {
	return wire.Capabilities{GracefulRestart: &wire.GracefulRestart{Restarting: restarting, Time: restart,
		Families: []wire.GracefulRestartFamily{{Family: wire.IPv4Unicast, ForwardingPreserved: true}}}}
}

// TestGracefulRestartHelper: a peer that loses its session without a
// NOTIFICATION keeps its paths in the RIB, stale; back, it sends one of
// them again and End-of-RIB, and only that one stays. Lost again and not
// back within its (now 3 s) restart time, its paths go. (The path must
// still be there when the test looks right after the loss: a restart time
// of 1 s left too little time on a loaded machine.)
func TestGracefulRestartHelper(t *testing.T) {
	checkGoroutines(t)
	_, r, sub, ln := ribSpeaker(t, Config{GracefulRestart: &GracefulRestart{}},
		PeerConfig{ConnectTime: time.Second, RIB: rib.PeerConfig{AllowWithoutPolicy: true}})
	p := acceptRaw(t, ln, sub, grCaps(60, false))
	p.send(update(0, 1))
	p.send(update(0, 2))
	eventually(t, "two paths", func() bool { return r.Len() == 2 })

	p.nc.Close() // the peer's control plane dies: no NOTIFICATION
	waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	best, _, ok := r.Best(netip.MustParsePrefix("198.51.100.1/32"))
	if !ok || !best.Stale || r.Len() != 2 {
		t.Fatalf("after the loss: %d prefixes, best %+v (%v); want both kept, stale", r.Len(), best, ok)
	}

	p = acceptRaw(t, ln, sub, grCaps(3, true))
	p.send(update(0, 1))
	p.send(wire.AppendEndOfRIB(nil, wire.IPv4Unicast))
	eventually(t, "only the path sent again", func() bool { return r.Len() == 1 })
	best, _, ok = r.Best(netip.MustParsePrefix("198.51.100.1/32"))
	if !ok || best.Stale {
		t.Fatalf("path sent again: %+v (%v), want fresh", best, ok)
	}

	p.nc.Close()
	waitFor(t, sub, 5*time.Second, "session down again", isType(SessionDown))
	if r.Len() != 1 {
		t.Fatal("the path was not kept through the second loss")
	}
	// The peer does not come back within the 3 s restart time it gave.
	eventually(t, "paths gone after the restart time", func() bool { return r.Len() == 0 })
}

// TestGracefulRestartNotAfterNotification: a session ended by a
// NOTIFICATION takes its paths with it.
func TestGracefulRestartNotAfterNotification(t *testing.T) {
	checkGoroutines(t)
	_, r, sub, ln := ribSpeaker(t, Config{GracefulRestart: &GracefulRestart{}},
		PeerConfig{RIB: rib.PeerConfig{AllowWithoutPolicy: true}})
	p := acceptRaw(t, ln, sub, grCaps(60, false))
	p.send(update(0, 1))
	eventually(t, "a path", func() bool { return r.Len() == 1 })
	n := wire.NewShutdown(wire.SubAdministrativeShutdown, "maintenance")
	p.send(n.Append(nil))
	waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	eventually(t, "the path goes with the session", func() bool { return r.Len() == 0 })
}
