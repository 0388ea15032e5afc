package bgp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// establishRaw brings a session up between a speaker and a hand-driven
// peer and returns both.
func establishRaw(t testing.TB) (*Speaker, *Subscription, rawPeer) {
	t.Helper()
	s := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	sub := s.Subscribe(64)
	ln := listenPeer(t, s, PeerConfig{PeerASN: 65002, HoldTime: 9 * time.Second, ConnectTime: 5 * time.Second,
		Families: []wire.Family{wire.IPv4Unicast}})
	return s, sub, acceptRaw(t, ln, sub, wire.Capabilities{})
}

func update(origin byte, prefix byte) []byte {
	b := []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0, 0, 2, // length, UPDATE
		0, 0, // no withdrawn routes
		0, 20, // attributes
		0x40, 1, 1, origin, // ORIGIN
		0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xea, // AS_PATH 65002 (4-octet)
		0x40, 3, 4, 127, 0, 0, 2, // NEXT_HOP
		32, 198, 51, 100, prefix, // 198.51.100.x/32
	}
	b[16], b[17] = 0, byte(len(b))
	return b
}

// TestTreatAsWithdraw: an UPDATE with an undefined ORIGIN is treated as a
// withdrawal (RFC 7606 section 7.1); the session stays up.
func TestTreatAsWithdraw(t *testing.T) {
	checkGoroutines(t)
	_, sub, r := establishRaw(t)
	p := netip.MustParsePrefix("198.51.100.7/32")
	r.send(update(0, 7))
	waitFor(t, sub, 5*time.Second, "the route", announces(p))
	r.send(update(9, 7))
	waitFor(t, sub, 5*time.Second, "the malformed UPDATE as a withdrawal", withdraws(p))
	r.send(update(0, 8))
	waitFor(t, sub, 5*time.Second, "session still up", announces(netip.MustParsePrefix("198.51.100.8/32")))
}

// TestUpdateErrorResets: an UPDATE whose attribute lengths overrun the
// message resets the session with the UPDATE Message Error RFC 7606 keeps
// for it.
func TestUpdateErrorResets(t *testing.T) {
	checkGoroutines(t)
	_, sub, r := establishRaw(t)
	bad := update(0, 7)
	bad[22] = 200 // total path attribute length past the end
	r.send(bad)
	n, err := wire.ParseNotification(r.recvType(wire.TypeNotification))
	if err != nil || n.Code != wire.CodeUpdate {
		t.Fatalf("got %v %v, want an UPDATE Message Error", n, err)
	}
	ev := waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	t.Logf("down: %v", ev.Err)
}

// TestGarbageResets: bytes that are not a BGP header get a Message Header
// Error (RFC 4271 section 6.1).
func TestGarbageResets(t *testing.T) {
	checkGoroutines(t)
	_, sub, r := establishRaw(t)
	r.send(make([]byte, 19))
	n, err := wire.ParseNotification(r.recvType(wire.TypeNotification))
	if err != nil || n.Code != wire.CodeMessageHeader || n.Subcode != wire.SubConnectionNotSynchronized {
		t.Fatalf("got %v %v, want Message Header Error / Connection Not Synchronized", n, err)
	}
	waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
}
