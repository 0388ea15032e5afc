package bgp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// grPeer is a hand-driven peer that restarts gracefully: it advertises
// the GR capability for IPv4 unicast with the given restart time.
type grPeer struct {
	t  *testing.T
	ln net.Listener
}

func (g grPeer) session(restart uint16, restarting bool) rawPeer {
	g.t.Helper()
	nc, err := g.ln.Accept()
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { nc.Close() })
	p := rawPeer{g.t, nc}
	o, err := wire.ParseOpen(p.recvType(wire.TypeOpen))
	if err != nil || o.GracefulRestart == nil {
		g.t.Fatalf("our OPEN %+v (%v) lacks the graceful restart capability", o, err)
	}
	ob, _ := (&wire.Open{ASN: 65002, HoldTime: 9, RouterID: netip.MustParseAddr("10.0.0.2"),
		Capabilities: wire.Capabilities{FourOctetAS: true, GracefulRestart: &wire.GracefulRestart{
			Restarting: restarting, Time: restart,
			Families: []wire.GracefulRestartFamily{{Family: wire.IPv4Unicast, ForwardingPreserved: true}}}}}).Append(nil)
	p.send(ob)
	p.recvType(wire.TypeKeepalive)
	p.send(wire.AppendKeepalive(nil))
	p.recvType(wire.TypeUpdate) // our End-of-RIB
	return p
}

// TestGracefulRestartHelper: a peer that loses its session without a
// NOTIFICATION keeps its paths in the RIB, stale; back, it sends one of
// them again and End-of-RIB, and only that one stays. Lost again and not
// back within its (now 1 s) restart time, its paths go.
func TestGracefulRestartHelper(t *testing.T) {
	checkGoroutines(t)
	r := rib.New(rib.Options{LocalASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1")})
	s, err := New(Config{ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1"), Logger: testLogger(t), RIB: r,
		GracefulRestart: &GracefulRestart{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sub := s.Subscribe(64)
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := s.AddPeer(PeerConfig{Address: loB, Port: uint16(ln.Addr().(*net.TCPAddr).Port), SourceAddress: loA,
		PeerASN: 65002, HoldTime: 9 * time.Second, ConnectTime: time.Second,
		Families: []wire.Family{wire.IPv4Unicast}, RIB: rib.PeerConfig{AllowWithoutPolicy: true}}); err != nil {
		t.Fatal(err)
	}
	g := grPeer{t, ln}
	p := g.session(60, false)
	p.send(update(0, 1))
	p.send(update(0, 2))
	eventually(t, "two paths", func() bool { return r.Len() == 2 })

	p.nc.Close() // the peer's control plane dies: no NOTIFICATION
	waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	best, _, ok := r.Best(netip.MustParsePrefix("198.51.100.1/32"))
	if !ok || !best.Stale || r.Len() != 2 {
		t.Fatalf("after the loss: %d prefixes, best %+v (%v); want both kept, stale", r.Len(), best, ok)
	}

	p = g.session(1, true)
	waitFor(t, sub, 5*time.Second, "session up again", isType(SessionUp))
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
	// The peer does not come back within the 1 s restart time it gave.
	eventually(t, "paths gone after the restart time", func() bool { return r.Len() == 0 })
}

// TestGracefulRestartNotAfterNotification: a session ended by a
// NOTIFICATION takes its paths with it.
func TestGracefulRestartNotAfterNotification(t *testing.T) {
	checkGoroutines(t)
	r := rib.New(rib.Options{LocalASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1")})
	s, err := New(Config{ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1"), Logger: testLogger(t), RIB: r,
		GracefulRestart: &GracefulRestart{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sub := s.Subscribe(64)
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := s.AddPeer(PeerConfig{Address: loB, Port: uint16(ln.Addr().(*net.TCPAddr).Port), SourceAddress: loA,
		PeerASN: 65002, HoldTime: 9 * time.Second, ConnectTime: 5 * time.Second,
		Families: []wire.Family{wire.IPv4Unicast}, RIB: rib.PeerConfig{AllowWithoutPolicy: true}}); err != nil {
		t.Fatal(err)
	}
	p := grPeer{t, ln}.session(60, false)
	p.send(update(0, 1))
	eventually(t, "a path", func() bool { return r.Len() == 1 })
	n := wire.NewShutdown(wire.SubAdministrativeShutdown, "maintenance")
	p.send(n.Append(nil))
	waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	eventually(t, "the path goes with the session", func() bool { return r.Len() == 0 })
}
