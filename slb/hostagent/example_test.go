package hostagent_test

import (
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
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
