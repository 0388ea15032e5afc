package router

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

func TestForward4(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 2, hBv4, macB)
	out.take()
	f := udp4(macR1, macA, hAv4, hBv4, 64, 1000, 2000, 100)
	if err := r.Input(1, f); err != nil {
		t.Fatal(err)
	}
	got := out.take()
	if len(got) != 1 || got[0].ifIndex != 2 {
		t.Fatalf("sent %d frames (%v), want 1 on interface 2", len(got), got)
	}
	eth := header.Ethernet(got[0].frame)
	if eth.Destination() != macB || eth.Source() != macR2 {
		t.Errorf("Ethernet %s -> %s, want %s -> %s", eth.Source(), eth.Destination(), macR2, macB)
	}
	ip := parse4(t, got[0].frame)
	if ip.TTL() != 63 {
		t.Errorf("TTL %d, want 63", ip.TTL())
	}
	if r.Counter(Forwarded) != 1 || r.InterfaceCounter(1, Forwarded) != 1 || r.InterfaceCounter(2, TxFrames) == 0 {
		t.Errorf("counters: forwarded %d/%d tx %d", r.Counter(Forwarded), r.InterfaceCounter(1, Forwarded), r.InterfaceCounter(2, TxFrames))
	}
}

func TestForward6(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 2, hBv6, macB)
	out.take()
	if err := r.Input(1, udp6(macR1, macA, hAv6, hBv6, 64, 1000, 2000, 100)); err != nil {
		t.Fatal(err)
	}
	got := out.take()
	if len(got) != 1 || got[0].ifIndex != 2 {
		t.Fatalf("sent %v, want 1 frame on interface 2", got)
	}
	eth := header.Ethernet(got[0].frame)
	if eth.Destination() != macB || eth.Source() != macR2 {
		t.Errorf("Ethernet %s -> %s", eth.Source(), eth.Destination())
	}
	if hl := parse6(t, got[0].frame).HopLimit(); hl != 63 {
		t.Errorf("hop limit %d, want 63", hl)
	}
}

func TestStaticRouteViaGateway(t *testing.T) {
	r, out, _ := testRouter(t)
	gw := netip.MustParseAddr("10.99.2.254")
	if err := r.Routes().Replace(SourceStatic, netip.MustParsePrefix("192.0.2.0/24"), []NextHop{{Addr: gw}}); err != nil {
		t.Fatal(err)
	}
	resolve(t, r, 2, gw, macB)
	out.take()
	r.Input(1, udp4(macR1, macA, hAv4, netip.MustParseAddr("192.0.2.7"), 9, 1, 2, 0))
	got := out.take()
	if len(got) != 1 || got[0].ifIndex != 2 || header.Ethernet(got[0].frame).Destination() != macB {
		t.Fatalf("sent %v, want one frame to the gateway on interface 2", got)
	}
}

func TestTimeExceeded(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 1, hAv4, macA)
	resolve(t, r, 1, hAv6, macA)
	out.take()

	orig := udp4(macR1, macA, hAv4, hBv4, 1, 1000, 33434, 20)
	r.Input(1, append([]byte(nil), orig...))
	got := out.take()
	if len(got) != 1 || got[0].ifIndex != 1 {
		t.Fatalf("sent %v, want one ICMP error to interface 1", got)
	}
	ip, m := icmp4Of(t, got[0].frame)
	if ip.Source() != r1v4 || ip.Destination() != hAv4 || m.Type() != header.ICMPv4TimeExceeded || m.Code() != 0 {
		t.Errorf("got %s -> %s type %d code %d", ip.Source(), ip.Destination(), m.Type(), m.Code())
	}
	if diff := cmp.Diff(orig[14:], []byte(m.Payload())); diff != "" {
		t.Errorf("quoted datagram differs (-want +got):\n%s", diff)
	}

	r.Input(1, udp6(macR1, macA, hAv6, hBv6, 1, 1000, 33434, 20))
	got = out.take()
	if len(got) != 1 {
		t.Fatalf("sent %v, want one ICMPv6 error", got)
	}
	ip6, m6 := icmp6Of(t, got[0].frame)
	if ip6.Source() != r1v6 || ip6.Destination() != hAv6 || m6.Type() != header.ICMPv6TimeExceeded {
		t.Errorf("got %s -> %s type %d", ip6.Source(), ip6.Destination(), m6.Type())
	}
}

