package vxlan

import (
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

var (
	hostMAC   = header.MAC{0x02, 0, 0, 0, 0, 0x0a}
	remoteMAC = header.MAC{0x02, 0, 0, 0, 0, 0x0b}
	hostIP4   = netip.MustParseAddr("10.99.1.10")
	remoteIP4 = netip.MustParseAddr("10.99.1.11")
	hostIP6   = netip.MustParseAddr("fd00::a")
	remoteIP6 = netip.MustParseAddr("fd00::b")
)

func arpRequest(target netip.Addr) []byte {
	b := make([]byte, 14+28)
	header.InitEthernet(b, header.BroadcastMAC, hostMAC, header.EtherTypeARP)
	header.InitARPRequest(b[14:], hostMAC, hostIP4, target)
	return b
}

// neighborSolicit builds an NS from hostIP6 for target, sent to its
// solicited-node multicast address.
func neighborSolicit(src, target netip.Addr) []byte {
	t := target.As16()
	snm := netip.AddrFrom16([16]byte{0xff, 0x02, 11: 1, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]})
	b := make([]byte, 14+40+32)
	header.InitEthernet(b, header.MAC{0x33, 0x33, 0xff, t[13], t[14], t[15]}, hostMAC, header.EtherTypeIPv6)
	ip, _ := header.InitIPv6(b[14:])
	ip.SetNextHeader(header.ProtocolICMPv6)
	ip.SetHopLimit(255)
	ip.SetSource(src)
	ip.SetDestination(snm)
	ns, _ := header.InitICMPv6(b[54:], header.ICMPv6NeighborSolicitation, 0)
	ns.SetTarget(target)
	header.AppendLinkAddrOption(ns[24:24], header.NDPOptionSourceLinkAddr, hostMAC)
	ns.SetChecksum(ns.ComputeChecksum(checksum.PseudoHeader(src, snm, header.ProtocolICMPv6, len(ns))))
	return b
}

func TestSuppressARP(t *testing.T) {
	n := NewNeighbors()
	n.Set(9, remoteIP4, remoteMAC)
	reply, ip, what := n.Suppress(nil, 9, arpRequest(remoteIP4))
	if what != Answered || ip != remoteIP4 {
		t.Fatalf("Suppress = %v %v", ip, what)
	}
	eth, err := header.ParseEthernet(reply)
	if err != nil || eth.Destination() != hostMAC || eth.Source() != remoteMAC || eth.EtherType() != header.EtherTypeARP {
		t.Fatalf("reply ethernet %v %x", err, reply)
	}
	a, err := header.ParseARP(eth.Payload())
	if err != nil || a.Op() != header.ARPReply || a.SenderMAC() != remoteMAC || a.SenderIP() != remoteIP4 || a.TargetMAC() != hostMAC || a.TargetIP() != hostIP4 {
		t.Fatalf("reply %v: %x", err, a)
	}
	if _, ip, what := n.Suppress(nil, 9, arpRequest(netip.MustParseAddr("10.99.1.99"))); what != Missed || ip.String() != "10.99.1.99" {
		t.Fatalf("miss: %v %v", ip, what)
	}
	if _, _, what := n.Suppress(nil, 10, arpRequest(remoteIP4)); what != Missed {
		t.Fatal("answered from another VNI's table")
	}
	g := make([]byte, 42)
	header.InitEthernet(g, header.BroadcastMAC, hostMAC, header.EtherTypeARP)
	header.InitGratuitousARP(g[14:], hostMAC, remoteIP4)
	if _, _, what := n.Suppress(nil, 9, g); what != NotSuppressed {
		t.Fatal("gratuitous ARP suppressed")
	}
	for i := range 42 {
		n.Suppress(nil, 9, arpRequest(remoteIP4)[:i]) // must not panic
	}
	if !n.Delete(9, remoteIP4) || n.Delete(9, remoteIP4) {
		t.Fatal("Delete")
	}
	if _, ok := n.Lookup(9, remoteIP4); ok {
		t.Fatal("deleted neighbor still known")
	}
}

func TestSuppressNS(t *testing.T) {
	n := NewNeighbors()
	n.Set(9, remoteIP6, remoteMAC)
	reply, ip, what := n.Suppress(nil, 9, neighborSolicit(hostIP6, remoteIP6))
	if what != Answered || ip != remoteIP6 {
		t.Fatalf("Suppress = %v %v", ip, what)
	}
	eth, err := header.ParseEthernet(reply)
	if err != nil || eth.Destination() != hostMAC || eth.Source() != remoteMAC {
		t.Fatalf("reply ethernet %v", err)
	}
	ip6, err := header.ParseIPv6(eth.Payload())
	if err != nil || ip6.Source() != remoteIP6 || ip6.Destination() != hostIP6 || ip6.HopLimit() != 255 {
		t.Fatalf("reply ipv6 %v", err)
	}
	na, err := header.ParseICMPv6(ip6.Payload())
	if err != nil || na.Type() != header.ICMPv6NeighborAdvert || na.Target() != remoteIP6 ||
		na.NDPFlags() != header.NDPFlagSolicited|header.NDPFlagOverride ||
		!na.ValidChecksum(checksum.PseudoHeader(remoteIP6, hostIP6, header.ProtocolICMPv6, len(na))) {
		t.Fatalf("reply NA %v: %x", err, na)
	}
	var tlla header.MAC
	for o, err := range na.NDPOptions() {
		if err != nil {
			t.Fatal(err)
		}
		if o.Type == header.NDPOptionTargetLinkAddr {
			tlla, _ = o.LinkAddr()
		}
	}
	if tlla != remoteMAC {
		t.Fatalf("target link-layer address %v", tlla)
	}
	if _, _, what := n.Suppress(nil, 9, neighborSolicit(netip.IPv6Unspecified(), remoteIP6)); what != NotSuppressed {
		t.Fatal("DAD probe suppressed")
	}
	if _, ip, what := n.Suppress(nil, 9, neighborSolicit(hostIP6, netip.MustParseAddr("fd00::99"))); what != Missed || ip.String() != "fd00::99" {
		t.Fatal("miss")
	}
	ns := neighborSolicit(hostIP6, remoteIP6)
	for i := range ns {
		n.Suppress(nil, 9, ns[:i])
	}
	if a := testing.AllocsPerRun(100, func() { n.Suppress(reply[:0], 9, ns) }); a != 0 {
		t.Errorf("Suppress NS: %v allocations", a)
	}
}

func FuzzSuppress(f *testing.F) {
	f.Add(arpRequest(remoteIP4))
	f.Add(neighborSolicit(hostIP6, remoteIP6))
	n := NewNeighbors()
	n.Set(1, remoteIP4, remoteMAC)
	n.Set(1, remoteIP6, remoteMAC)
	f.Fuzz(func(t *testing.T, frame []byte) {
		reply, _, what := n.Suppress(nil, 1, frame)
		if what == Answered {
			if _, err := header.ParseEthernet(reply); err != nil {
				t.Fatal(err)
			}
		}
	})
}
