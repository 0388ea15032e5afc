package bgp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// readPrefixes reads UPDATEs until the IPv4 End-of-RIB marker or until
// want prefixes have arrived, and returns the set announced.
func readPrefixes(t *testing.T, r rawPeer, want int, untilEoR bool) map[netip.Prefix]bool {
	t.Helper()
	got := map[netip.Prefix]bool{}
	for {
		if !untilEoR && len(got) >= want {
			return got
		}
		m := r.recvType(wire.TypeUpdate)
		u, err := wire.ParseUpdate(m, &wire.DecodeOptions{AS4: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := u.EndOfRIB(); ok {
			return got
		}
		for _, n := range u.Reachable() {
			got[n.Prefix] = true
		}
	}
}

// TestLargeTableAndRouteRefresh announces more prefixes than one UPDATE
// holds (the builder splits them within 4096 bytes), then answers a
// ROUTE-REFRESH (RFC 2918) by sending them all again.
func TestLargeTableAndRouteRefresh(t *testing.T) {
	checkGoroutines(t)
	s := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	const n = 3000
	for i := range n {
		s.Announce(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 20, byte(i >> 8), byte(i)}), 32), wire.Attributes{})
	}
	ln := listenPeer(t, s, PeerConfig{PeerASN: 65002, HoldTime: 9 * time.Second, ConnectTime: 5 * time.Second})
	r := handshakeRaw(t, ln, 9, wire.Capabilities{FourOctetAS: true, RouteRefresh: true})

	if got := readPrefixes(t, r, n, true); len(got) != n {
		t.Fatalf("initial table: %d prefixes, want %d", len(got), n)
	}
	rr, _ := wire.RouteRefresh{Family: wire.IPv4Unicast}.Append(nil)
	r.send(rr)
	if got := readPrefixes(t, r, n, false); len(got) != n {
		t.Fatalf("after ROUTE-REFRESH: %d prefixes, want %d", len(got), n)
	}
}

// TestManyAttributeSetsOneBatch: a sync with many attribute sets takes
// one slot of the send queue, so even a queue of 2 carries 500 of them.
func TestManyAttributeSetsOneBatch(t *testing.T) {
	checkGoroutines(t)
	s, err := New(Config{ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1"), SendQueue: 2, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 500
	for i := range n {
		s.Announce(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 30, byte(i >> 8), byte(i)}), 32),
			wire.Attributes{MED: uint32(i), HasMED: true})
	}
	ln := listenPeer(t, s, PeerConfig{PeerASN: 65002, HoldTime: 9 * time.Second, ConnectTime: 5 * time.Second})
	r := handshakeRaw(t, ln, 9, wire.Capabilities{FourOctetAS: true})
	if got := readPrefixes(t, r, n, true); len(got) != n {
		t.Fatalf("%d prefixes, want %d", len(got), n)
	}
}
