package router

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

func state(r *Router, ifIndex int, a netip.Addr) NeighborState {
	for _, n := range r.Neighbors() {
		if n.IfIndex == ifIndex && n.Addr == a {
			return n.State
		}
	}
	return 0
}

func TestARPResolutionQueuesAndFlushes(t *testing.T) {
	r, out, _ := testRouter(t)
	for i := range 2 {
		r.Input(1, udp4(macR1, macA, hAv4, hBv4, 64, uint16(i), 2, 0))
	}
	got := out.take()
	if len(got) != 1 || got[0].ifIndex != 2 {
		t.Fatalf("sent %v, want one ARP request on interface 2", got)
	}
	a, err := header.ParseARP(header.Ethernet(got[0].frame).Payload())
	if err != nil || a.Op() != header.ARPRequest || a.TargetIP() != hBv4 || a.SenderIP() != r2v4 || !header.Ethernet(got[0].frame).Destination().IsBroadcast() {
		t.Fatalf("bad ARP request %x (%v)", got[0].frame, err)
	}
	if s := state(r, 2, hBv4); s != StateIncomplete {
		t.Fatalf("state %s, want INCOMPLETE", s)
	}
	r.Input(2, arpFrame(header.ARPReply, macB, hBv4, macR2, r2v4))
	got = out.take()
	if len(got) != 2 {
		t.Fatalf("flushed %d packets, want 2", len(got))
	}
	for _, s := range got {
		if header.Ethernet(s.frame).Destination() != macB || parse4(t, s.frame).TTL() != 63 {
			t.Errorf("flushed frame %x", s.frame)
		}
	}
	if s := state(r, 2, hBv4); s != StateReachable {
		t.Errorf("state %s, want REACHABLE", s)
	}
}

func TestResolutionFailureSendsHostUnreachable(t *testing.T) {
	r, out, clk := testRouter(t)
	resolve(t, r, 1, hAv4, macA)
	out.take()
	sent0 := r.Counter(ICMPSent)
	r.Input(1, udp4(macR1, macA, hAv4, hBv4, 64, 1, 2, 0))
	requests := len(out.take())
	for range 4 {
		clk.advance(RetransTimer)
		r.Tick()
		for _, s := range out.take() {
			if s.ifIndex == 2 {
				requests++
				continue
			}
			ip, m := icmp4Of(t, s.frame)
			if m.Type() != header.ICMPv4DestUnreach || m.Code() != 1 || ip.Destination() != hAv4 {
				t.Errorf("got type %d code %d to %s, want host unreachable to A", m.Type(), m.Code(), ip.Destination())
			}
			if r.Counter(DropUnresolved) != 1 {
				t.Errorf("DropUnresolved = %d", r.Counter(DropUnresolved))
			}
		}
	}
	if requests != MaxMulticastSolicit {
		t.Errorf("%d ARP requests, want %d", requests, MaxMulticastSolicit)
	}
	if d := r.Counter(ICMPSent) - sent0; d != 1 {
		t.Errorf("ICMPSent grew by %d, want 1 host unreachable", d)
	}
	if s := state(r, 2, hBv4); s != StateFailed {
		t.Errorf("state %s, want FAILED", s)
	}
}

func TestQueueBoundsDropOldest(t *testing.T) {
	out := &capture{}
	r := New(Config{Output: out, MaxQueuedPerNeighbor: 2, MaxQueued: 3})
	r.SetInterface(Interface{Index: 1, MAC: macR1, Addrs: []netip.Prefix{netip.PrefixFrom(r1v4, 24)}})
	r.SetInterface(Interface{Index: 2, MAC: macR2, Addrs: []netip.Prefix{netip.MustParsePrefix("10.99.2.1/24")}})
	for i := range 5 {
		r.Input(1, udp4(macR1, macA, hAv4, hBv4, 64, uint16(i), 2, 0))
	}
	if got := r.Counter(DropQueueOverflow); got != 3 {
		t.Errorf("per-neighbor overflow drops %d, want 3", got)
	}
	for i := range 2 {
		r.Input(1, udp4(macR1, macA, hAv4, netip.MustParseAddr("10.99.2.30"), 64, uint16(i), 2, 0))
	}
	if got := r.Counter(DropQueueOverflow); got != 4 {
		t.Errorf("overflow drops %d, want 4 after the global bound", got)
	}
	out.take()
	r.Input(2, arpFrame(header.ARPReply, macB, hBv4, macR2, r2v4))
	got := out.take()
	if len(got) != 1 || header.UDP(parse4(t, got[0].frame).Payload()).SourcePort() != 4 {
		t.Errorf("flushed %d frames, want only the newest (port 4)", len(got))
	}
}

