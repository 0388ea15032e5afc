package bgp_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

func Example() {
	// A load balancer (AS 65001) announces a VIP to a router (AS 65002);
	// both run here on loopback.
	router, _ := bgp.New(bgp.Config{ASN: 65002, RouterID: netip.MustParseAddr("10.0.0.2"),
		Listen: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.2:0")}})
	defer router.Close()
	events := router.Subscribe(64)
	router.AddPeer(bgp.PeerConfig{Address: netip.MustParseAddr("127.0.0.1"), PeerASN: 65001, Passive: true})

	lb, _ := bgp.New(bgp.Config{ASN: 65001, RouterID: netip.MustParseAddr("10.0.0.1")})
	lb.AddPeer(bgp.PeerConfig{
		Address: netip.MustParseAddr("127.0.0.2"), Port: router.ListenAddrs()[0].Port(),
		SourceAddress: netip.MustParseAddr("127.0.0.1"), PeerASN: 65002, HoldTime: 9 * time.Second,
	})
	lb.Announce(netip.MustParsePrefix("192.0.2.10/32"), wire.Attributes{})

	for ev := range events.Events() {
		switch ev.Type {
		case bgp.SessionUp:
			fmt.Println("up:", ev.Peer, "hold", ev.Session.HoldTime)
		case bgp.RoutesReceived:
			for _, r := range ev.Announced {
				fmt.Println("route:", r.Prefix, "path", r.Attrs.ASPath[0].ASNs, "next hop", r.Attrs.NextHop)
			}
			if len(ev.Announced) > 0 {
				lb.Shutdown(context.Background(), "VIP moved")
			}
		case bgp.SessionDown:
			fmt.Println("down:", ev.Err)
			return
		}
	}
	// Output:
	// up: 127.0.0.1 hold 9s
	// route: 192.0.2.10/32 path [65001] next hop 127.0.0.1
	// down: NOTIFICATION received: Cease subcode 2 "VIP moved"
}
