package nat

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

func TestRFC4787_REQ1_EndpointIndependentMapping(t *testing.T) {
	n, _ := newNAT(t, nil)
	a := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward))
	b := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server2, 123), "x"), Forward))
	if a != b {
		t.Fatalf("mappings differ by destination: %v and %v", a, b)
	}
}

func TestRFC4787_REQ2_AddressPoolingPaired(t *testing.T) {
	pool := []netip.Addr{extIP, netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("198.51.100.3"), netip.MustParseAddr("198.51.100.4")}
	n, _ := newNAT(t, func(c *Config) { c.External = pool })
	first := srcOf(out(t, n, udpPacket(ap(hostA, 1), ap(server, 53), "x"), Forward)).Addr()
	for p := uint16(2); p < 50; p++ {
		if got := srcOf(out(t, n, udpPacket(ap(hostA, p), ap(server2, 53), "x"), Forward)).Addr(); got != first {
			t.Fatalf("host A uses %v and %v", first, got)
		}
	}
}

func TestRFC4787_REQ3_NoPortOverloading(t *testing.T) {
	n, _ := newNAT(t, func(c *Config) { c.Ports = PortRange{2000, 2003} })
	seen := map[netip.AddrPort]bool{}
	for i := range 4 {
		h := netip.AddrFrom4([4]byte{10, 0, 1, byte(i)})
		e := srcOf(out(t, n, udpPacket(ap(h, 2000), ap(server, 53), "x"), Forward))
		if seen[e] {
			t.Fatalf("external %v shared", e)
		}
		seen[e] = true
	}
	// The range is used up: a fifth host is refused, not overloaded.
	v, err := n.Outbound(udpPacket(ap(hostB, 2000), ap(server, 53), "x"))
	if v != ReplyICMP || !errors.Is(err, ErrPortsExhausted) {
		t.Fatalf("got %v %v, want ReplyICMP ErrPortsExhausted", v, err)
	}
}

func TestRFC4787_REQ3a_PortRange(t *testing.T) {
	n, _ := newNAT(t, nil)
	// A free port in range is kept (port preservation).
	if e := srcOf(out(t, n, udpPacket(ap(hostA, 40000), ap(server, 53), "x"), Forward)); e.Port() != 40000 {
		t.Fatalf("port not preserved: %v", e)
	}
	// A privileged source port is mapped into the configured range
	// (1024-65535 by default; REQ-3a's 0-1023 range is not used).
	if e := srcOf(out(t, n, udpPacket(ap(hostA, 123), ap(server, 123), "x"), Forward)); e.Port() < 1024 {
		t.Fatalf("privileged port mapped to %v", e)
	}
}

func TestRFC4787_REQ4_PortParity(t *testing.T) {
	n, _ := newNAT(t, nil)
	for i := range 200 {
		p := uint16(30000 + i)
		out(t, n, udpPacket(ap(hostA, p), ap(server, 53), "x"), Forward) // takes port p
		e := srcOf(out(t, n, udpPacket(ap(hostB, p), ap(server, 53), "x"), Forward))
		if e.Port() == p || e.Port()&1 != p&1 {
			t.Fatalf("internal port %d mapped to %d", p, e.Port())
		}
	}
}

func TestRFC4787_REQ5_UDPMappingTimer(t *testing.T) {
	for _, d := range []time.Duration{time.Minute, 119 * time.Second} {
		if _, err := New(Config{External: []netip.Addr{extIP}, Timeouts: Timeouts{UDP: d}}); err == nil {
			t.Fatalf("UDP timeout %v accepted", d)
		}
	}
	n, clk := newNAT(t, nil)
	e := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward))
	clk.advance(5*time.Minute - time.Millisecond)
	n.Expire(clk.now())
	if _, ok := n.Mapping(header.ProtocolUDP, ap(hostA, 5000)); !ok {
		t.Fatal("mapping gone before 5 minutes")
	}
	clk.advance(2 * time.Second)
	n.Expire(clk.now())
	if _, ok := n.Mapping(header.ProtocolUDP, ap(hostA, 5000)); ok || n.Len() != 0 {
		t.Fatal("mapping kept after 5 minutes idle")
	}
	in(t, n, udpPacket(ap(server, 53), e, "x"), Drop)
}

func TestRFC4787_REQ6_OutboundRefresh(t *testing.T) {
	n, clk := newNAT(t, nil)
	e := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward))
	// Inbound packets every minute do not keep the mapping.
	for range 4 {
		clk.advance(time.Minute)
		in(t, n, udpPacket(ap(server, 53), e, "x"), Forward)
	}
	clk.advance(time.Minute + 2*time.Second)
	in(t, n, udpPacket(ap(server, 53), e, "x"), Drop)
	// Outbound packets do.
	e = srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward))
	for range 10 {
		clk.advance(4 * time.Minute)
		out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	}
	in(t, n, udpPacket(ap(server, 53), e, "x"), Forward)
}

