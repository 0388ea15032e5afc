package nat

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

func TestRFC7857_S2_1_TCPSessionTracking(t *testing.T) {
	n, clk := newNAT(t, nil)
	e := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward))
	in(t, n, tcpPacket(ap(server, 80), e, synack), Forward)
	out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), fin), Forward)
	in(t, n, tcpPacket(ap(server, 80), e, fin), Forward)
	// Both FINs: the transitory timer (4 minutes) replaces 2h4m.
	clk.advance(4*time.Minute + 2*time.Second)
	n.Expire(clk.now())
	if n.Len() != 0 {
		t.Fatal("closed connection kept past the transitory timeout")
	}
}

func TestRFC7857_S2_2_TransitoryTimeoutConfigurable(t *testing.T) {
	n, clk := newNAT(t, func(c *Config) { c.Timeouts.TCPTransitory = 30 * time.Second })
	out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward)
	clk.advance(32 * time.Second)
	n.Expire(clk.now())
	if n.Len() != 0 {
		t.Fatal("configured transitory timeout not used")
	}
}

func TestRFC7857_S2_3_TCPRSTWaitsFourMinutes(t *testing.T) {
	n, clk := newNAT(t, nil)
	e := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward))
	in(t, n, tcpPacket(ap(server, 80), e, synack), Forward)
	p := in(t, n, tcpPacket(ap(server, 80), e, rst), Forward) // translated
	if dstOf(p) != ap(hostA, 40000) {
		t.Fatal("RST not translated")
	}
	clk.advance(4*time.Minute - time.Second)
	n.Expire(clk.now())
	if n.Len() != 1 {
		t.Fatal("session deleted before 4 minutes after RST")
	}
	clk.advance(3 * time.Second)
	n.Expire(clk.now())
	if n.Len() != 0 {
		t.Fatal("session kept after RST + 4 minutes")
	}
}

func TestRFC7857_S4_AddressPoolingPairedAllProtocols(t *testing.T) {
	pool := []netip.Addr{extIP, netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("198.51.100.3")}
	n, _ := newNAT(t, func(c *Config) { c.External = pool })
	a := srcOf(out(t, n, udpPacket(ap(hostA, 1), ap(server, 53), "x"), Forward)).Addr()
	b := srcOf(out(t, n, tcpPacket(ap(hostA, 2), ap(server, 80), syn), Forward)).Addr()
	c := srcOf(out(t, n, icmpQuery(hostA, server, 8, 3), Forward)).Addr()
	if a != b || b != c {
		t.Fatalf("host A uses %v, %v, %v", a, b, c)
	}
}

func TestRFC7857_S5_EIMProtocolIndependence(t *testing.T) {
	n, _ := newNAT(t, nil)
	for _, mk := range []func(dst netip.Addr) []byte{
		func(d netip.Addr) []byte { return udpPacket(ap(hostA, 7000), ap(d, 53), "x") },
		func(d netip.Addr) []byte { return tcpPacket(ap(hostA, 7000), ap(d, 80), syn) },
		func(d netip.Addr) []byte { return icmpQuery(hostA, d, 8, 7000) },
	} {
		if a, b := srcOf(out(t, n, mk(server), Forward)), srcOf(out(t, n, mk(server2), Forward)); a != b {
			t.Fatalf("%v != %v", a, b)
		}
	}
}

func TestRFC7857_S6_EIFProtocolIndependence(t *testing.T) {
	n, _ := newNAT(t, nil) // endpoint-independent filtering for every protocol
	u := srcOf(out(t, n, udpPacket(ap(hostA, 7000), ap(server, 53), "x"), Forward))
	tc := srcOf(out(t, n, tcpPacket(ap(hostA, 7001), ap(server, 80), syn), Forward))
	q := srcOf(out(t, n, icmpQuery(hostA, server, 8, 7002), Forward))
	in(t, n, udpPacket(ap(server2, 9), u, "x"), Forward)
	in(t, n, tcpPacket(ap(server2, 9), tc, synack), Forward)
	in(t, n, icmpQuery(server2, q.Addr(), 0, q.Port()), Forward)
}

func TestRFC7857_S8_OutboundRSTAndICMPErrorDoNotRefresh(t *testing.T) {
	n, clk := newNAT(t, nil)
	e := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward))
	clk.advance(4 * time.Minute)
	got := in(t, n, udpPacket(ap(server, 53), e, "x"), Forward)
	out(t, n, icmpError(hostA, server, 3, 3, got, 0), Forward)
	clk.advance(time.Minute + 2*time.Second)
	n.Expire(clk.now())
	if n.Len() != 0 {
		t.Fatal("outbound ICMP error refreshed the UDP session")
	}
	// An RST answering an unsolicited inbound segment is translated but
	// creates no session.
	n2, _ := newNAT(t, func(c *Config) {
		c.Forwards = []PortForward{{Proto: header.ProtocolTCP, External: ap(extIP, 2222), Internal: ap(hostB, 22)}}
	})
	in(t, n2, tcpPacket(ap(server, 1234), ap(extIP, 2222), ack), Forward)
	out(t, n2, tcpPacket(ap(hostB, 22), ap(server, 1234), rst), Forward)
	if n2.Len() != 0 {
		t.Fatal("outbound RST created a session")
	}
}

func TestRFC7857_S9_PortParity(t *testing.T) {
	n, _ := newNAT(t, nil)
	out(t, n, udpPacket(ap(hostA, 5001), ap(server, 53), "x"), Forward)
	if e := srcOf(out(t, n, udpPacket(ap(hostB, 5001), ap(server, 53), "x"), Forward)); e.Port()&1 != 1 {
		t.Fatalf("odd port mapped to %v", e)
	}
}

func TestRFC7857_S10_PortRandomization(t *testing.T) {
	n, _ := newNAT(t, nil)
	out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	var ports []uint16
	for i := range 8 {
		h := netip.AddrFrom4([4]byte{10, 0, 3, byte(i)})
		ports = append(ports, srcOf(out(t, n, udpPacket(ap(h, 5000), ap(server, 53), "x"), Forward)).Port())
	}
	sequential := 0
	for i := 1; i < len(ports); i++ {
		if d := int(ports[i]) - int(ports[i-1]); d >= -2 && d <= 2 {
			sequential++
		}
	}
	if sequential > 1 {
		t.Fatalf("ports look sequential: %v", ports)
	}
}

func TestRFC7857_S11_IPIdentificationKept(t *testing.T) {
	n, _ := newNAT(t, nil)
	p := udpPacket(ap(hostA, 5000), ap(server, 53), "x")
	header.IPv4(p).SetID(0x1234)
	header.IPv4(p).SetChecksum(header.IPv4(p).ComputeChecksum())
	out(t, n, p, Forward)
	if header.IPv4(p).ID() != 0x1234 {
		t.Fatal("IP ID changed")
	}
}

func TestRFC7857_S12_ICMPQueryMappingDeletedWithLastSession(t *testing.T) {
	n, clk := newNAT(t, nil)
	out(t, n, icmpQuery(hostA, server, 8, 9), Forward)
	clk.advance(62 * time.Second)
	n.Expire(clk.now())
	if _, ok := n.Mapping(header.ProtocolICMPv4, ap(hostA, 9)); ok || n.Counters().Mappings != 0 {
		t.Fatal("ICMP mapping outlived its session")
	}
}