func TestNeighborUnreachabilityDetection(t *testing.T) {
	r, out, clk := testRouter(t)
	resolve(t, r, 2, hBv6, macB)
	if s := state(r, 2, hBv6); s != StateReachable {
		t.Fatalf("state %s, want REACHABLE", s)
	}
	clk.advance(ReachableTime * 3 / 2)
	r.Tick()
	if s := state(r, 2, hBv6); s != StateStale {
		t.Fatalf("state %s, want STALE", s)
	}
	out.take()
	r.Input(1, udp6(macR1, macA, hAv6, hBv6, 64, 1, 2, 0))
	if got := out.take(); len(got) != 1 || header.Ethernet(got[0].frame).Destination() != macB {
		t.Fatalf("a STALE entry must still be used, sent %v", got)
	}
	if s := state(r, 2, hBv6); s != StateDelay {
		t.Fatalf("state %s, want DELAY", s)
	}
	clk.advance(DelayFirstProbeTime)
	r.Tick()
	if s := state(r, 2, hBv6); s != StateProbe {
		t.Fatalf("state %s, want PROBE", s)
	}
	got := out.take()
	if len(got) != 1 {
		t.Fatalf("sent %d frames, want a unicast NS", len(got))
	}
	ip, m := icmp6Of(t, got[0].frame)
	if m.Type() != header.ICMPv6NeighborSolicitation || ip.Destination() != hBv6 || header.Ethernet(got[0].frame).Destination() != macB || ip.HopLimit() != 255 {
		t.Errorf("probe: type %d to %s", m.Type(), ip.Destination())
	}
	r.Input(2, naFrame(macB, hBv6, macR2, r2v6, header.NDPFlagSolicited))
	if s := state(r, 2, hBv6); s != StateReachable {
		t.Errorf("state %s after a solicited NA, want REACHABLE", s)
	}
	// Unanswered probes delete the entry.
	clk.advance(ReachableTime * 3 / 2)
	r.Tick()
	r.Input(1, udp6(macR1, macA, hAv6, hBv6, 64, 1, 2, 0))
	for range MaxUnicastSolicit + 2 {
		clk.advance(DelayFirstProbeTime)
		r.Tick()
	}
	if s := state(r, 2, hBv6); s != 0 {
		t.Errorf("state %s, want the entry gone", s)
	}
}

func TestNAOverride(t *testing.T) {
	r, _, _ := testRouter(t)
	resolve(t, r, 2, hBv6, macB)
	other := header.MAC{0x02, 0, 0, 0, 0xc, 0xc}
	r.Input(2, naFrame(other, hBv6, macR2, r2v6, 0)) // no override: ignored, entry goes STALE
	if n := r.Neighbors()[0]; n.MAC != macB || n.State != StateStale {
		t.Errorf("after NA without O: %+v", n)
	}
	r.Input(2, naFrame(other, hBv6, macR2, r2v6, header.NDPFlagOverride))
	if n := r.Neighbors()[0]; n.MAC != other || n.State != StateStale {
		t.Errorf("after NA with O: %+v", n)
	}
}

