package bgp

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/bgp/fsm"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("BGP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// newSpeaker starts a speaker listening on addr:0 and closes it at the end
// of the test.
func newSpeaker(t testing.TB, asn uint32, id, addr string) *Speaker {
	t.Helper()
	s, err := New(Config{
		ASN: asn, RouterID: netip.MustParseAddr(id),
		Listen: []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr(addr), 0)},
		Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitFor returns the first event of sub that match accepts.
func waitFor(t testing.TB, sub *Subscription, d time.Duration, what string, match func(Event) bool) Event {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatalf("%s: subscription closed", what)
			}
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("%s: nothing after %v", what, d)
		}
	}
}

func isType(typ EventType) func(Event) bool {
	return func(ev Event) bool { return ev.Type == typ }
}

func announces(p netip.Prefix) func(Event) bool {
	return func(ev Event) bool {
		for _, r := range ev.Announced {
			if r.Prefix == p {
				return true
			}
		}
		return false
	}
}

func withdraws(p netip.Prefix) func(Event) bool {
	return func(ev Event) bool {
		for _, r := range ev.Withdrawn {
			if r.Prefix == p {
				return true
			}
		}
		return false
	}
}

func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

var (
	loA = netip.MustParseAddr("127.0.0.1")
	loB = netip.MustParseAddr("127.0.0.2")
)

// TestLoopbackSession runs two speakers against each other over loopback:
// one active, one passive; announcements, withdrawals and the shutdown
// communication go across.
func TestLoopbackSession(t *testing.T) {
	checkGoroutines(t)
	a := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	b := newSpeaker(t, 65002, "10.0.0.2", "127.0.0.2")
	subA, subB := a.Subscribe(256), b.Subscribe(256)

	if err := b.AddPeer(PeerConfig{Address: loA, PeerASN: 65001, Passive: true, HoldTime: 9 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := a.AddPeer(PeerConfig{Address: loB, Port: b.ListenAddrs()[0].Port(), SourceAddress: loA,
		PeerASN: 65002, HoldTime: 30 * time.Second, ConnectTime: time.Second}); err != nil {
		t.Fatal(err)
	}
	up := waitFor(t, subA, 5*time.Second, "A up", isType(SessionUp))
	waitFor(t, subB, 5*time.Second, "B up", isType(SessionUp))
	// Peers() follows at the end of the step that published SessionUp.
	deadline := time.Now().Add(5 * time.Second)
	for ps := a.Peers(); len(ps) != 1 || ps[0].State != fsm.Established || !ps[0].Up || ps[0].Address != loB; ps = a.Peers() {
		if time.Now().After(deadline) {
			t.Fatalf("Peers() = %+v, want 127.0.0.2 Established", ps)
		}
		time.Sleep(time.Millisecond)
	}
	if up.Session.HoldTime != 9*time.Second || up.Session.Keepalive != 3*time.Second {
		t.Errorf("negotiated hold %v keepalive %v, want 9s 3s", up.Session.HoldTime, up.Session.Keepalive)
	}
	if diff := cmp.Diff([]wire.Family{wire.IPv4Unicast, wire.IPv6Unicast}, up.Session.Families); diff != "" {
		t.Errorf("families (-want +got):\n%s", diff)
	}

	vip := netip.MustParsePrefix("192.0.2.10/32")
	if err := a.Announce(vip, wire.Attributes{Communities: []wire.Community{0xfde90064}, MED: 10, HasMED: true}); err != nil {
		t.Fatal(err)
	}
	v6 := netip.MustParsePrefix("2001:db8:1::/48")
	if err := a.Announce(v6, wire.Attributes{NextHop: netip.MustParseAddr("2001:db8::1")}); err != nil {
		t.Fatal(err)
	}
	// The two UPDATEs may come in either order.
	var got *wire.Attributes
	seen6 := false
	waitFor(t, subB, 5*time.Second, "B receives the /32 and the IPv6 prefix", func(ev Event) bool {
		for _, r := range ev.Announced {
			switch r.Prefix {
			case vip:
				got = r.Attrs
			case v6:
				seen6 = true
			}
		}
		return got != nil && seen6
	})
	want := &wire.Attributes{
		Origin:      wire.OriginIGP,
		ASPath:      []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{65001}}},
		NextHop:     loA,
		MED:         10,
		HasMED:      true,
		Communities: []wire.Community{0xfde90064},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
		t.Errorf("received attributes (-want +got):\n%s", diff)
	}

	if err := a.Withdraw(vip); err != nil {
		t.Fatal(err)
	}
	waitFor(t, subB, 5*time.Second, "B sees the withdrawal", withdraws(vip))

	// B announces toward A.
	bvip := netip.MustParsePrefix("198.51.100.7/32")
	b.Announce(bvip, wire.Attributes{})
	waitFor(t, subA, 5*time.Second, "A receives B's /32", announces(bvip))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx, "maintenance, back soon"); err != nil {
		t.Fatal(err)
	}
	down := waitFor(t, subB, 5*time.Second, "B sees the session go down", isType(SessionDown))
	var ne *NotificationError
	if !errors.As(down.Err, &ne) || ne.Sent {
		t.Fatalf("down reason %v, want a received NOTIFICATION", down.Err)
	}
	if msg, ok := ne.Notification.ShutdownMessage(); !ok || msg != "maintenance, back soon" {
		t.Errorf("shutdown message %q %v", msg, ok)
	}
}

