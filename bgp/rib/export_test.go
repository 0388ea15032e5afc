package rib

import (
	"net/netip"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

func fullAttrs() *wire.Attributes {
	return &wire.Attributes{
		Origin:              wire.OriginEGP,
		ASPath:              []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{1, 70000}}, {Type: wire.ASSet, ASNs: []uint32{5, 6}}},
		NextHop:             netip.MustParseAddr("10.9.0.1"),
		MED:                 7,
		HasMED:              true,
		LocalPref:           300,
		HasLocalPref:        true,
		AtomicAggregate:     true,
		Aggregator:          wire.Aggregator{ASN: 70000, Addr: netip.MustParseAddr("10.8.0.1")},
		Communities:         []wire.Community{1<<16 | 2},
		ExtendedCommunities: []wire.ExtendedCommunity{{0, 2, 0, 1, 0, 0, 0, 9}},
		LargeCommunities:    []wire.LargeCommunity{{GlobalAdmin: 70000, LocalData1: 1, LocalData2: 2}},
	}
}

// The attributes of an interned set are those announced.
func TestAttributesRoundTrip(t *testing.T) {
	r := New(Options{LocalASN: testASN, RouterID: testRouterID})
	peer := r.AddPeer(PeerConfig{Addr: netip.MustParseAddr("10.0.0.1"), ASN: testASN, AllowWithoutPolicy: true})
	p := netip.MustParsePrefix("192.0.2.0/24")
	want := fullAttrs()
	want.OriginatorID = netip.MustParseAddr("10.1.1.1")
	want.ClusterList = []netip.Addr{netip.MustParseAddr("10.7.7.7")}
	if err := r.Announce(peer, wire.NLRI{Prefix: p}, want); err != nil {
		t.Fatal(err)
	}
	best, _, _ := r.Best(p)
	if d := gocmp.Diff(*want, best.Attrs.Attributes(), cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Addr{})); d != "" {
		t.Fatalf("(-announced +stored):\n%s", d)
	}
}

func TestExport(t *testing.T) {
	o := Options{LocalASN: testASN, RouterID: testRouterID, ClusterID: netip.MustParseAddr("10.5.5.5"), DefaultLocalPref: 100}
	self := ExportConfig{LocalAddr: netip.MustParseAddr("10.0.0.254")}
	ebgpA := PeerConfig{Addr: netip.MustParseAddr("10.0.0.1"), ASN: 1, RouterID: netip.MustParseAddr("10.1.0.1"), AllowWithoutPolicy: true}
	ebgpB := PeerConfig{Addr: netip.MustParseAddr("10.0.0.2"), ASN: 2, RouterID: netip.MustParseAddr("10.1.0.2"), AllowWithoutPolicy: true}
	ibgp := PeerConfig{Addr: netip.MustParseAddr("10.0.0.3"), ASN: testASN, RouterID: netip.MustParseAddr("10.1.0.3")}
	client := PeerConfig{Addr: netip.MustParseAddr("10.0.0.4"), ASN: testASN, RouterID: netip.MustParseAddr("10.1.0.4"), RRClient: true}
	client2 := PeerConfig{Addr: netip.MustParseAddr("10.0.0.5"), ASN: testASN, RouterID: netip.MustParseAddr("10.1.0.5"), RRClient: true}

	for _, tc := range []struct {
		name     string
		from, to PeerConfig
		mod      func(*wire.Attributes) // on the announced attributes
		want     func(*wire.Attributes) // on the announced attributes, nil: not sent
	}{
		{"eBGP to eBGP", ebgpA, ebgpB, nil, func(a *wire.Attributes) {
			a.ASPath[0].ASNs = []uint32{testASN, 1, 70000}
			a.NextHop = self.LocalAddr
			a.HasLocalPref, a.LocalPref, a.HasMED, a.MED = false, 0, false, 0
		}},
		{"eBGP to iBGP", ebgpA, ibgp, nil, func(a *wire.Attributes) { a.LocalPref = 100 }},
		{"iBGP to eBGP keeps MED", ibgp, ebgpA, nil, func(a *wire.Attributes) {
			a.ASPath[0].ASNs = []uint32{testASN, 1, 70000}
			a.NextHop = self.LocalAddr
			a.HasLocalPref, a.LocalPref = false, 0
		}},
		{"iBGP to iBGP", ibgp, ibgp, nil, nil},
		{"iBGP to client", ibgp, client, nil, func(a *wire.Attributes) {
			a.OriginatorID = ibgp.RouterID
			a.ClusterList = []netip.Addr{o.ClusterID}
		}},
		{"client to client keeps ORIGINATOR_ID", client, client2, func(a *wire.Attributes) {
			a.OriginatorID = netip.MustParseAddr("10.1.9.9")
			a.ClusterList = []netip.Addr{netip.MustParseAddr("10.6.6.6")}
		}, func(a *wire.Attributes) {
			a.ClusterList = []netip.Addr{o.ClusterID, netip.MustParseAddr("10.6.6.6")}
		}},
		{"NO_EXPORT to eBGP", ebgpA, ebgpB, func(a *wire.Attributes) { a.Communities = []wire.Community{wire.CommunityNoExport} }, nil},
		{"NO_ADVERTISE to iBGP", ebgpA, ibgp, func(a *wire.Attributes) { a.Communities = []wire.Community{wire.CommunityNoAdvertise} }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(o)
			from := r.AddPeer(tc.from)
			to := r.AddPeer(tc.to)
			in := fullAttrs()
			if tc.from.ASN == testASN {
				in.ASPath[0].ASNs = []uint32{1, 70000}
			}
			if tc.mod != nil {
				tc.mod(in)
			}
			p := netip.MustParsePrefix("192.0.2.0/24")
			if err := r.Announce(from, wire.NLRI{Prefix: p}, in); err != nil {
				t.Fatal(err)
			}
			best, _, _ := r.Best(p)
			got, ok := r.Export(to, best, self)
			if tc.want == nil {
				if ok {
					t.Fatalf("exported %+v, want nothing", got)
				}
				return
			}
			if !ok {
				t.Fatal("not exported")
			}
			want := fullAttrs()
			if tc.mod != nil {
				tc.mod(want)
			}
			tc.want(want)
			if d := gocmp.Diff(*want, got, cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Addr{})); d != "" {
				t.Fatalf("(-want +exported):\n%s", d)
			}
		})
	}
}