func TestARPAndNSReplies(t *testing.T) {
	r, out, _ := testRouter(t)
	r.Input(1, arpFrame(header.ARPRequest, macA, hAv4, header.MAC{}, r1v4))
	got := out.take()
	if len(got) != 1 {
		t.Fatalf("sent %d frames, want an ARP reply", len(got))
	}
	a, _ := header.ParseARP(header.Ethernet(got[0].frame).Payload())
	if a.Op() != header.ARPReply || a.SenderMAC() != macR1 || a.SenderIP() != r1v4 || a.TargetIP() != hAv4 || header.Ethernet(got[0].frame).Destination() != macA {
		t.Errorf("bad reply %x", got[0].frame)
	}
	if s := state(r, 1, hAv4); s != StateStale {
		t.Errorf("requester learned as %s, want STALE", s)
	}
	// A request for the address of the other interface is not answered.
	r.Input(1, arpFrame(header.ARPRequest, macA, hAv4, header.MAC{}, r2v4))
	if got := out.take(); len(got) != 0 {
		t.Errorf("answered ARP for another interface's address")
	}

	r.Input(1, nsFrame(macA, hAv6, r1v6))
	got = out.take()
	if len(got) != 1 {
		t.Fatalf("sent %d frames, want an NA", len(got))
	}
	ip, m := icmp6Of(t, got[0].frame)
	want := uint8(header.NDPFlagRouter | header.NDPFlagSolicited | header.NDPFlagOverride)
	if m.Type() != header.ICMPv6NeighborAdvert || m.Target() != r1v6 || ip.Destination() != hAv6 || m.NDPFlags() != want || ip.HopLimit() != 255 {
		t.Errorf("bad NA: type %d target %s to %s flags %x", m.Type(), m.Target(), ip.Destination(), m.NDPFlags())
	}
	if mac, found, ok := linkAddrOption(m, header.NDPOptionTargetLinkAddr); !ok || !found || mac != macR1 {
		t.Errorf("target link-layer address %s %v %v", mac, found, ok)
	}
	// Link-local address answers too.
	ll := linkLocalFromMAC(macR1)
	r.Input(1, nsFrame(macA, hAv6, ll))
	if got := out.take(); len(got) != 1 {
		t.Errorf("no NA for the link-local address %s", ll)
	}
	// A solicitation with a hop limit below 255 came from off-link.
	f := nsFrame(macA, hAv6, r1v6)
	header.IPv6(f[14:]).SetHopLimit(64)
	r.Input(1, f)
	if got := out.take(); len(got) != 0 {
		t.Errorf("answered an NS with hop limit 64")
	}
}

func TestAnnounceOnAddressChange(t *testing.T) {
	r, out, _ := testRouter(t)
	newV4 := netip.MustParseAddr("10.99.1.2")
	r.SetInterface(Interface{Index: 1, Name: "inside", MAC: macR1, Addrs: []netip.Prefix{
		netip.PrefixFrom(r1v4, 24), netip.PrefixFrom(r1v6, 64), netip.PrefixFrom(newV4, 24), netip.MustParsePrefix("2001:db8:1::2/64")}})
	got := out.take()
	if len(got) != 2 {
		t.Fatalf("sent %d frames, want a gratuitous ARP and an unsolicited NA", len(got))
	}
	a, err := header.ParseARP(header.Ethernet(got[0].frame).Payload())
	if err != nil || !a.IsGratuitous() || a.SenderIP() != newV4 || !header.Ethernet(got[0].frame).Destination().IsBroadcast() {
		t.Errorf("bad gratuitous ARP %x", got[0].frame)
	}
	ip, m := icmp6Of(t, got[1].frame)
	if m.Type() != header.ICMPv6NeighborAdvert || ip.Destination() != allNodes || m.NDPFlags()&header.NDPFlagSolicited != 0 || m.Target() != netip.MustParseAddr("2001:db8:1::2") {
		t.Errorf("bad unsolicited NA to %s flags %x", ip.Destination(), m.NDPFlags())
	}
}