func TestDestinationUnreachable(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 1, hAv4, macA)
	resolve(t, r, 1, hAv6, macA)
	resolve(t, r, 2, hBv4, macB)
	resolve(t, r, 2, hBv6, macB)
	r.SetInterface(Interface{Index: 2, Name: "outside", MAC: macR2, MTU: 1400,
		Addrs: []netip.Prefix{netip.PrefixFrom(r2v4, 24), netip.PrefixFrom(r2v6, 64)}})
	out.take()

	big := udp4(macR1, macA, hAv4, hBv4, 64, 1, 2, 1500-28)
	ipBig := header.IPv4(big[14:])
	ipBig.SetDontFragment(true)
	ipBig.SetChecksum(ipBig.ComputeChecksum())

	for _, tc := range []struct {
		name      string
		frame     []byte
		typ, code uint8
		mtu       uint32
	}{
		{"net unreachable v4", udp4(macR1, macA, hAv4, netip.MustParseAddr("198.51.100.1"), 64, 1, 2, 0), header.ICMPv4DestUnreach, 0, 0},
		{"port unreachable v4", udp4(macR1, macA, hAv4, r2v4, 64, 1, 33434, 0), header.ICMPv4DestUnreach, 3, 0},
		{"fragmentation needed", big, header.ICMPv4DestUnreach, header.ICMPv4FragNeededCode, 1400},
		{"no route v6", udp6(macR1, macA, hAv6, netip.MustParseAddr("2001:db8:99::1"), 64, 1, 2, 0), header.ICMPv6DestUnreach, 0, 0},
		{"port unreachable v6", udp6(macR1, macA, hAv6, r1v6, 64, 1, 33434, 0), header.ICMPv6DestUnreach, 4, 0},
		{"packet too big", udp6(macR1, macA, hAv6, hBv6, 64, 1, 2, 1500-48), header.ICMPv6PacketTooBig, 0, 1400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := r.Input(1, tc.frame); err != nil {
				t.Fatal(err)
			}
			got := out.take()
			if len(got) != 1 || got[0].ifIndex != 1 {
				t.Fatalf("sent %d frames, want one ICMP error to interface 1", len(got))
			}
			var typ, code uint8
			var mtu uint32
			if tc.frame[12] == 0x08 {
				ip, m := icmp4Of(t, got[0].frame)
				typ, code, mtu = m.Type(), m.Code(), uint32(m.MTU())
				if ip.Destination() != hAv4 || len(ip) > icmp4ErrorMax {
					t.Errorf("error to %s, %d bytes", ip.Destination(), len(ip))
				}
			} else {
				ip, m := icmp6Of(t, got[0].frame)
				typ, code, mtu = m.Type(), m.Code(), m.MTU()
				if ip.Destination() != hAv6 || len(ip) > icmp6ErrorMax {
					t.Errorf("error to %s, %d bytes", ip.Destination(), len(ip))
				}
			}
			if typ != tc.typ || code != tc.code || (tc.mtu != 0 && mtu != tc.mtu) {
				t.Errorf("type %d code %d mtu %d, want %d %d %d", typ, code, mtu, tc.typ, tc.code, tc.mtu)
			}
		})
	}
}

func TestFragment4(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 2, hBv4, macB)
	r.SetInterface(Interface{Index: 2, Name: "outside", MAC: macR2, MTU: 576,
		Addrs: []netip.Prefix{netip.PrefixFrom(r2v4, 24)}})
	out.take()
	f := udp4(macR1, macA, hAv4, hBv4, 64, 1, 2, 1400-28)
	orig := append([]byte(nil), header.IPv4(f[14:]).Payload()...)
	r.Input(1, f)
	var payload []byte
	got := out.take()
	if len(got) != 3 {
		t.Fatalf("%d fragments, want 3", len(got))
	}
	for i, s := range got {
		ip := parse4(t, s.frame)
		if len(ip) > 576 || ip.TTL() != 63 || ip.FragmentOffset() != len(payload) || ip.MoreFragments() != (i < 2) {
			t.Errorf("fragment %d: len %d ttl %d offset %d MF %v", i, len(ip), ip.TTL(), ip.FragmentOffset(), ip.MoreFragments())
		}
		payload = append(payload, ip.Payload()...)
	}
	if diff := cmp.Diff(orig, payload); diff != "" {
		t.Errorf("reassembled payload differs:\n%s", diff)
	}
}

