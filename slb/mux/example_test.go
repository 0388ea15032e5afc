package mux_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/mux"
)

// printAnnouncer prints the routes the Mux asks for.
type printAnnouncer struct{}

func (printAnnouncer) Announce(_ context.Context, p netip.Prefix) error {
	fmt.Println("announce", p)
	return nil
}

func (printAnnouncer) Withdraw(_ context.Context, p netip.Prefix) error {
	fmt.Println("withdraw", p)
	return nil
}

// synPacket builds a TCP SYN from src:sport to dst:dport with an MSS
// option of 1460.
func synPacket(src, dst netip.Addr, sport, dport uint16) []byte {
	b := make([]byte, 20+24)
	ip, _ := header.InitIPv4(b, 20)
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolTCP)
	ip.SetSource(src)
	ip.SetDestination(dst)
	ip.SetChecksum(ip.ComputeChecksum())
	tcp, _ := header.InitTCP(b[20:], 24)
	copy(tcp[20:], header.AppendMSS(nil, 1460))
	tcp.SetSourcePort(sport)
	tcp.SetDestinationPort(dport)
	tcp.SetFlags(header.TCPFlagSYN)
	tcp.SetChecksum(tcp.ComputeChecksum(checksum.PseudoHeader(src, dst, header.ProtocolTCP, len(tcp))))
	return b
}

func Example() {
	m, err := mux.New(mux.Config{
		LocalPA:   netip.MustParseAddr("10.0.0.1"),
		Announcer: printAnnouncer{},
	})
	if err != nil {
		panic(err)
	}
	vip := netip.MustParseAddr("203.0.113.10")
	lb := slb.LoadBalancer{
		Name:                     "portal",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: vip}},
		BackendAddressPools: []slb.BackendPool{{Name: "web", VNI: 5001, Backends: []slb.Backend{
			{DIP: netip.MustParseAddr("192.168.1.4"), HostPA: netip.MustParseAddr("10.0.1.1")},
		}}},
		Probes: []slb.Probe{{Name: "http", Protocol: slb.ProbeHTTP, Port: 80, RequestPath: "/"}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe", BackendPool: "web",
			Probe: "http", Protocol: slb.ProtocolTCP, FrontendPort: 8080, BackendPort: 80}},
	}
	if err := m.Configure(context.Background(), lb); err != nil {
		panic(err)
	}
	pkt := synPacket(netip.MustParseAddr("198.51.100.7"), vip, 40000, 8080)
	out, r, err := m.Process(nil, pkt)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Verdict, r.Rule, "to", r.DIP, "port", r.BackendPort, "via", r.NextHop, "VNI", r.VNI)
	fmt.Println("outer bytes:", len(out)-len(pkt), "MSS clamped:", r.MSSClamped)
	if err := m.Close(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// announce 203.0.113.10/32
	// Forward portal/http to 192.168.1.4 port 80 via 10.0.1.1 VNI 5001
	// outer bytes: 50 MSS clamped: true
	// withdraw 203.0.113.10/32
}

func ExampleMux_ProcessBatch() {
	m, _ := mux.New(mux.Config{LocalPA: netip.MustParseAddr("10.0.0.1"), Encap: mux.EncapIPIP})
	vip := netip.MustParseAddr("203.0.113.10")
	_ = m.Configure(context.Background(), slb.LoadBalancer{
		Name:                     "dns",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: vip}},
		BackendAddressPools: []slb.BackendPool{{Name: "p", VNI: 1, Backends: []slb.Backend{
			{DIP: netip.MustParseAddr("192.168.1.4"), HostPA: netip.MustParseAddr("10.0.1.1")},
			{DIP: netip.MustParseAddr("192.168.1.5"), HostPA: netip.MustParseAddr("10.0.1.2")},
		}}},
		Probes: []slb.Probe{{Name: "tcp", Protocol: slb.ProbeTCP, Port: 53}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "dns", Frontend: "fe", BackendPool: "p",
			Probe: "tcp", Protocol: slb.ProtocolTCP, FrontendPort: 53, BackendPort: 53}},
	})
	pkts := [][]byte{
		synPacket(netip.MustParseAddr("198.51.100.7"), vip, 40000, 53),
		synPacket(netip.MustParseAddr("198.51.100.7"), vip, 40000, 54),
		{0x45, 0},
	}
	out := make([]mux.Output, len(pkts))
	buf := m.ProcessBatch(nil, pkts, out)
	for i, o := range out {
		fmt.Println(i, o.Verdict, o.End-o.Start, o.Err != nil)
	}
	fmt.Println(len(buf))
	// Output:
	// 0 Forward 64 false
	// 1 NoRule 0 false
	// 2 Invalid 0 true
	// 64
}

func ExampleMux_LeaseSNAT() {
	m, _ := mux.New(mux.Config{LocalPA: netip.MustParseAddr("10.0.0.1")})
	vip := netip.MustParseAddr("203.0.113.10")
	err := m.LeaseSNAT(mux.SNATLease{VIP: vip, Protocol: header.ProtocolTCP, Port: 1024,
		HostPA: netip.MustParseAddr("10.0.1.1"), VNI: 5001, DIP: netip.MustParseAddr("192.168.1.4")})
	if err != nil {
		panic(err)
	}
	// A reply from a web server to the DIP's SNATed connection.
	_, r, _ := m.Process(nil, synPacket(netip.MustParseAddr("192.0.2.80"), vip, 443, 1027))
	fmt.Println(r.Verdict, r.Match, r.DIP, r.NextHop)
	// Output:
	// Forward SNAT 192.168.1.4 10.0.1.1
}

// A receive loop gives each packet to its Worker where it lies in the
// receive buffer, after Headroom bytes that the outer headers fill.
func ExampleWorker_ProcessInPlace() {
	m, _ := mux.New(mux.Config{LocalPA: netip.MustParseAddr("10.0.0.1")})
	vip := netip.MustParseAddr("203.0.113.10")
	_ = m.Configure(context.Background(), slb.LoadBalancer{
		Name:                     "web",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: vip}},
		BackendAddressPools: []slb.BackendPool{{Name: "p", VNI: 7, Backends: []slb.Backend{
			{DIP: netip.MustParseAddr("192.168.1.4"), HostPA: netip.MustParseAddr("10.0.1.1")},
		}}},
		Probes: []slb.Probe{{Name: "tcp", Protocol: slb.ProbeTCP, Port: 80}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe", BackendPool: "p",
			Probe: "tcp", Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 80}},
	})
	w := m.NewWorker() // one per receiving goroutine
	defer w.Flush()
	room := m.Headroom()
	syn := synPacket(netip.MustParseAddr("198.51.100.7"), vip, 40000, 80)
	buf := make([]byte, 2048)
	n := copy(buf[room:], syn) // as a receive call would fill it
	var r mux.Result
	out, err := w.ProcessInPlace(buf[:room+n], room, &r)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Verdict, "to", r.DIP, "via", r.NextHop, "VNI", r.VNI)
	fmt.Println("headroom:", room, "encapsulated:", len(out), "bytes, in place:", &out[0] == &buf[0])
	// Output:
	// Forward to 192.168.1.4 via 10.0.1.1 VNI 7
	// headroom: 50 encapsulated: 94 bytes, in place: true
}
