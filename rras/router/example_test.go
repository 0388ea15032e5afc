package router_test

import (
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/rras/nat"
	"github.com/sdnfabric/sdnfabric/rras/router"
)

func Example() {
	out := router.OutputFunc(func(ifIndex int, frame []byte) error {
		eth, _ := header.ParseEthernet(frame)
		if eth.EtherType() == header.EtherTypeARP {
			a, _ := header.ParseARP(eth.Payload())
			fmt.Printf("if%d: ARP %s %s is-at %s\n", ifIndex, a.Op(), a.SenderIP(), a.SenderMAC())
		}
		return nil
	})
	r := router.New(router.Config{Output: out})
	r.SetInterface(router.Interface{Index: 1, Name: "inside", MAC: header.MAC{2, 0, 0, 0, 0, 1},
		Addrs: []netip.Prefix{netip.MustParsePrefix("10.99.1.1/24")}})

	// A host asks for the router's address.
	host := header.MAC{2, 0, 0, 0, 0, 0xa}
	frame := make([]byte, 60)
	header.InitEthernet(frame, header.BroadcastMAC, host, header.EtherTypeARP)
	header.InitARPRequest(frame[14:], host, netip.MustParseAddr("10.99.1.10"), netip.MustParseAddr("10.99.1.1"))
	r.Input(1, frame)
	for _, n := range r.Neighbors() {
		fmt.Println(n.Addr, n.MAC, n.State)
	}
	// The gratuitous ARP comes from SetInterface announcing the address.

	// Output:
	// if1: ARP request 10.99.1.1 is-at 02:00:00:00:00:01
	// if1: ARP reply 10.99.1.1 is-at 02:00:00:00:00:01
	// 10.99.1.10 02:00:00:00:00:0a STALE
}

// A BGP RIB subscription feeds the router through RouteSink: one call per
// best-path or multipath change, one call when the session goes down.
func ExampleRIB_Replace() {
	r := router.New(router.Config{Output: router.OutputFunc(func(int, []byte) error { return nil })})
	var sink router.RouteSink = r.Routes()
	vip := netip.MustParsePrefix("203.0.113.10/32")
	sink.Replace(router.SourceEBGP, vip, []router.NextHop{
		{Addr: netip.MustParseAddr("10.99.2.12")}, {Addr: netip.MustParseAddr("10.99.2.11")},
	})
	s, _ := r.Routes().Lookup(vip.Addr())
	fmt.Println(s.Source, s.Distance, s.Hops)
	fmt.Println(sink.WithdrawSource(router.SourceEBGP), r.Routes().Len())
	// Output:
	// ebgp 20 [{10.99.2.11 0} {10.99.2.12 0}]
	// 1 0
}

// The seed's NATVM: a router whose NAT translates between an inside and
// an outside interface.
func Example_natGateway() {
	out := router.OutputFunc(func(ifIndex int, frame []byte) error {
		eth, _ := header.ParseEthernet(frame)
		if eth.EtherType() != header.EtherTypeIPv4 {
			return nil
		}
		ip, _ := header.ParseIPv4(eth.Payload())
		u, _ := header.ParseUDP(ip.Payload())
		fmt.Printf("if%d: %v:%d -> %v:%d ttl %d\n", ifIndex, ip.Source(), u.SourcePort(), ip.Destination(), u.DestinationPort(), ip.TTL())
		return nil
	})
	external := netip.MustParseAddr("192.0.2.1")
	n, _ := nat.New(nat.Config{External: []netip.Addr{external}})
	r := router.New(router.Config{Output: out, NAT: n})
	r.SetInterface(router.Interface{Index: 1, MAC: header.MAC{2, 0, 0, 0, 0, 1},
		Addrs: []netip.Prefix{netip.MustParsePrefix("10.99.1.1/24")}, NAT: router.NATInside})
	r.SetInterface(router.Interface{Index: 2, MAC: header.MAC{2, 0, 0, 0, 0, 2},
		Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}, NAT: router.NATOutside})

	// The outside host asks for the router's address, so the router knows
	// its MAC address.
	server, serverMAC := netip.MustParseAddr("192.0.2.80"), header.MAC{2, 0, 0, 0, 0, 0xb}
	arp := make([]byte, 60)
	header.InitEthernet(arp, header.BroadcastMAC, serverMAC, header.EtherTypeARP)
	header.InitARPRequest(arp[14:], serverMAC, server, external)
	r.Input(2, arp)

	// An inside host sends a UDP datagram to the server.
	frame := make([]byte, 14+20+8)
	header.InitEthernet(frame, header.MAC{2, 0, 0, 0, 0, 1}, header.MAC{2, 0, 0, 0, 0, 0xa}, header.EtherTypeIPv4)
	ip, _ := header.InitIPv4(frame[14:], 20)
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolUDP)
	ip.SetSource(netip.MustParseAddr("10.99.1.10"))
	ip.SetDestination(server)
	u, _ := header.InitUDP(ip[20:])
	u.SetSourcePort(40000)
	u.SetDestinationPort(53)
	ip.SetChecksum(ip.ComputeChecksum())
	r.Input(1, frame)
	fmt.Println(r.Counter(router.NATTranslated))
	// Output:
	// if2: 192.0.2.1:40000 -> 192.0.2.80:53 ttl 63
	// 1
}