func TestEcho(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 1, hAv4, macA)
	resolve(t, r, 1, hAv6, macA)
	out.take()

	b := make([]byte, 14+20+8+32)
	header.InitEthernet(b, macR1, macA, header.EtherTypeIPv4)
	ip, _ := header.InitIPv4(b[14:], 20)
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolICMPv4)
	ip.SetSource(hAv4)
	ip.SetDestination(r2v4) // the far address of the router answers too
	ip.SetChecksum(ip.ComputeChecksum())
	m, _ := header.InitICMPv4(ip[20:], header.ICMPv4Echo, 0)
	m.SetIdent(7)
	m.SetSeq(9)
	m.SetChecksum(m.ComputeChecksum())
	r.Input(1, b)
	got := out.take()
	if len(got) != 1 {
		t.Fatalf("sent %d frames, want an echo reply", len(got))
	}
	rip, rm := icmp4Of(t, got[0].frame)
	if rip.Source() != r2v4 || rip.Destination() != hAv4 || rm.Type() != header.ICMPv4EchoReply || rm.Ident() != 7 || rm.Seq() != 9 {
		t.Errorf("reply %s -> %s type %d id %d seq %d", rip.Source(), rip.Destination(), rm.Type(), rm.Ident(), rm.Seq())
	}

	r.Input(1, icmp6Frame(macR1, macA, hAv6, r1v6, 64, header.ICMPv6EchoRequest, func(m header.ICMPv6) header.ICMPv6 {
		m.SetIdent(3)
		m.SetSeq(4)
		return m
	}, 16))
	got = out.take()
	if len(got) != 1 {
		t.Fatalf("sent %d frames, want an echo reply", len(got))
	}
	ip6, m6 := icmp6Of(t, got[0].frame)
	if ip6.Source() != r1v6 || ip6.Destination() != hAv6 || m6.Type() != header.ICMPv6EchoReply || m6.Ident() != 3 {
		t.Errorf("reply %s -> %s type %d id %d", ip6.Source(), ip6.Destination(), m6.Type(), m6.Ident())
	}
}

func TestNoForwardingOfMartians(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 2, hBv4, macB)
	out.take()
	for _, f := range [][]byte{
		udp4(header.BroadcastMAC, macA, hAv4, hBv4, 64, 1, 2, 0),                                  // link-layer broadcast
		udp4(macR1, macA, netip.MustParseAddr("127.0.0.1"), hBv4, 64, 1, 2, 0),                    // loopback source
		udp4(macR1, macA, hAv4, netip.MustParseAddr("224.0.0.5"), 64, 1, 2, 0),                    // multicast
		udp4(macB, macA, hAv4, hBv4, 64, 1, 2, 0),                                                 // not our MAC
		udp6(macR1, macA, netip.MustParseAddr("fe80::1"), hBv6, 64, 1, 2, 0),                      // link-local source
		udp6(macR1, macA, hAv6, netip.MustParseAddr("fe80::2"), 64, 1, 2, 0),                      // link-local destination
		udp6(ipv6MulticastMAC(allNodes), macA, hAv6, netip.MustParseAddr("ff0e::1"), 64, 1, 2, 0), // global multicast
	} {
		r.Input(1, f)
	}
	for _, s := range out.take() {
		if s.ifIndex == 2 {
			t.Errorf("forwarded a martian: %x", s.frame)
		}
	}
}

