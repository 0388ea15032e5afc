package bfd

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

func freePort(t *testing.T, a netip.Addr) uint16 {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

func waitState(t *testing.T, p *Peer, want State, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for p.State() != want {
		if time.Now().After(deadline) {
			t.Fatalf("session to %v is %v after %v, want %v", p.cfg.Peer, p.State(), within, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestEndpointsOnLoopback runs two endpoints on 127.0.0.1 and 127.0.0.2
// (which Linux routes to lo): the sessions come Up, and closing one endpoint
// takes the other's session Down with "neighbor signaled session down".
func TestEndpointsOnLoopback(t *testing.T) {
	a4, b4 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")
	pa, pb := freePort(t, a4), freePort(t, b4)
	ea, err := Listen(EndpointConfig{Local: a4, Port: pa})
	if err != nil {
		t.Fatal(err)
	}
	defer ea.Close()
	eb, err := Listen(EndpointConfig{Local: b4, Port: pb})
	if err != nil {
		t.Skipf("no second loopback address on this system: %v", err)
	}
	changes := make(chan Change, 16)
	fast := Config{DesiredMinTx: 50 * time.Millisecond, RequiredMinRx: 50 * time.Millisecond}
	peerA, err := ea.AddPeer(PeerConfig{Peer: b4, PeerPort: pb, Config: fast, OnChange: func(c Change) { changes <- c }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ea.AddPeer(PeerConfig{Peer: b4, PeerPort: pb}); err == nil {
		t.Fatal("a second session to the same peer was accepted")
	}
	if _, err := eb.AddPeer(PeerConfig{Peer: a4, PeerPort: pa, Config: fast}); err != nil {
		t.Fatal(err)
	}
	waitState(t, peerA, Up, 5*time.Second)
	start := time.Now()
	if err := eb.Close(); err != nil {
		t.Fatal(err)
	}
	waitState(t, peerA, Down, downWithin)
	t.Logf("down %v after the peer closed", time.Since(start))
	// The change is reported just after the state is set: wait for it.
	if last := lastDown(t, changes); last.Diag != DiagNeighborDown {
		t.Fatalf("last change %+v, want Down with %v", last, DiagNeighborDown)
	}
	if n := ea.Dropped(); n != 0 {
		t.Errorf("%d packets dropped on a clean loopback", n)
	}
}