func TestICMPRateLimit(t *testing.T) {
	out := &capture{}
	clk := &clock{t: time.Unix(1, 0)}
	r := New(Config{Output: out, Now: clk.Now, ICMPRate: 10, ICMPBurst: 2})
	r.SetInterface(Interface{Index: 1, MAC: macR1, Addrs: []netip.Prefix{netip.PrefixFrom(r1v4, 24)}})
	resolve(t, r, 1, hAv4, macA)
	out.take()
	send := func(n int) int {
		for range n {
			r.Input(1, udp4(macR1, macA, hAv4, netip.MustParseAddr("198.51.100.1"), 64, 1, 2, 0))
		}
		return len(out.take())
	}
	if got := send(5); got != 2 {
		t.Errorf("burst: %d errors, want 2", got)
	}
	clk.advance(100 * time.Millisecond)
	if got := send(5); got != 1 {
		t.Errorf("after 100 ms at 10/s: %d errors, want 1", got)
	}
	if got := r.Counter(ICMPRateLimited); got != 7 {
		t.Errorf("ICMPRateLimited = %d, want 7", got)
	}
}

// TestNeighborFloodIsBounded sends to many addresses of a connected subnet:
// the cache stops at MaxNeighbors, and once resolution has failed the
// entries make room for new destinations.
func TestNeighborFloodIsBounded(t *testing.T) {
	out := &capture{}
	clk := &clock{t: time.Unix(1, 0)}
	r := New(Config{Output: out, Now: clk.Now, MaxNeighbors: 8, ICMPRate: -1})
	r.SetInterface(Interface{Index: 1, MAC: macR1, Addrs: []netip.Prefix{netip.PrefixFrom(r1v4, 24)}})
	r.SetInterface(Interface{Index: 2, MAC: macR2, Addrs: []netip.Prefix{netip.MustParsePrefix("10.99.0.1/16")}})
	flood := func(base int) {
		for i := range 100 {
			r.Input(1, udp4(macR1, macA, hAv4, netip.AddrFrom4([4]byte{10, 99, byte(base + i/250), byte(2 + i%250)}), 64, 1, 2, 0))
		}
	}
	flood(100)
	if n := len(r.Neighbors()); n != 8 {
		t.Fatalf("%d neighbors after the flood, want the bound 8", n)
	}
	for range MaxMulticastSolicit + 1 {
		clk.advance(RetransTimer)
		r.Tick()
	}
	flood(110)
	ns := r.Neighbors()
	if len(ns) != 8 {
		t.Fatalf("%d neighbors, want 8", len(ns))
	}
	fresh := 0
	for _, n := range ns {
		if n.State == StateIncomplete {
			fresh++
		}
	}
	if fresh == 0 {
		t.Errorf("failed entries did not make room for new destinations")
	}
}

// TestGatewayCacheFollowsNeighborChanges checks that the neighbor remembered
// by a next-hop set is dropped when its entry goes away.
func TestGatewayCacheFollowsNeighborChanges(t *testing.T) {
	r, out, clk := testRouter(t)
	gw := netip.MustParseAddr("10.99.2.254")
	r.Routes().Replace(SourceStatic, netip.MustParsePrefix("192.0.2.0/24"), []NextHop{{Addr: gw, IfIndex: 2}})
	resolve(t, r, 2, gw, macB)
	send := func() header.MAC {
		out.take()
		r.Input(1, udp4(macR1, macA, hAv4, netip.MustParseAddr("192.0.2.7"), 9, 1, 2, 0))
		for _, s := range out.take() {
			if s.ifIndex == 2 && header.Ethernet(s.frame).EtherType() == header.EtherTypeIPv4 {
				return header.Ethernet(s.frame).Destination()
			}
		}
		return header.MAC{}
	}
	if got := send(); got != macB {
		t.Fatalf("sent to %s, want %s", got, macB)
	}
	// Unanswered probes delete the entry; the gateway then moves.
	clk.advance(ReachableTime * 3 / 2)
	r.Tick()
	send()
	for range MaxUnicastSolicit + 2 {
		clk.advance(DelayFirstProbeTime)
		r.Tick()
	}
	if s := state(r, 2, gw); s != 0 {
		t.Fatalf("state %s, want the entry gone", s)
	}
	other := header.MAC{0x02, 0, 0, 0, 0xc, 0xc}
	resolve(t, r, 2, gw, other)
	if got := send(); got != other {
		t.Errorf("sent to %s after the gateway moved, want %s", got, other)
	}
}
