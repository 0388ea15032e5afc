package router

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/rras/nat"
)

// natRouter is testRouter with a NAT: interface 1 inside, interface 2
// outside, external address r2v4 (the router's own) with a UDP forward
// r2v4:53 -> hAv4:5353; hosts A and B resolved.
func natRouter(t testing.TB, maxSessions int) (*Router, *capture, *nat.NAT) {
	t.Helper()
	clk := &clock{t: time.Unix(1_000_000, 0)}
	n, err := nat.New(nat.Config{
		External: []netip.Addr{r2v4},
		Forwards: []nat.PortForward{{Proto: header.ProtocolUDP,
			External: netip.AddrPortFrom(r2v4, 53), Internal: netip.AddrPortFrom(hAv4, 5353)}},
		MaxSessions: maxSessions,
		Clock:       clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := &capture{}
	r := New(Config{Output: out, Now: clk.Now, NAT: n})
	for _, ifc := range []Interface{
		{Index: 1, MAC: macR1, Addrs: []netip.Prefix{netip.PrefixFrom(r1v4, 24)}, NAT: NATInside},
		{Index: 2, MAC: macR2, Addrs: []netip.Prefix{netip.PrefixFrom(r2v4, 24)}, NAT: NATOutside},
	} {
		if err := r.SetInterface(ifc); err != nil {
			t.Fatal(err)
		}
	}
	resolve(t, r, 1, hAv4, macA)
	resolve(t, r, 2, hBv4, macB)
	out.take()
	return r, out, n
}

// sentUDP returns the one frame sent, on interface ifIndex, and its UDP
// endpoints.
func sentUDP(t *testing.T, out *capture, ifIndex int) (header.IPv4, netip.AddrPort, netip.AddrPort) {
	t.Helper()
	f := out.take()
	if len(f) != 1 || f[0].ifIndex != ifIndex {
		t.Fatalf("sent %d frames (%v), want one on interface %d", len(f), f, ifIndex)
	}
	ip := parse4(t, f[0].frame)
	u, err := header.ParseUDP(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	return ip, netip.AddrPortFrom(ip.Source(), u.SourcePort()), netip.AddrPortFrom(ip.Destination(), u.DestinationPort())
}

func TestNATGatewayTranslates(t *testing.T) {
	r, out, _ := natRouter(t, 64)
	// Outbound: source becomes the external address, port preserved.
	if err := r.Input(1, udp4(macR1, macA, hAv4, hBv4, 64, 5000, 7, 8)); err != nil {
		t.Fatal(err)
	}
	ip, src, dst := sentUDP(t, out, 2)
	if src != netip.AddrPortFrom(r2v4, 5000) || dst != netip.AddrPortFrom(hBv4, 7) || ip.TTL() != 63 {
		t.Errorf("outbound: %v -> %v ttl %d", src, dst, ip.TTL())
	}
	// The reply reaches the inside host.
	r.Input(2, udp4(macR2, macB, hBv4, r2v4, 64, 7, 5000, 8))
	_, src, dst = sentUDP(t, out, 1)
	if src != netip.AddrPortFrom(hBv4, 7) || dst != netip.AddrPortFrom(hAv4, 5000) {
		t.Errorf("reply: %v -> %v", src, dst)
	}
	// The port forward.
	r.Input(2, udp4(macR2, macB, hBv4, r2v4, 64, 6000, 53, 8))
	_, src, dst = sentUDP(t, out, 1)
	if src != netip.AddrPortFrom(hBv4, 6000) || dst != netip.AddrPortFrom(hAv4, 5353) {
		t.Errorf("forward: %v -> %v", src, dst)
	}
	// Hairpin: A to its own forward appears from the external address.
	r.Input(1, udp4(macR1, macA, hAv4, r2v4, 64, 5001, 53, 8))
	_, src, dst = sentUDP(t, out, 1)
	if src != netip.AddrPortFrom(r2v4, 5001) || dst != netip.AddrPortFrom(hAv4, 5353) {
		t.Errorf("hairpin: %v -> %v", src, dst)
	}
	if r.Counter(NATTranslated) != 4 || r.Counter(DropNAT) != 0 {
		t.Errorf("counters: translated %d, dropped %d", r.Counter(NATTranslated), r.Counter(DropNAT))
	}
}

// TestNATGatewayOwnTraffic: what matches no mapping but is addressed to
// the router is the router's (port unreachable, echo reply), as on a
// Linux masquerading router; traffic not addressed to the NAT is routed
// untranslated.
func TestNATGatewayOwnTraffic(t *testing.T) {
	r, out, _ := natRouter(t, 64)
	r.Input(2, udp4(macR2, macB, hBv4, r2v4, 64, 6000, 9999, 8))
	f := out.take()
	if len(f) != 1 || f[0].ifIndex != 2 {
		t.Fatalf("unmapped UDP to the router: sent %v, want a port unreachable to B", f)
	}
	if _, m := icmp4Of(t, f[0].frame); m.Type() != header.ICMPv4DestUnreach || m.Code() != 3 {
		t.Errorf("got ICMP %d/%d, want 3/3", m.Type(), m.Code())
	}
	// From inside to the router's inside address: not translated.
	r.Input(1, udp4(macR1, macA, hAv4, r1v4, 64, 6000, 9999, 8))
	f = out.take()
	if len(f) != 1 || f[0].ifIndex != 1 || parse4(t, f[0].frame).Destination() != hAv4 {
		t.Errorf("UDP to the inside address: sent %v, want port unreachable to A", f)
	}
	if r.Counter(NATTranslated) != 0 {
		t.Errorf("translated %d packets, want 0", r.Counter(NATTranslated))
	}
}

// TestNATGatewayTableFull: when the NAT cannot create a session the router
// answers ICMP destination unreachable, communication administratively
// prohibited (RFC 5508 REQ-8), and forwards nothing.
func TestNATGatewayTableFull(t *testing.T) {
	r, out, _ := natRouter(t, 1)
	r.Input(1, udp4(macR1, macA, hAv4, hBv4, 64, 5000, 7, 8))
	out.take()
	r.Input(1, udp4(macR1, macA, hAv4, hBv4, 64, 5001, 7, 8))
	f := out.take()
	if len(f) != 1 || f[0].ifIndex != 1 {
		t.Fatalf("sent %v, want one ICMP error to A", f)
	}
	ip, m := icmp4Of(t, f[0].frame)
	if m.Type() != header.ICMPv4DestUnreach || m.Code() != 13 || ip.Destination() != hAv4 {
		t.Errorf("got ICMP %d/%d to %v, want 3/13 to %v", m.Type(), m.Code(), ip.Destination(), hAv4)
	}
	if r.Counter(DropNAT) != 1 {
		t.Errorf("DropNAT %d, want 1", r.Counter(DropNAT))
	}
}

func TestNATGatewayAllocs(t *testing.T) {
	r, _, _ := natRouter(t, 64)
	r.cfg.Output = discard{}
	for _, tc := range []struct {
		name  string
		in    int
		frame []byte
	}{
		{"outbound", 1, udp4(macR1, macA, hAv4, hBv4, 64, 5000, 7, 64)},
		{"inbound", 2, udp4(macR2, macB, hBv4, r2v4, 64, 7, 5000, 64)},
	} {
		buf := make([]byte, len(tc.frame))
		before := r.Counter(NATTranslated)
		allocs := testing.AllocsPerRun(100, func() {
			copy(buf, tc.frame)
			if err := r.Input(tc.in, buf); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per translated packet", tc.name, allocs)
		}
		if got := r.Counter(NATTranslated) - before; got != 101 {
			t.Errorf("%s: translated %d, want 101", tc.name, got)
		}
	}
}

// fragments4 splits the IPv4 datagram in an Ethernet frame (with a
// 20-byte header) into frames of fragments carrying chunk bytes of
// payload each (a multiple of 8).
func fragments4(whole []byte, chunk int) [][]byte {
	hdr := whole[:14+20]
	payload := whole[14+20:]
	var frags [][]byte
	for off := 0; off < len(payload); off += chunk {
		end := min(off+chunk, len(payload))
		f := append(slices.Clone(hdr), payload[off:end]...)
		ip := header.IPv4(f[14:])
		ip.SetTotalLength(uint16(len(f) - 14))
		ip.SetFragmentOffset(off)
		ip.SetMoreFragments(end < len(payload))
		ip.SetChecksum(ip.ComputeChecksum())
		frags = append(frags, f)
	}
	return frags
}

// TestNATGatewayFragmentsOutOfOrder: the fragments of a datagram that the
// NAT held because they came before the first one leave, translated, as
// soon as the first fragment has been translated.
func TestNATGatewayFragmentsOutOfOrder(t *testing.T) {
	r, out, _ := natRouter(t, 64)
	frags := fragments4(udp4(macR1, macA, hAv4, hBv4, 64, 5000, 7, 2000), 1000)
	for _, i := range []int{2, 1} {
		r.Input(1, frags[i])
	}
	if f := out.take(); len(f) != 0 {
		t.Fatalf("sent %d frames before the first fragment", len(f))
	}
	r.Input(1, frags[0])
	sent := out.take()
	if len(sent) != 3 {
		t.Fatalf("sent %d frames, want 3", len(sent))
	}
	offsets := map[int]bool{}
	for _, f := range sent {
		ip := parse4(t, f.frame)
		if f.ifIndex != 2 || ip.Source() != r2v4 || ip.Destination() != hBv4 || ip.TTL() != 63 {
			t.Errorf("fragment at %d: if %d, %v -> %v ttl %d", ip.FragmentOffset(), f.ifIndex, ip.Source(), ip.Destination(), ip.TTL())
		}
		offsets[ip.FragmentOffset()] = true
	}
	if len(offsets) != 3 {
		t.Errorf("fragment offsets %v", offsets)
	}
}

// FuzzInputNAT feeds arbitrary frames to a router with a NAT, from either
// side: Input must not panic, and every frame the router sends carries an
// IPv4 packet whose header checksum verifies (or is ARP). Fragments (first
// and later ones, from both sides) exercise the NAT's held fragments and
// their release back through Input.
func FuzzInputNAT(f *testing.F) {
	out4 := fragments4(udp4(macR1, macA, hAv4, hBv4, 64, 5000, 7, 100), 48)
	in4 := fragments4(udp4(macR2, macB, hBv4, r2v4, 64, 7, 5000, 100), 48)
	for _, seed := range [][]byte{
		udp4(macR1, macA, hAv4, hBv4, 64, 5000, 7, 10),
		udp4(macR2, macB, hBv4, r2v4, 64, 7, 5000, 10),
		udp4(macR2, macB, hBv4, r2v4, 64, 6000, 53, 10),
		udp4(macR1, macA, hAv4, r2v4, 64, 5001, 53, 10),
		udp4(macR2, macB, hBv4, r2v4, 64, 6000, 9999, 10),
		out4[2], out4[1], out4[0], in4[1], in4[0],
	} {
		f.Add(uint8(1), seed)
		f.Add(uint8(2), seed)
	}
	r, out, _ := natRouter(f, 64)
	f.Fuzz(func(t *testing.T, ifIndex uint8, frame []byte) {
		_ = r.Input(int(ifIndex%2)+1, frame)
		_ = r.InputSuper(int(ifIndex%2)+1, frame, 536) // the same bytes as a TCP super-frame
		for _, s := range out.take() {
			eth, err := header.ParseEthernet(s.frame)
			if err != nil {
				t.Fatalf("sent an unparsable frame: %v", err)
			}
			if eth.EtherType() != header.EtherTypeIPv4 {
				continue
			}
			if ip, err := header.ParseIPv4(eth.Payload()); err != nil || !ip.ValidChecksum() {
				t.Fatalf("sent a bad IPv4 packet (%v)", err)
			}
		}
	})
}

// TestNATGatewayTimeExceededQuotesExternal: a packet from outside whose
// TTL runs out at the router gets a time exceeded that quotes it as it
// arrived (to the external address), not as translated.
func TestNATGatewayTimeExceededQuotesExternal(t *testing.T) {
	r, out, _ := natRouter(t, 64)
	r.Input(1, udp4(macR1, macA, hAv4, hBv4, 64, 5000, 7, 8))
	out.take()
	r.Input(2, udp4(macR2, macB, hBv4, r2v4, 1, 7, 5000, 8))
	f := out.take()
	if len(f) != 1 || f[0].ifIndex != 2 {
		t.Fatalf("sent %v, want one ICMP error to B", f)
	}
	ip, m := icmp4Of(t, f[0].frame)
	if m.Type() != header.ICMPv4TimeExceeded || ip.Destination() != hBv4 {
		t.Fatalf("got ICMP %d to %v", m.Type(), ip.Destination())
	}
	quoted := header.IPv4(m.Payload())
	if quoted.Destination() != r2v4 || quoted.Source() != hBv4 {
		t.Errorf("quoted %v -> %v, want %v -> %v", quoted.Source(), quoted.Destination(), hBv4, r2v4)
	}
	if r.Counter(DropTTLExceeded) != 1 {
		t.Errorf("DropTTLExceeded %d", r.Counter(DropTTLExceeded))
	}
}

// BenchmarkForwardNAT forwards an established flow through the router and
// its NAT: outbound (route, source translation) then the reply inbound
// (destination translation, route), one packet each per op.
func BenchmarkForwardNAT(b *testing.B) {
	r, _, _ := natRouter(b, 1024)
	r.cfg.Output = discard{}
	o := udp4(macR1, macA, hAv4, hBv4, 64, 5000, 7, 18)
	in := udp4(macR2, macB, hBv4, r2v4, 64, 7, 5000, 18)
	buf := make([]byte, len(o))
	copy(buf, o)
	r.Input(1, buf)
	b.SetBytes(int64(2 * len(o)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, o)
		r.Input(1, buf)
		copy(buf, in)
		r.Input(2, buf)
	}
	if r.Counter(NATTranslated) < uint64(2*b.N) {
		b.Fatalf("translated %d of %d", r.Counter(NATTranslated), 2*b.N)
	}
}