func TestRFC4787_REQ8_Filtering(t *testing.T) {
	cases := []struct {
		f                          Filtering
		sameAddrOtherPort, otherIP bool // admitted?
	}{
		{EndpointIndependent, true, true},
		{AddressDependent, true, false},
		{AddressAndPortDependent, false, false},
	}
	for _, c := range cases {
		t.Run(c.f.String(), func(t *testing.T) {
			n, _ := newNAT(t, func(cfg *Config) { cfg.Filtering = c.f })
			e := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward))
			in(t, n, udpPacket(ap(server, 53), e, "x"), Forward)
			want := func(ok bool) Verdict {
				if ok {
					return Forward
				}
				return Drop
			}
			in(t, n, udpPacket(ap(server, 54), e, "x"), want(c.sameAddrOtherPort))
			in(t, n, udpPacket(ap(server2, 53), e, "x"), want(c.otherIP))
		})
	}
}

func TestRFC4787_REQ9_Hairpinning(t *testing.T) {
	n, _ := newNAT(t, nil)
	eb := srcOf(out(t, n, udpPacket(ap(hostB, 6000), ap(server, 3478), "x"), Forward))
	ea := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 3478), "x"), Forward))
	p := out(t, n, udpPacket(ap(hostA, 5000), eb, "hello"), Hairpin)
	if srcOf(p) != ea || dstOf(p) != ap(hostB, 6000) {
		t.Fatalf("hairpinned %v -> %v, want %v -> %v (REQ-9a: external source)", srcOf(p), dstOf(p), ea, ap(hostB, 6000))
	}
	// B's reply hairpins back to A's internal endpoint.
	r := out(t, n, udpPacket(ap(hostB, 6000), ea, "hi"), Hairpin)
	if srcOf(r) != eb || dstOf(r) != ap(hostA, 5000) {
		t.Fatalf("reply %v -> %v", srcOf(r), dstOf(r))
	}
}

func TestRFC4787_REQ11_DeterministicBehaviour(t *testing.T) {
	// Mapping and filtering do not change under pressure: with the port
	// range almost used up, a host's mapping stays endpoint-independent
	// and filtering stays what it was.
	n, _ := newNAT(t, func(c *Config) {
		c.Ports = PortRange{3000, 3063}
		c.Filtering = AddressDependent
	})
	for i := range 63 {
		out(t, n, udpPacket(ap(netip.AddrFrom4([4]byte{10, 0, 2, byte(i)}), 9), ap(server, 53), "x"), Forward)
	}
	a := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward))
	b := srcOf(out(t, n, udpPacket(ap(hostA, 5000), ap(server2, 53), "x"), Forward))
	if a != b {
		t.Fatalf("mapping changed under pressure: %v, %v", a, b)
	}
	in(t, n, udpPacket(ap(router, 53), a, "x"), Drop)
}

func TestRFC4787_REQ12_ICMPDoesNotTerminateMapping(t *testing.T) {
	n, _ := newNAT(t, nil)
	sent := out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	e := srcOf(sent)
	before := n.Len()
	in(t, n, icmpError(router, e.Addr(), 3, 3, sent, 28), Forward)
	in(t, n, icmpError(router, e.Addr(), 11, 0, sent, 28), Forward)
	if n.Len() != before {
		t.Fatal("ICMP error changed the sessions")
	}
	if got, ok := n.Mapping(header.ProtocolUDP, ap(hostA, 5000)); !ok || got != e {
		t.Fatal("mapping lost after ICMP errors")
	}
}

// TestPortRangeOddBounds: with a range that starts on an odd port and ends
// on an even one, every mapping's port stays inside it, whatever the
// parity of the internal port (the parity draw must not step below Lo
// or above Hi).
func TestPortRangeOddBounds(t *testing.T) {
	for _, pr := range []PortRange{{1025, 1030}, {2001, 2002}, {3001, 3001}} {
		n, _ := newNAT(t, func(c *Config) { c.Ports = pr })
		size := int(pr.Hi-pr.Lo) + 1
		for i := range size {
			h := netip.AddrFrom4([4]byte{10, 0, 1, byte(i + 1)})
			e := srcOf(out(t, n, udpPacket(ap(h, 40000+uint16(i)), ap(server, 53), "x"), Forward))
			if e.Port() < pr.Lo || e.Port() > pr.Hi {
				t.Fatalf("range %v: mapping %d got port %d", pr, i, e.Port())
			}
		}
	}
}
