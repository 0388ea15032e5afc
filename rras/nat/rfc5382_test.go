package nat

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

const (
	syn    = header.TCPFlagSYN
	ack    = header.TCPFlagACK
	fin    = header.TCPFlagFIN | header.TCPFlagACK
	rst    = header.TCPFlagRST
	synack = header.TCPFlagSYN | header.TCPFlagACK
)

func sessionState(t *testing.T, n *NAT) State {
	t.Helper()
	for s := range n.Sessions() {
		return s.State
	}
	t.Fatal("no session")
	return 0
}

func TestRFC5382_REQ1_EndpointIndependentMapping(t *testing.T) {
	n, _ := newNAT(t, nil)
	a := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward))
	b := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server2, 443), syn), Forward))
	if a != b {
		t.Fatalf("%v != %v", a, b)
	}
}

func TestRFC5382_REQ2_ValidSequences(t *testing.T) {
	t.Run("three-way handshake and close", func(t *testing.T) {
		n, _ := newNAT(t, nil)
		e := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward))
		in(t, n, tcpPacket(ap(server, 80), e, synack), Forward)
		out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), ack), Forward)
		if s := sessionState(t, n); s != StateEstablished {
			t.Fatalf("state %v", s)
		}
		out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), fin), Forward)
		in(t, n, tcpPacket(ap(server, 80), e, fin), Forward)
		out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), ack), Forward)
		if s := sessionState(t, n); s != StateFinBoth {
			t.Fatalf("state %v", s)
		}
	})
	t.Run("simultaneous open", func(t *testing.T) {
		n, _ := newNAT(t, func(c *Config) { c.Filtering = AddressAndPortDependent })
		e := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 5555), syn), Forward))
		in(t, n, tcpPacket(ap(server, 5555), e, syn), Forward)
		out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 5555), synack), Forward)
		in(t, n, tcpPacket(ap(server, 5555), e, synack), Forward)
		if s := sessionState(t, n); s != StateEstablished {
			t.Fatalf("state %v", s)
		}
	})
}

func TestRFC5382_REQ3_Filtering(t *testing.T) {
	n, _ := newNAT(t, func(c *Config) { c.Filtering = AddressDependent })
	e := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward))
	in(t, n, tcpPacket(ap(server, 81), e, syn), Forward)
	in(t, n, tcpPacket(ap(server2, 80), e, syn), Drop)
	n2, _ := newNAT(t, nil) // default: endpoint-independent
	e = srcOf(out(t, n2, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward))
	in(t, n2, tcpPacket(ap(server2, 80), e, syn), Forward)
}

func TestRFC5382_REQ4_UnsolicitedSYNSilentlyDropped(t *testing.T) {
	n, _ := newNAT(t, nil)
	v, _ := n.Inbound(tcpPacket(ap(server, 40000), ap(extIP, 22), syn))
	if v != Drop {
		t.Fatalf("verdict %v, want a silent Drop", v)
	}
	if n.Len() != 0 {
		t.Fatal("an inbound SYN created state")
	}
}

func TestRFC5382_REQ5_IdleTimeouts(t *testing.T) {
	if _, err := New(Config{External: []netip.Addr{extIP}, Timeouts: Timeouts{TCPEstablished: 2 * time.Hour}}); err == nil {
		t.Fatal("2h established timeout accepted")
	}
	n, clk := newNAT(t, nil)
	e := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward))
	in(t, n, tcpPacket(ap(server, 80), e, synack), Forward)
	clk.advance(2*time.Hour + 4*time.Minute - time.Second)
	in(t, n, tcpPacket(ap(server, 80), e, ack), Forward)
	clk.advance(3 * time.Second)
	in(t, n, tcpPacket(ap(server, 80), e, ack), Drop)

	// Transitory: a SYN never answered lasts 4 minutes.
	e = srcOf(out(t, n, tcpPacket(ap(hostA, 40001), ap(server, 80), syn), Forward))
	clk.advance(4*time.Minute - time.Second)
	n.Expire(clk.now())
	if n.Len() != 1 {
		t.Fatal("transitory session gone before 4 minutes")
	}
	clk.advance(3 * time.Second)
	n.Expire(clk.now())
	if n.Len() != 0 {
		t.Fatal("transitory session kept after 4 minutes")
	}
}

func TestRFC5382_REQ7_NoPortOverloading(t *testing.T) {
	n, _ := newNAT(t, nil)
	a := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward))
	b := srcOf(out(t, n, tcpPacket(ap(hostB, 40000), ap(server2, 80), syn), Forward))
	if a == b {
		t.Fatalf("both hosts share %v", a)
	}
}

func TestRFC5382_REQ8_Hairpinning(t *testing.T) {
	n, _ := newNAT(t, func(c *Config) {
		c.Forwards = []PortForward{{Proto: header.ProtocolTCP, External: ap(extIP, 8080), Internal: ap(hostB, 80)}}
	})
	ea := srcOf(out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward))
	p := out(t, n, tcpPacket(ap(hostA, 40000), ap(extIP, 8080), syn), Hairpin)
	if srcOf(p) != ea || dstOf(p) != ap(hostB, 80) {
		t.Fatalf("hairpinned %v -> %v", srcOf(p), dstOf(p))
	}
	r := out(t, n, tcpPacket(ap(hostB, 80), ea, synack), Hairpin)
	if srcOf(r) != ap(extIP, 8080) || dstOf(r) != ap(hostA, 40000) {
		t.Fatalf("reply %v -> %v", srcOf(r), dstOf(r))
	}
}

func TestRFC5382_REQ9_ICMPDestUnreachTranslated(t *testing.T) {
	n, _ := newNAT(t, nil)
	sent := out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward)
	e := srcOf(sent)
	p := in(t, n, icmpError(router, e.Addr(), 3, 1, sent, 0), Forward)
	ip := header.IPv4(p)
	m, _ := header.ParseICMPv4(ip.Payload())
	emb, _ := header.ParseIPv4Partial(m.Payload())
	if ip.Destination() != hostA || emb.Source() != hostA || srcOf(emb) != ap(hostA, 40000) || m.Type() != 3 || m.Code() != 1 {
		t.Fatalf("dst %v, quoted src %v", ip.Destination(), srcOf(emb))
	}
}

func TestRFC5382_REQ10_ICMPDoesNotTerminateConnection(t *testing.T) {
	n, _ := newNAT(t, nil)
	sent := out(t, n, tcpPacket(ap(hostA, 40000), ap(server, 80), syn), Forward)
	e := srcOf(sent)
	in(t, n, tcpPacket(ap(server, 80), e, synack), Forward)
	in(t, n, icmpError(router, e.Addr(), 3, 3, sent, 0), Forward)
	if s := sessionState(t, n); s != StateEstablished {
		t.Fatalf("state %v after ICMP", s)
	}
}
