package nat

import (
	"errors"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

func TestRFC5508_REQ1_ICMPQueryIdentifierMapping(t *testing.T) {
	n, _ := newNAT(t, func(c *Config) { c.Filtering = AddressDependent })
	a := srcOf(out(t, n, icmpQuery(hostA, server, 8, 77), Forward))
	b := srcOf(out(t, n, icmpQuery(hostA, server2, 8, 77), Forward)) // REQ-1a
	if a != b {
		t.Fatalf("identifier mapping depends on the destination: %v, %v", a, b)
	}
	c := srcOf(out(t, n, icmpQuery(hostB, server, 8, 77), Forward))
	if c == a {
		t.Fatal("two hosts share an identifier")
	}
	r := in(t, n, icmpQuery(server, a.Addr(), 0, a.Port()), Forward)
	if dstOf(r) != ap(hostA, 77) {
		t.Fatalf("reply to %v", dstOf(r))
	}
}

func TestRFC5508_REQ2_ICMPQueryTimer(t *testing.T) {
	n, clk := newNAT(t, nil)
	e := srcOf(out(t, n, icmpQuery(hostA, server, 8, 77), Forward))
	clk.advance(59 * time.Second)
	in(t, n, icmpQuery(server, e.Addr(), 0, e.Port()), Forward)
	clk.advance(3 * time.Second)
	in(t, n, icmpQuery(server, e.Addr(), 0, e.Port()), Drop)
}

func TestRFC5508_REQ3_BadICMPChecksumDropped(t *testing.T) {
	n, _ := newNAT(t, nil)
	sent := out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	p := icmpError(router, extIP, 3, 3, sent, 0)
	p[len(p)-1] ^= 0xff
	if v, err := n.Inbound(p); v != Drop || !errors.Is(err, ErrBadChecksum) {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestRFC5508_REQ3a_BadEmbeddedIPChecksumDropped(t *testing.T) {
	n, _ := newNAT(t, nil)
	sent := out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	bad := append([]byte(nil), sent...)
	bad[10] ^= 0xff // quoted IPv4 header checksum
	if v, err := n.Inbound(icmpError(router, extIP, 3, 3, bad, 0)); v != Drop || !errors.Is(err, ErrBadChecksum) {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestRFC5508_REQ3b_EmbeddedIPOptionsTraversed(t *testing.T) {
	n, _ := newNAT(t, nil)
	sent := out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	// Quote the datagram with 4 bytes of options (NOP x3, EOL).
	withOpts := make([]byte, len(sent)+4)
	copy(withOpts, sent[:20])
	copy(withOpts[20:], []byte{1, 1, 1, 0})
	copy(withOpts[24:], sent[20:])
	withOpts[0] = 0x46
	ip := header.IPv4(withOpts)
	ip.SetTotalLength(uint16(len(withOpts)))
	ip.SetChecksum(ip.ComputeChecksum())
	p := in(t, n, icmpError(router, extIP, 3, 3, withOpts, 0), Forward)
	m, _ := header.ParseICMPv4(header.IPv4(p).Payload())
	emb, _ := header.ParseIPv4Partial(m.Payload())
	if srcOf(emb) != ap(hostA, 5000) {
		t.Fatalf("quoted source %v", srcOf(emb))
	}
}

func TestRFC5508_REQ3c_EmbeddedTransportChecksumNotValidated(t *testing.T) {
	n, _ := newNAT(t, nil)
	sent := out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	bad := append([]byte(nil), sent...)
	bad[26] ^= 0x55 // quoted UDP checksum
	if v, err := n.Inbound(icmpError(router, extIP, 3, 3, bad, 0)); v != Forward {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestRFC5508_REQ4_InboundICMPError(t *testing.T) {
	n, _ := newNAT(t, nil)
	sent := out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	p := in(t, n, icmpError(router, extIP, 11, 0, sent, 0), Forward)
	ip := header.IPv4(p)
	m, _ := header.ParseICMPv4(ip.Payload())
	emb, _ := header.ParseIPv4Partial(m.Payload())
	if m.Type() != 11 || m.Code() != 0 || srcOf(emb) != ap(hostA, 5000) || ip.Destination() != hostA || ip.Source() != router {
		t.Fatalf("got type %d code %d quoted %v outer %v->%v", m.Type(), m.Code(), srcOf(emb), ip.Source(), ip.Destination())
	}
	// No mapping for the quoted packet: dropped.
	other := udpPacket(ap(extIP, 9999), ap(server, 53), "x")
	if v, err := n.Inbound(icmpError(router, extIP, 3, 3, other, 0)); v != Drop || !errors.Is(err, ErrNoMapping) {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestRFC5508_REQ5_OutboundICMPError(t *testing.T) {
	n, _ := newNAT(t, nil)
	e := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward))
	got := in(t, n, udpPacket(ap(server, 53), e, "reply"), Forward)
	p := out(t, n, icmpError(hostA, server, 3, 3, got, 0), Forward)
	ip := header.IPv4(p)
	m, _ := header.ParseICMPv4(ip.Payload())
	emb, _ := header.ParseIPv4Partial(m.Payload())
	if ip.Source() != extIP || dstOf(emb) != e || m.Type() != 3 || m.Code() != 3 {
		t.Fatalf("outer src %v, quoted dst %v", ip.Source(), dstOf(emb))
	}
	if v, err := n.Outbound(icmpError(hostA, server, 3, 3, udpPacket(ap(server, 53), ap(hostA, 1), "x"), 0)); v != Drop || !errors.Is(err, ErrNoMapping) {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestRFC5508_REQ6_ICMPErrorDoesNotRefreshQuery(t *testing.T) {
	n, clk := newNAT(t, nil)
	sent := out(t, n, icmpQuery(hostA, server, 8, 77), Forward)
	clk.advance(50 * time.Second)
	in(t, n, icmpError(router, extIP, 3, 1, sent, 0), Forward)
	clk.advance(12 * time.Second)
	n.Expire(clk.now())
	if n.Len() != 0 {
		t.Fatal("ICMP error refreshed the query session")
	}
}

func TestRFC5508_REQ7_HairpinnedICMPError(t *testing.T) {
	n, _ := newNAT(t, nil)
	eb := srcOf(out(t, n, udpPacket(ap(hostB, 6000), ap(server, 3478), "x"), Forward))
	ea := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 3478), "x"), Forward))
	got := out(t, n, udpPacket(ap(hostA, 5000), eb, "x"), Hairpin) // B receives it from ea
	p := out(t, n, icmpError(hostB, ea.Addr(), 3, 3, got, 0), Hairpin)
	ip := header.IPv4(p)
	m, _ := header.ParseICMPv4(ip.Payload())
	emb, _ := header.ParseIPv4Partial(m.Payload())
	if srcOf(emb) != ap(hostA, 5000) || dstOf(emb) != eb || ip.Destination() != hostA {
		t.Fatalf("quoted %v -> %v, outer dst %v", srcOf(emb), dstOf(emb), ip.Destination())
	}
}

func TestRFC5508_REQ8_ProhibitedWhenOutOfResources(t *testing.T) {
	n, _ := newNAT(t, func(c *Config) { c.MaxSessions = 2 })
	out(t, n, udpPacket(ap(hostA, 1), ap(server, 53), "x"), Forward)
	out(t, n, udpPacket(ap(hostB, 1), ap(server, 53), "x"), Forward)
	p := udpPacket(ap(hostA, 2), ap(server, 53), "x")
	orig := append([]byte(nil), p...)
	v, err := n.Outbound(p)
	if v != ReplyICMP || !errors.Is(err, ErrTableFull) || string(p) != string(orig) {
		t.Fatalf("got %v %v (packet changed: %v)", v, err, string(p) != string(orig))
	}
	r, err := n.AppendProhibited(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	checkChecksums(t, r)
	ip := header.IPv4(r)
	m, _ := header.ParseICMPv4(ip.Payload())
	if ip.Destination() != hostA || ip.Source() != extIP || m.Type() != 3 || m.Code() != 13 || string(m.Payload()) != string(orig) {
		t.Fatalf("bad reply % x", r)
	}
}

func TestRFC5508_REQ11_NonQueryErrorICMPDropped(t *testing.T) {
	n, _ := newNAT(t, nil)
	for _, typ := range []uint8{5, 9, 10} { // redirect, router advertisement/solicitation
		if v, err := n.Outbound(icmpQuery(hostA, server, typ, 1)); v != Drop || !errors.Is(err, ErrUnsupportedICMP) {
			t.Fatalf("type %d: %v %v", typ, v, err)
		}
	}
}

func TestRFC5508_REQ3d_ICMPExtensionsKept(t *testing.T) {
	n, _ := newNAT(t, nil)
	sent := out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	// RFC 4884: the quote padded to 128 bytes, its length in 32-bit words
	// in byte 5, then an extension structure.
	quote := make([]byte, 128)
	copy(quote, sent)
	ext := []byte{0x20, 0, 0, 0, 0, 8, 1, 1, 0, 0, 0, 42}
	p := icmpError(router, extIP, 3, 3, append(quote, ext...), 0)
	ip := header.IPv4(p)
	ip.SetTotalLength(uint16(len(p)))
	m, _ := header.ParseICMPv4(ip.Payload())
	m[5] = 128 / 4
	m.SetChecksum(m.ComputeChecksum())
	in(t, n, p, Forward)
	if string(m[8+128:]) != string(ext) {
		t.Fatal("extensions changed")
	}
}

func TestRFC5508_REQ10_ICMPErrorTypes(t *testing.T) {
	for _, c := range []struct {
		typ  uint8
		want Verdict
	}{{3, Forward}, {11, Forward}, {12, Forward}, {4, Drop}, {5, Drop}} {
		n, _ := newNAT(t, nil)
		sent := out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
		if v, err := n.Inbound(icmpError(router, extIP, c.typ, 0, sent, 0)); v != c.want {
			t.Errorf("type %d: %v %v, want %v", c.typ, v, err, c.want)
		}
	}
}