// TestCollision starts both speakers active toward each other at once.
// Depending on timing the connections collide; the race inherent in
// RFC 4271 section 6.8 (one side already Established on a connection the
// other drops by BGP Identifier) may cost one flap, after which exactly
// one session is up on each side and routes flow.
func TestCollision(t *testing.T) {
	checkGoroutines(t)
	a := newSpeaker(t, 65000, "10.0.0.1", "127.0.0.1")
	b := newSpeaker(t, 65000, "10.0.0.2", "127.0.0.2")
	subB := b.Subscribe(256)
	pa, pb := a.ListenAddrs()[0].Port(), b.ListenAddrs()[0].Port()
	// iBGP both ways, each dialing the other's listener from its own
	// address, so each sees the other's connection as incoming.
	if err := b.AddPeer(PeerConfig{Address: loA, Port: pa, SourceAddress: loB, PeerASN: 65000, HoldTime: 9 * time.Second, ConnectTime: time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := a.AddPeer(PeerConfig{Address: loB, Port: pb, SourceAddress: loA, PeerASN: 65000, HoldTime: 9 * time.Second, ConnectTime: time.Second}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		pa, pb := a.Peers(), b.Peers()
		if len(pa) == 1 && len(pb) == 1 && pa[0].Up && pb[0].Up {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions not up: %+v %+v", pa, pb)
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.Announce(netip.MustParsePrefix("192.0.2.1/32"), wire.Attributes{})
	ev := waitFor(t, subB, 10*time.Second, "route over the surviving session", announces(netip.MustParsePrefix("192.0.2.1/32")))
	if lp := ev.Announced[0].Attrs; !lp.HasLocalPref || lp.LocalPref != 100 || len(lp.ASPath) != 0 {
		t.Errorf("iBGP attributes %+v: want LOCAL_PREF 100 and an empty AS path", lp)
	}
}

func TestBadPeerAS(t *testing.T) {
	checkGoroutines(t)
	a := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	b := newSpeaker(t, 65002, "10.0.0.2", "127.0.0.2")
	// B expects AS 65009: A's OPEN is refused with Bad Peer AS.
	b.AddPeer(PeerConfig{Address: loA, PeerASN: 65009, Passive: true})
	subA := a.Subscribe(16)
	_ = subA
	a.AddPeer(PeerConfig{Address: loB, Port: b.ListenAddrs()[0].Port(), SourceAddress: loA, PeerASN: 65002, ConnectTime: time.Second})
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for _, ps := range a.Peers() {
			if ps.Up {
				t.Fatal("session up despite the wrong AS")
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAddPeerValidation(t *testing.T) {
	s := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	for _, pc := range []PeerConfig{
		{},
		{Address: loB},
		{Address: loB, PeerASN: 1, HoldTime: time.Second},
		{Address: loB, PeerASN: 1, Password: string(make([]byte, 81))},
	} {
		if err := s.AddPeer(pc); !errors.Is(err, ErrInvalidPeer) {
			t.Errorf("AddPeer(%+v) = %v, want ErrInvalidPeer", pc, err)
		}
	}
	if err := s.AddPeer(PeerConfig{Address: loB, PeerASN: 1, Passive: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPeer(PeerConfig{Address: loB, PeerASN: 1}); !errors.Is(err, ErrPeerExists) {
		t.Errorf("second AddPeer = %v", err)
	}
	if err := s.RemovePeer(context.Background(), loB); err != nil {
		t.Fatal(err)
	}
	if err := s.RemovePeer(context.Background(), loB); !errors.Is(err, ErrNoSuchPeer) {
		t.Errorf("second RemovePeer = %v", err)
	}
}
