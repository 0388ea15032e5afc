package rib

import (
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Paths that loop replace the peer's earlier path with nothing (RFC 4271
// section 9.1.2, RFC 4456 section 8).
func TestLoopChecks(t *testing.T) {
	p := netip.MustParsePrefix("192.0.2.0/24")
	for name, tc := range map[string]struct {
		ibgp bool
		mod  func(*wire.Attributes)
	}{
		"own AS in eBGP AS_PATH": {false, func(a *wire.Attributes) {
			a.ASPath = []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{1, testASN, 2}}}
		}},
		"own router ID as ORIGINATOR_ID": {true, func(a *wire.Attributes) { a.OriginatorID = testRouterID }},
		"own cluster in CLUSTER_LIST": {true, func(a *wire.Attributes) {
			a.OriginatorID = netip.MustParseAddr("10.1.1.1")
			a.ClusterList = []netip.Addr{netip.MustParseAddr("10.7.7.7"), testRouterID}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			r := New(Options{LocalASN: testASN, RouterID: testRouterID})
			asn := uint32(1)
			if tc.ibgp {
				asn = testASN
			}
			peer := r.AddPeer(PeerConfig{Addr: netip.MustParseAddr("10.0.0.1"), ASN: asn, AllowWithoutPolicy: true})
			if err := r.Announce(peer, wire.NLRI{Prefix: p}, testAttrs(0)); err != nil {
				t.Fatal(err)
			}
			if r.Len() != 1 {
				t.Fatal("clean path not stored")
			}
			a := testAttrs(0)
			tc.mod(a)
			if err := r.Announce(peer, wire.NLRI{Prefix: p}, a); err != nil {
				t.Fatal(err)
			}
			if r.Len() != 0 || r.AttrSets() != 0 {
				t.Fatalf("looping path kept: %d prefixes, %d attribute sets", r.Len(), r.AttrSets())
			}
		})
	}
}

// RemovePeer withdraws the peer's paths and frees their attribute sets;
// the other peer's paths become best.
func TestRemovePeer(t *testing.T) {
	r := New(Options{LocalASN: testASN, RouterID: testRouterID, DefaultLocalPref: 100})
	a := r.AddPeer(PeerConfig{Addr: netip.MustParseAddr("10.0.0.1"), ASN: 1, RouterID: netip.MustParseAddr("10.1.0.1"), AllowWithoutPolicy: true})
	b := r.AddPeer(PeerConfig{Addr: netip.MustParseAddr("10.0.0.2"), ASN: 1, RouterID: netip.MustParseAddr("10.1.0.2"), AllowWithoutPolicy: true})
	p1, p2 := netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24")
	for _, x := range []struct {
		peer PeerID
		p    netip.Prefix
		i    int
	}{{a, p1, 0}, {a, p2, 1}, {b, p1, 3}} {
		if err := r.Announce(x.peer, wire.NLRI{Prefix: x.p}, testAttrs(x.i)); err != nil {
			t.Fatal(err)
		}
	}
	if best, by, _ := r.Best(p1); best.Peer != a || by != StepASPathLen {
		t.Fatalf("best %v by %v, want peer %v by as-path length", best.Peer, by, a)
	}
	if err := r.RemovePeer(a); err != nil {
		t.Fatal(err)
	}
	if best, _, _ := r.Best(p1); best.Peer != b || r.Len() != 1 || r.AttrSets() != 1 {
		t.Fatalf("after RemovePeer: best %v, %d prefixes, %d sets", best.Peer, r.Len(), r.AttrSets())
	}
	if err := r.Ingest(a, &wire.Update{}); err == nil {
		t.Fatal("Ingest from a removed peer succeeded")
	}
}
