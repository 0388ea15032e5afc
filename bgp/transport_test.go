package bgp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// pair starts two speakers on addresses a and b, with b passive toward a
// and a active toward b, both configured by tweak.
func pair(t *testing.T, a, b netip.Addr, tweak func(*PeerConfig)) (sa, sb *Speaker, subA, subB *Subscription) {
	t.Helper()
	sa = newSpeaker(t, 65001, "10.0.0.1", a.String())
	sb = newSpeaker(t, 65002, "10.0.0.2", b.String())
	subA, subB = sa.Subscribe(256), sb.Subscribe(256)
	pb := PeerConfig{Address: a, PeerASN: 65001, Passive: true, HoldTime: 9 * time.Second}
	pa := PeerConfig{Address: b, Port: sb.ListenAddrs()[0].Port(), SourceAddress: a, PeerASN: 65002,
		HoldTime: 9 * time.Second, ConnectTime: time.Second}
	tweak(&pb)
	tweak(&pa)
	if err := sb.AddPeer(pb); err != nil {
		t.Fatal(err)
	}
	if err := sa.AddPeer(pa); err != nil {
		t.Fatal(err)
	}
	return
}

func TestIPv6Transport(t *testing.T) {
	checkGoroutines(t)
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("needs IPv6 loopback")
	}
	ln.Close()
	lo6 := netip.MustParseAddr("::1")
	// Both ends are ::1: each speaker's only peer.
	sa, _, subA, subB := pair(t, lo6, lo6, func(*PeerConfig) {})
	waitFor(t, subA, 5*time.Second, "A up", isType(SessionUp))
	up := waitFor(t, subB, 5*time.Second, "B up", isType(SessionUp))
	if !up.Session.Remote.Addr().Is6() {
		t.Errorf("session over %v, want IPv6", up.Session.Remote)
	}
	p6 := netip.MustParsePrefix("2001:db8:7::/48")
	sa.Announce(p6, wire.Attributes{})
	ev := waitFor(t, subB, 5*time.Second, "IPv6 prefix with next hop self", announces(p6))
	if nh := ev.Announced[0].Attrs.NextHop; nh != lo6 {
		t.Errorf("next hop %v, want ::1", nh)
	}
}

func TestGTSMAndMD5Loopback(t *testing.T) {
	checkGoroutines(t)
	sa, _, subA, subB := pair(t, loA, loB, func(pc *PeerConfig) {
		pc.TTLSecurity = 1
		pc.Password = "loopback-key"
	})
	waitFor(t, subA, 5*time.Second, "A up", isType(SessionUp))
	waitFor(t, subB, 5*time.Second, "B up", isType(SessionUp))
	sa.Announce(netip.MustParsePrefix("192.0.2.9/32"), wire.Attributes{})
	waitFor(t, subB, 5*time.Second, "route", announces(netip.MustParsePrefix("192.0.2.9/32")))
}

func TestDelayOpen(t *testing.T) {
	checkGoroutines(t)
	_, _, subA, subB := pair(t, loA, loB, func(pc *PeerConfig) {
		if pc.Passive {
			pc.DelayOpen = 5 * time.Second // B waits for A's OPEN (event 20) instead
		}
	})
	start := time.Now()
	waitFor(t, subA, 3*time.Second, "A up", isType(SessionUp))
	waitFor(t, subB, 3*time.Second, "B up", isType(SessionUp))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v: the peer's OPEN should end the DelayOpen wait", d)
	}
}

func TestRemovePeer(t *testing.T) {
	checkGoroutines(t)
	sa, _, subA, subB := pair(t, loA, loB, func(*PeerConfig) {})
	waitFor(t, subA, 5*time.Second, "A up", isType(SessionUp))
	waitFor(t, subB, 5*time.Second, "B up", isType(SessionUp))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sa.RemovePeer(ctx, loB); err != nil {
		t.Fatal(err)
	}
	ev := waitFor(t, subB, 5*time.Second, "B down", isType(SessionDown))
	var ne *NotificationError
	if !errors.As(ev.Err, &ne) || ne.Notification.Code != wire.CodeCease || ne.Notification.Subcode != wire.SubPeerDeconfigured {
		t.Fatalf("B down because %v, want Cease / Peer De-configured", ev.Err)
	}
	if len(sa.Peers()) != 0 {
		t.Errorf("peers after removal: %v", sa.Peers())
	}
}

func TestSubscriptionDropsOldest(t *testing.T) {
	s := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	sub := s.Subscribe(2)
	for i := range 5 {
		s.publish(Event{Type: RoutesReceived, Peer: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})})
	}
	if sub.Dropped() != 3 {
		t.Errorf("dropped %d, want 3", sub.Dropped())
	}
	for _, want := range []byte{3, 4} {
		if ev := <-sub.Events(); ev.Peer.As4()[3] != want {
			t.Errorf("got event from %v, want the newest ones kept", ev.Peer)
		}
	}
	sub.Close()
	if _, ok := <-sub.Events(); ok {
		t.Error("channel open after Close")
	}
	s.publish(Event{}) // no panic after Close
}

func TestSubscriptionAll(t *testing.T) {
	s := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	sub := s.Subscribe(8)
	for i := range 3 {
		s.publish(Event{Type: SessionUp, Peer: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	for range sub.All(ctx) {
		n++
		if n == 3 {
			cancel()
		}
	}
	if n != 3 {
		t.Errorf("yielded %d events, want 3", n)
	}
	sub.Close()
	for range sub.All(context.Background()) {
		t.Error("event after Close")
	}
}

func TestSourcePort(t *testing.T) {
	checkGoroutines(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	_, _, _, subB := pair(t, loA, loB, func(pc *PeerConfig) {
		if !pc.Passive {
			pc.SourcePort = port
		}
	})
	up := waitFor(t, subB, 5*time.Second, "B up", isType(SessionUp))
	if up.Session.Remote != netip.AddrPortFrom(loA, port) {
		t.Errorf("B sees the session from %v, want %v:%d", up.Session.Remote, loA, port)
	}
}