func TestMalformedFramesAreTypedErrors(t *testing.T) {
	r, _, _ := testRouter(t)
	short := udp4(macR1, macA, hAv4, hBv4, 64, 1, 2, 0)[:30]
	var herr *header.Error
	if err := r.Input(1, short); err == nil || !asHeaderError(err, &herr) || herr.Layer != "ipv4" {
		t.Errorf("truncated IPv4: %v", err)
	}
	if err := r.Input(1, []byte{1, 2, 3}); !asHeaderError(err, &herr) || herr.Layer != "ethernet" {
		t.Errorf("runt frame: %v", err)
	}
	if err := r.Input(9, make([]byte, 60)); err != ErrUnknownInterface {
		t.Errorf("unknown interface: %v", err)
	}
	if r.Counter(DropMalformed) != 2 {
		t.Errorf("DropMalformed = %d, want 2", r.Counter(DropMalformed))
	}
}

func TestLinkLocalEchoLeavesOnReceivingInterface(t *testing.T) {
	r, out, _ := testRouter(t)
	hostLL := netip.MustParseAddr("fe80::b")
	ll2 := linkLocalFromMAC(macR2)
	r.Input(2, nsFrame(macB, hostLL, ll2)) // the host resolves us and we learn it
	out.take()
	r.Input(2, icmp6Frame(macR2, macB, hostLL, ll2, 64, header.ICMPv6EchoRequest, func(m header.ICMPv6) header.ICMPv6 { return m }, 8))
	got := out.take()
	if len(got) != 1 || got[0].ifIndex != 2 {
		t.Fatalf("sent %v, want one echo reply on interface 2", got)
	}
	ip, m := icmp6Of(t, got[0].frame)
	if m.Type() != header.ICMPv6EchoReply || ip.Source() != ll2 || ip.Destination() != hostLL || header.Ethernet(got[0].frame).Destination() != macB {
		t.Errorf("reply type %d %s -> %s", m.Type(), ip.Source(), ip.Destination())
	}
}

// TestNoICMPErrorAbout checks the cases RFC 1812 section 4.3.2.7 and RFC
// 4443 section 2.4(e) exclude: ICMP errors, non-first fragments, multicast
// or broadcast destinations, and invalid sources.
func TestNoICMPErrorAbout(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 1, hAv4, macA)
	resolve(t, r, 1, hAv6, macA)
	out.take()
	unknown4 := netip.MustParseAddr("198.51.100.1")

	icmpErr := udp4(macR1, macA, hAv4, unknown4, 64, 0, 0, 20)
	ip := header.IPv4(icmpErr[14:])
	ip.SetProtocol(header.ProtocolICMPv4)
	ip.Payload()[0] = header.ICMPv4DestUnreach
	ip.SetChecksum(ip.ComputeChecksum())

	frag := udp4(macR1, macA, hAv4, unknown4, 64, 1, 2, 20)
	fip := header.IPv4(frag[14:])
	fip.SetFragmentOffset(64)
	fip.SetChecksum(fip.ComputeChecksum())

	icmp6Err := icmp6Frame(macR1, macA, hAv6, netip.MustParseAddr("2001:db8:99::1"), 64, header.ICMPv6DestUnreach, func(m header.ICMPv6) header.ICMPv6 { return m }, 16)

	for name, f := range map[string][]byte{
		"ICMP error":         icmpErr,
		"non-first fragment": frag,
		"ICMPv6 error":       icmp6Err,
		"TTL 1 to multicast": udp4(ipv4MulticastMACForTest, macA, hAv4, netip.MustParseAddr("239.1.1.1"), 1, 1, 2, 0),
	} {
		r.Input(1, f)
		if got := out.take(); len(got) != 0 {
			t.Errorf("%s: sent %d frames, want none", name, len(got))
		}
	}
}

var ipv4MulticastMACForTest = header.MAC{0x01, 0x00, 0x5e, 0x01, 0x01, 0x01}

func TestDirectedBroadcastNotForwarded(t *testing.T) {
	r, out, _ := testRouter(t)
	r.Input(1, udp4(macR1, macA, hAv4, netip.MustParseAddr("10.99.2.255"), 64, 1, 2, 0))
	if got := out.take(); len(got) != 0 {
		t.Errorf("forwarded (or tried to resolve) a directed broadcast: %d frames", len(got))
	}
	if r.Counter(DropNotForUs) != 1 {
		t.Errorf("DropNotForUs = %d", r.Counter(DropNotForUs))
	}
}
