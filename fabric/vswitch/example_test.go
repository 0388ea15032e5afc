package vswitch

import (
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// A guest on host h1 sends a TCP segment to a CA that lives on host h2:
// the ACL lets it out, the SLB layer passes it, and the VNet layer
// encapsulates it in VXLAN to h2's provider address.
func Example() {
	uplink, _ := netsim.NewWire("uplink", netsim.WireConfig{Queue: 1})
	hostEnd, guestEnd := netsim.NewWire("vm4", netsim.WireConfig{})
	defer guestEnd.Close()
	done := make(chan struct{})
	sw, err := New(Config{
		Name:           "h1",
		Uplink:         uplink,
		HostPA:         netip.MustParseAddr("10.0.0.11"),
		HostMAC:        hwaddr(0xaa, 1),
		ProviderPrefix: netip.MustParsePrefix("10.0.0.0/24"),
		SLB:            fakeSLB{},
		Trace: func(e Event) {
			fmt.Println(e)
			if e.Port == "uplink" {
				close(done)
			}
		},
	})
	if err != nil {
		panic(err)
	}
	defer sw.Close()
	_, err = sw.AddVNIC(VNICConfig{Name: "vm4", Port: hostEnd, MAC: hwaddr(0xbb, 4),
		Addr: netip.MustParseAddr("10.1.0.4"), VNI: 100})
	if err != nil {
		panic(err)
	}
	sw.SetMapping(100, netip.MustParseAddr("10.1.0.5"), netip.MustParseAddr("10.0.0.12"), hwaddr(0xbb, 5))
	sw.SetNeighbor(netip.MustParseAddr("10.0.0.12"), hwaddr(0xaa, 2))

	guestEnd.Send(tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.4:40000"), netip.MustParseAddrPort("10.1.0.5:80"), syn, 0))
	<-done
	// Output:
	// h1 vm4 out acl     allow     [outbound] tcp 10.1.0.4:40000 -> 10.1.0.5:80
	// h1 vm4 out slb     pass      tcp 10.1.0.4:40000 -> 10.1.0.5:80
	// h1 vm4 out vnet    encap     tcp 10.1.0.4:40000 -> 10.1.0.5:80 +eth/ipv4 10.0.0.11->10.0.0.12/udp/vxlan vni 100
	// h1 uplink out port    deliver
}
