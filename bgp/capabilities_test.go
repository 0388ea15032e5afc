package bgp

import (
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// TestNegotiatedCapabilities runs a session over IPv6 loopback with
// ADD-PATH, extended messages and extended next hop offered by both sides:
// IPv4 prefixes arrive with path identifier 1 and our IPv6 address as next
// hop, and an UPDATE larger than 4096 bytes goes through.
func TestNegotiatedCapabilities(t *testing.T) {
	checkGoroutines(t)
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("needs IPv6 loopback")
	}
	ln.Close()
	lo6 := netip.MustParseAddr("::1")
	sa := newSpeaker(t, 65001, "10.0.0.1", "::1")
	sb := newSpeaker(t, 65002, "10.0.0.2", "::1")
	subA, subB := sa.Subscribe(16), sb.Subscribe(16)
	// 1500 communities: an UPDATE of about 6 kB, which only an extended
	// message can carry.
	comms := make([]wire.Community, 1500)
	for i := range comms {
		comms[i] = wire.Community(65001<<16 | uint32(i))
	}
	big := netip.MustParsePrefix("10.7.0.0/24")
	sa.Announce(big, wire.Attributes{Communities: comms})
	tweak := func(pc PeerConfig) PeerConfig {
		pc.AddPath = []wire.AddPathFamily{{Family: wire.IPv4Unicast, Mode: wire.AddPathBoth}}
		pc.ExtendedMessage = true
		pc.ExtendedNextHop = true
		return pc
	}
	if err := sb.AddPeer(tweak(PeerConfig{Address: lo6, PeerASN: 65001, Passive: true})); err != nil {
		t.Fatal(err)
	}
	if err := sa.AddPeer(tweak(PeerConfig{Address: lo6, Port: sb.ListenAddrs()[0].Port(), PeerASN: 65002, ConnectTime: time.Second})); err != nil {
		t.Fatal(err)
	}
	up := waitFor(t, subA, 5*time.Second, "A up", isType(SessionUp))
	waitFor(t, subB, 5*time.Second, "B up", isType(SessionUp))
	got := struct{ Recv, Send, ENH []wire.Family }{up.Session.AddPathReceive, up.Session.AddPathSend, up.Session.ExtendedNextHop}
	want := struct{ Recv, Send, ENH []wire.Family }{[]wire.Family{wire.IPv4Unicast}, []wire.Family{wire.IPv4Unicast}, []wire.Family{wire.IPv4Unicast}}
	if diff := cmp.Diff(want, got); diff != "" || !up.Session.ExtendedMessage {
		t.Fatalf("negotiated (-want +got):\n%s extended message %v", diff, up.Session.ExtendedMessage)
	}
	ev := waitFor(t, subB, 10*time.Second, "the prefix with 1500 communities", announces(big))
	r := ev.Announced[0]
	if r.PathID != 1 || r.Attrs.NextHop != lo6 || r.Family != wire.IPv4Unicast || len(r.Attrs.Communities) != 1500 {
		t.Fatalf("route %v path %d next hop %v family %v with %d communities, want path 1 via ::1 with 1500",
			r.Prefix, r.PathID, r.Attrs.NextHop, r.Family, len(r.Attrs.Communities))
	}
	p := netip.MustParsePrefix("10.7.1.9/32")
	sa.Announce(p, wire.Attributes{})
	waitFor(t, subB, 5*time.Second, "a second prefix", announces(p))
	sa.Withdraw(p)
	ev = waitFor(t, subB, 5*time.Second, "withdrawal", withdraws(p))
	if i := slices.IndexFunc(ev.Withdrawn, func(r Route) bool { return r.Prefix == p }); ev.Withdrawn[i].PathID != 1 {
		t.Errorf("withdrawn with path %d, want 1", ev.Withdrawn[i].PathID)
	}
}

// TestCapabilitiesOfferedByOneSide: what only one side offers is not
// negotiated.
func TestCapabilitiesOfferedByOneSide(t *testing.T) {
	checkGoroutines(t)
	_, _, subA, _ := pair(t, loA, loB, func(pc *PeerConfig) {
		if pc.Passive {
			pc.AddPath = []wire.AddPathFamily{{Family: wire.IPv4Unicast, Mode: wire.AddPathBoth}}
			pc.ExtendedMessage = true
		}
	})
	up := waitFor(t, subA, 5*time.Second, "A up", isType(SessionUp))
	if s := up.Session; len(s.AddPathReceive)+len(s.AddPathSend)+len(s.ExtendedNextHop) != 0 || s.ExtendedMessage {
		t.Errorf("negotiated %+v with only one side offering", s)
	}
}

// TestAFISAFIDisable: a malformed MP_REACH_NLRI of IPv4 unicast disables
// the family for the rest of the session (RFC 7606 section 7.11) instead
// of resetting it: the event says so, and later IPv4 routes are ignored.
func TestAFISAFIDisable(t *testing.T) {
	checkGoroutines(t)
	s, sub, r := establishRaw(t)
	r.send(update(0, 7))
	waitFor(t, sub, 5*time.Second, "the route", announces(netip.MustParsePrefix("198.51.100.7/32")))
	attrs := []byte{
		0x80, 14, 15, 0, 1, 1, 5, 127, 0, 0, 2, 9, 0, 32, 198, 51, 100, 9, // MP_REACH, next hop length 5
		0x40, 1, 1, 0,
		0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xea,
	}
	msg := append(wire.AppendKeepalive(nil)[:16], 0, 0, 2, 0, 0, 0, byte(len(attrs)))
	msg = append(msg, attrs...)
	msg[17] = byte(len(msg))
	r.send(msg)
	ev := waitFor(t, sub, 5*time.Second, "the family disabled", func(ev Event) bool { return len(ev.Disabled) > 0 })
	if diff := cmp.Diff([]wire.Family{wire.IPv4Unicast}, ev.Disabled); diff != "" {
		t.Fatalf("disabled (-want +got):\n%s", diff)
	}
	r.send(update(0, 8))
	r.send(wire.AppendKeepalive(nil))
	deadline := time.After(300 * time.Millisecond)
	for {
		select {
		case ev := <-sub.Events():
			if ev.Type == SessionDown || len(ev.Announced) > 0 {
				t.Fatalf("after the disable: %v %v", ev.Type, ev.Announced)
			}
			continue
		case <-deadline:
		}
		break
	}
	if st := s.Peers(); len(st) != 1 || !st[0].Up {
		t.Fatalf("peers %+v: the session should stay up", st)
	}
}
