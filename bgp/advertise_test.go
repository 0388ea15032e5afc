package bgp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// TestAdvertiseLearned: a speaker with a RIB and AdvertiseLearned passes
// what one eBGP peer sends on to another (with its AS prepended and itself
// as next hop), never back to the sender, and withdraws it when the
// sender does. Without an export policy the second eBGP peer gets nothing
// unless AllowWithoutPolicy (RFC 8212).
func TestAdvertiseLearned(t *testing.T) {
	checkGoroutines(t)
	r := rib.New(rib.Options{LocalASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1")})
	s, err := New(Config{ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1"), Logger: testLogger(t),
		RIB: r, AdvertiseLearned: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sub := s.Subscribe(64)
	peers := make([]rawPeer, 2)
	for i, addr := range []netip.Addr{loB, netip.MustParseAddr("127.0.0.3")} {
		ln, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
		if err != nil {
			t.Skipf("no %v on loopback: %v", addr, err)
		}
		t.Cleanup(func() { ln.Close() })
		if err := s.AddPeer(PeerConfig{Address: addr, Port: uint16(ln.Addr().(*net.TCPAddr).Port), SourceAddress: loA,
			PeerASN: 65002 + uint32(i), HoldTime: 9 * time.Second, ConnectTime: 5 * time.Second,
			Families: []wire.Family{wire.IPv4Unicast}, RIB: rib.PeerConfig{AllowWithoutPolicy: true}}); err != nil {
			t.Fatal(err)
		}
		nc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		p := rawPeer{t, nc}
		p.recvType(wire.TypeOpen)
		ob, _ := (&wire.Open{ASN: 65002 + uint32(i), HoldTime: 9, RouterID: netip.AddrFrom4([4]byte{10, 0, 0, byte(2 + i)}),
			Capabilities: wire.Capabilities{FourOctetAS: true}}).Append(nil)
		p.send(ob)
		p.recvType(wire.TypeKeepalive)
		p.send(wire.AppendKeepalive(nil))
		waitFor(t, sub, 5*time.Second, "session up", isType(SessionUp))
		p.recvType(wire.TypeUpdate) // End-of-RIB
		peers[i] = p
	}
	peers[0].send(update(0, 7)) // 198.51.100.7/32 from AS 65002
	u, err := wire.ParseUpdate(peers[1].recvType(wire.TypeUpdate), &wire.DecodeOptions{AS4: true, EBGP: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []netip.Prefix
	for _, n := range u.Reachable() {
		got = append(got, n.Prefix)
	}
	nh, _ := u.Attr(wire.AttrNextHop)
	path, _, _ := u.ASPath(nil)
	first, _ := path.FirstAS()
	if len(got) != 1 || got[0] != netip.MustParsePrefix("198.51.100.7/32") || nh.NextHop() != loA || first != 65001 || path.Len() != 2 {
		t.Fatalf("passed on %v via %v with AS path length %d first %d; want 198.51.100.7/32 via %v, 65001 65002",
			got, nh.NextHop(), path.Len(), first, loA)
	}
	// Withdrawn by its source: withdrawn from the other peer.
	w := update(0, 7)
	w = append(w[:19:19], 0, 5, 32, 198, 51, 100, 7, 0, 0)
	w[16], w[17] = 0, byte(len(w))
	peers[0].send(w)
	u, err = wire.ParseUpdate(peers[1].recvType(wire.TypeUpdate), &wire.DecodeOptions{AS4: true, EBGP: true})
	if err != nil {
		t.Fatal(err)
	}
	var gone []netip.Prefix
	for _, n := range u.Unreachable() {
		gone = append(gone, n.Prefix)
	}
	if len(gone) != 1 || gone[0] != netip.MustParsePrefix("198.51.100.7/32") {
		t.Fatalf("withdrew %v, want 198.51.100.7/32", gone)
	}
}
