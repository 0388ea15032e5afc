package hostagent_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
	"github.com/sdnfabric/sdnfabric/slb/snat"
)

// A packet for the VIP arrives from a Mux, goes to the local DIP, and the
// DIP's reply leaves as the VIP, straight for the router.
func ExampleAgent_Inbound() {
	a, err := hostagent.New(hostagent.Config{HostPA: netip.MustParseAddr("192.0.2.12")})
	if err != nil {
		panic(err)
	}
	err = a.Configure(slb.LoadBalancer{
		Name:                     "portal",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: netip.MustParseAddr("203.0.113.10")}},
		BackendAddressPools: []slb.BackendPool{{Name: "web", VNI: 5001, Backends: []slb.Backend{
			{DIP: netip.MustParseAddr("10.1.0.5"), HostPA: netip.MustParseAddr("192.0.2.11")},
			{DIP: netip.MustParseAddr("10.1.0.6"), HostPA: netip.MustParseAddr("192.0.2.12")}}}},
		InboundNatRules: []slb.InboundNatRule{{Name: "admin", Frontend: "fe", BackendPool: "web",
			Protocol: slb.ProtocolTCP, FrontendPort: 8080, DIP: netip.MustParseAddr("10.1.0.6"), BackendPort: 80}},
	})
	if err != nil {
		panic(err)
	}

	pkt := tcpPacket("198.51.100.7:40000", "203.0.113.10:8080")
	r, _ := a.Inbound(pkt, 5001, netip.Addr{})
	fmt.Println(r.Verdict, r.Reason, r.Rule, show(pkt))

	back := tcpPacket("10.1.0.6:80", "198.51.100.7:40000")
	r, _ = a.Outbound(back, 5001)
	fmt.Println(r.Verdict, r.Reason, r.Rule, show(back))
	// Output:
	// Deliver NATRule portal/admin 198.51.100.7:40000 -> 10.1.0.6:80
	// ToRouter Flow portal/admin 203.0.113.10:8080 -> 198.51.100.7:40000
}

func tcpPacket(src, dst string) []byte {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	b := make([]byte, header.IPv4MinSize+header.TCPMinSize)
	ip, _ := header.InitIPv4(b, header.IPv4MinSize)
	ip.SetTTL(64)
	ip.SetProtocol(6)
	ip.SetSource(s.Addr())
	ip.SetDestination(d.Addr())
	ip.SetChecksum(ip.ComputeChecksum())
	tcp, _ := header.InitTCP(ip.Payload(), header.TCPMinSize)
	tcp.SetSourcePort(s.Port())
	tcp.SetDestinationPort(d.Port())
	tcp.SetFlags(header.TCPFlagSYN)
	return b
}

func show(b []byte) string {
	ip := header.IPv4(b)
	tcp := header.TCP(ip.Payload())
	return fmt.Sprintf("%v -> %v", netip.AddrPortFrom(ip.Source(), tcp.SourcePort()),
		netip.AddrPortFrom(ip.Destination(), tcp.DestinationPort()))
}

// A backend's own connection to the Internet leaves SNATed to the VIP, on a
// port of a block its host leased from the SNAT manager.
func ExampleAgent_Outbound() {
	lb := slb.LoadBalancer{
		Name:                     "portal",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: netip.MustParseAddr("203.0.113.10")}},
		BackendAddressPools: []slb.BackendPool{{Name: "web", VNI: 5001, Backends: []slb.Backend{
			{DIP: netip.MustParseAddr("10.1.0.6"), HostPA: netip.MustParseAddr("192.0.2.12")}}}},
		OutboundRules: []slb.OutboundRule{{Name: "out", Frontends: []string{"fe"}, BackendPool: "web",
			Protocol: slb.ProtocolTCP, AllocatedOutboundPorts: 1024}},
	}
	manager := snat.New(snat.Config{})
	if err := manager.Configure(lb); err != nil {
		panic(err)
	}
	a, err := hostagent.New(hostagent.Config{HostPA: netip.MustParseAddr("192.0.2.12"), Leaser: manager,
		Internal: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}})
	if err != nil {
		panic(err)
	}
	if err := a.Configure(lb); err != nil {
		panic(err)
	}

	syn := tcpPacket("10.1.0.6:33000", "192.0.2.99:443")
	r, _ := a.Outbound(syn, 5001)
	fmt.Println(r.Verdict, r.Reason) // no block yet: one is on its way
	for a.Stats().SNATBlocks == 0 {
		time.Sleep(time.Millisecond)
	}
	syn = tcpPacket("10.1.0.6:33000", "192.0.2.99:443") // TCP retransmits
	r, _ = a.Outbound(syn, 5001)
	fmt.Println(r.Verdict, r.Reason, r.Rule, r.VIP)
	port := header.TCP(header.IPv4(syn).Payload()).SourcePort()
	for l := range manager.Leases() {
		fmt.Println(l.Block, "for", l.DIP, "on", l.Host, "holds the source port:", l.Contains(port))
	}
	// Output:
	// Drop SNATPending
	// ToRouter SNAT portal/out 203.0.113.10
	// 203.0.113.10/6:1024-1031 for 10.1.0.6 on 192.0.2.12 holds the source port: true
}

// DIP 10.1.0.6 moves from host 192.0.2.12 to 192.0.2.11 (a live
// migration): the new host takes over its connection and translates its
// next packet as the old one did.
func ExampleAgent_AddFlows() {
	lb := func(host string) slb.LoadBalancer {
		return slb.LoadBalancer{
			Name:                     "portal",
			FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: netip.MustParseAddr("203.0.113.10")}},
			BackendAddressPools: []slb.BackendPool{{Name: "web", VNI: 5001, Backends: []slb.Backend{
				{DIP: netip.MustParseAddr("10.1.0.5"), HostPA: netip.MustParseAddr("192.0.2.11")},
				{DIP: netip.MustParseAddr("10.1.0.6"), HostPA: netip.MustParseAddr(host)}}}},
			Probes: []slb.Probe{{Name: "tcp", Protocol: slb.ProbeTCP, Port: 80}},
			LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe", BackendPool: "web", Probe: "tcp",
				Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 80}},
		}
	}
	agent := func(pa, host string) *hostagent.Agent {
		a, err := hostagent.New(hostagent.Config{HostPA: netip.MustParseAddr(pa)})
		if err != nil {
			panic(err)
		}
		if err := a.Configure(lb(host)); err != nil {
			panic(err)
		}
		return a
	}
	old := agent("192.0.2.12", "192.0.2.12")
	old.Inbound(tcpPacket("198.51.100.7:40000", "203.0.113.10:80"), 5001, netip.Addr{})

	flows := old.Flows(5001, netip.MustParseAddr("10.1.0.6"))
	dst := agent("192.0.2.11", "192.0.2.11") // both DIPs are local there now
	n, err := dst.AddFlows(flows...)
	fmt.Println(flows, n, err)

	pkt := tcpPacket("198.51.100.7:40000", "203.0.113.10:80")
	r, _ := dst.Inbound(pkt, 5001, netip.Addr{})
	fmt.Println(r.Verdict, r.Reason, show(pkt))
	// Output:
	// [{5001 6 198.51.100.7:40000 203.0.113.10:80 10.1.0.6}] 1 <nil>
	// Deliver Flow 198.51.100.7:40000 -> 10.1.0.6:80
}
