package bgp

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/bfd"
	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// ribSpeaker starts a speaker feeding a new RIB (cfg adds to Config) and
// a listener on 127.0.0.2 for its one peer, configured with pc (Address,
// Port and SourceAddress filled in), which it adds.
func ribSpeaker(t *testing.T, cfg Config, pc PeerConfig) (*Speaker, *rib.RIB, *Subscription, net.Listener) {
	t.Helper()
	r := rib.New(rib.Options{LocalASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1")})
	cfg.ASN, cfg.RouterID, cfg.Logger, cfg.RIB = 65001, netip.MustParseAddr("10.0.0.1"), testLogger(t), r
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sub := s.Subscribe(64)
	if pc.PeerASN == 0 {
		pc.PeerASN = 65002
	}
	if pc.HoldTime == 0 {
		pc.HoldTime, pc.Families = 9*time.Second, []wire.Family{wire.IPv4Unicast}
	}
	if pc.ConnectTime == 0 {
		pc.ConnectTime = 5 * time.Second
	}
	return s, r, sub, listenPeer(t, s, pc)
}

// listenPeer opens a listener on 127.0.0.2 and adds pc (Address, Port and
// SourceAddress filled in) to s as the peer behind it.
func listenPeer(t testing.TB, s *Speaker, pc PeerConfig) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	pc.Address, pc.Port, pc.SourceAddress = loB, uint16(ln.Addr().(*net.TCPAddr).Port), loA
	if err := s.AddPeer(pc); err != nil {
		t.Fatal(err)
	}
	return ln
}

// handshakeRaw accepts the speaker's connection on ln and plays the peer
// of AS 65002 (OPEN with hold and caps) until both sides sent KEEPALIVE.
func handshakeRaw(t testing.TB, ln net.Listener, hold uint16, caps wire.Capabilities) rawPeer {
	t.Helper()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	p := rawPeer{t, nc}
	p.recvType(wire.TypeOpen)
	ob, _ := (&wire.Open{ASN: 65002, HoldTime: hold, RouterID: netip.MustParseAddr("10.0.0.2"), Capabilities: caps}).Append(nil)
	p.send(ob)
	p.recvType(wire.TypeKeepalive)
	p.send(wire.AppendKeepalive(nil))
	return p
}

// acceptRaw accepts the speaker's connection on ln and plays the peer of
// AS 65002 with caps up to Established and the speaker's End-of-RIB.
func acceptRaw(t testing.TB, ln net.Listener, sub *Subscription, caps wire.Capabilities) rawPeer {
	t.Helper()
	caps.FourOctetAS = true
	p := handshakeRaw(t, ln, 9, caps)
	waitFor(t, sub, 5*time.Second, "session up", isType(SessionUp))
	p.recvType(wire.TypeUpdate) // End-of-RIB
	return p
}

// establishRIB brings up a session between a speaker feeding a RIB and a
// hand-driven peer whose paths the RIB takes with peer's configuration.
func establishRIB(t *testing.T, peer rib.PeerConfig) (*rib.RIB, *Subscription, rawPeer) {
	t.Helper()
	_, r, sub, ln := ribSpeaker(t, Config{}, PeerConfig{RIB: peer})
	return r, sub, acceptRaw(t, ln, sub, wire.Capabilities{})
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 5 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRIBIngest: with Config.RIB, the peer's UPDATEs land in the RIB and
// leave it with the session.
func TestRIBIngest(t *testing.T) {
	checkGoroutines(t)
	r, sub, p := establishRIB(t, rib.PeerConfig{AllowWithoutPolicy: true})
	for i := range byte(3) {
		p.send(update(0, i))
	}
	eventually(t, "three paths in the RIB", func() bool { return r.Len() == 3 })
	best, _, ok := r.Best(netip.MustParsePrefix("198.51.100.1/32"))
	if !ok || best.NextHop() != netip.MustParseAddr("127.0.0.2") {
		t.Fatalf("best path %+v (%v), want next hop 127.0.0.2", best, ok)
	}
	p.nc.Close()
	waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	eventually(t, "the paths leave with the session", func() bool { return r.Len() == 0 })
}

// TestRIBRFC8212: without an import policy the RIB takes no eBGP path.
func TestRIBRFC8212(t *testing.T) {
	checkGoroutines(t)
	r, _, p := establishRIB(t, rib.PeerConfig{})
	p.send(update(0, 1))
	p.send(wire.AppendKeepalive(nil))
	time.Sleep(100 * time.Millisecond)
	if r.Len() != 0 {
		t.Fatal("an eBGP path without an import policy reached the RIB")
	}
}

// TestMaxPrefixes: a peer that goes beyond its limit gets Cease /
// Maximum Number of Prefixes Reached (RFC 4486) and its paths are gone.
func TestMaxPrefixes(t *testing.T) {
	checkGoroutines(t)
	r, sub, p := establishRIB(t, rib.PeerConfig{AllowWithoutPolicy: true, MaxPrefixes: 2})
	for i := range byte(3) {
		p.send(update(0, i))
	}
	n, err := wire.ParseNotification(p.recvType(wire.TypeNotification))
	if err != nil || n.Code != wire.CodeCease || n.Subcode != wire.SubMaxPrefixes {
		t.Fatalf("NOTIFICATION %v (%v), want Cease / Maximum Number of Prefixes Reached", n, err)
	}
	waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	eventually(t, "the paths leave with the session", func() bool { return r.Len() == 0 })
}

// TestBFDSession: two speakers with PeerConfig.BFD on loopback bring a BFD
// session up with the BGP session, and down again when it ends.
func TestBFDSession(t *testing.T) {
	checkGoroutines(t)
	a := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	b := newSpeaker(t, 65002, "10.0.0.2", "127.0.0.2")
	fast := &bfd.Config{DesiredMinTx: 50 * time.Millisecond, RequiredMinRx: 50 * time.Millisecond}
	sub := a.Subscribe(16)
	for _, x := range []struct {
		s        *Speaker
		peer     netip.Addr
		asn      uint32
		passive  bool
		peerPort uint16
	}{{a, loB, 65002, false, b.ListenAddrs()[0].Port()}, {b, loA, 65001, true, 0}} {
		if err := x.s.AddPeer(PeerConfig{Address: x.peer, Port: x.peerPort, PeerASN: x.asn, Passive: x.passive,
			HoldTime: 9 * time.Second, ConnectTime: time.Second, BFD: fast}); err != nil {
			t.Skipf("BFD needs UDP port 3784 on 127.0.0.1 and 127.0.0.2: %v", err)
		}
	}
	waitFor(t, sub, 5*time.Second, "session up", isType(SessionUp))
	eventually(t, "BFD Up", func() bool { return a.Peers()[0].BFD == bfd.Up && b.Peers()[0].BFD == bfd.Up })
	if err := b.RemovePeer(context.Background(), loA); err != nil {
		t.Fatal(err)
	}
	waitFor(t, sub, 5*time.Second, "session down", isType(SessionDown))
	eventually(t, "BFD Down", func() bool { return a.Peers()[0].BFD != bfd.Up })
}
