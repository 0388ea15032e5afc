package rib_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/bgp/rib"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Two Muxes announce one VIP; with MaxPaths 2 both next hops form the
// ECMP set the forwarding table installs from a subscription. The Muxes
// have ASes of their own, so multipath needs ASPathRelax.
func Example() {
	r := rib.New(rib.Options{LocalASN: 65000, RouterID: netip.MustParseAddr("10.0.0.1"), DefaultLocalPref: 100, MaxPaths: 2, ASPathRelax: true})
	vip := netip.MustParsePrefix("192.0.2.10/32")
	for i, addr := range []string{"10.1.0.1", "10.1.0.2"} {
		a := netip.MustParseAddr(addr)
		peer := r.AddPeer(rib.PeerConfig{Addr: a, ASN: 65100 + uint32(i), RouterID: a, AllowWithoutPolicy: true})
		attrs := &wire.Attributes{
			Origin:  wire.OriginIGP,
			ASPath:  []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{65100 + uint32(i)}}},
			NextHop: a,
		}
		if err := r.Announce(peer, wire.NLRI{Prefix: vip}, attrs); err != nil {
			fmt.Println(err)
		}
	}
	best, by, _ := r.Best(vip)
	fmt.Println("best via", best.NextHop(), "decided by", by)

	sub := r.Subscribe()
	changes, _ := sub.Next(context.Background())
	for _, c := range changes {
		fmt.Print(c.Prefix, ":")
		for _, p := range c.Paths {
			fmt.Print(" ", p.NextHop())
		}
		fmt.Println()
	}
	// Output:
	// best via 10.1.0.1 decided by router id
	// 192.0.2.10/32: 10.1.0.1 10.1.0.2
}
