package nat_test

import (
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/rras/nat"
)

func udp(src, dst netip.AddrPort) []byte {
	b := make([]byte, header.IPv4MinSize+header.UDPSize)
	ip, _ := header.InitIPv4(b, header.IPv4MinSize)
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolUDP)
	ip.SetSource(src.Addr())
	ip.SetDestination(dst.Addr())
	ip.SetChecksum(ip.ComputeChecksum())
	u, _ := header.InitUDP(ip.Payload())
	u.SetSourcePort(src.Port())
	u.SetDestinationPort(dst.Port())
	u.SetChecksum(u.ComputeChecksum(checksum.PseudoHeader(src.Addr(), dst.Addr(), header.ProtocolUDP, len(u))))
	return b
}

func Example() {
	n, err := nat.New(nat.Config{
		External: []netip.Addr{netip.MustParseAddr("198.51.100.1")},
		Forwards: []nat.PortForward{{
			Proto:    header.ProtocolUDP,
			External: netip.MustParseAddrPort("198.51.100.1:53"),
			Internal: netip.MustParseAddrPort("10.0.0.53:53"),
		}},
	})
	if err != nil {
		panic(err)
	}
	// An inside host talks out: its source is translated (port kept).
	pkt := udp(netip.MustParseAddrPort("10.0.0.2:40000"), netip.MustParseAddrPort("203.0.113.5:123"))
	v, _ := n.Outbound(pkt)
	fmt.Println(v, header.IPv4(pkt).Source())
	// The reply comes back in.
	reply := udp(netip.MustParseAddrPort("203.0.113.5:123"), netip.MustParseAddrPort("198.51.100.1:40000"))
	v, _ = n.Inbound(reply)
	fmt.Println(v, header.IPv4(reply).Destination())
	// The port forward admits a query from outside.
	q := udp(netip.MustParseAddrPort("192.0.2.9:5000"), netip.MustParseAddrPort("198.51.100.1:53"))
	v, _ = n.Inbound(q)
	fmt.Println(v, header.IPv4(q).Destination())
	// Output:
	// forward 198.51.100.1
	// forward 10.0.0.2
	// forward 10.0.0.53
}

// Fragments may come in any order: one that comes before its datagram's
// first fragment is held, and released once the first is translated.
func ExampleNAT_Released() {
	n, _ := nat.New(nat.Config{External: []netip.Addr{netip.MustParseAddr("198.51.100.1")}})
	// A 16-byte UDP datagram in two fragments of 8 bytes of payload each.
	d := udp(netip.MustParseAddrPort("10.0.0.2:40000"), netip.MustParseAddrPort("203.0.113.5:123"))
	d = append(d, "payload!"...)
	ip := header.IPv4(d)
	ip.SetTotalLength(uint16(len(d)))
	u := header.UDP(ip.Payload())
	u.SetLength(uint16(len(u)))
	u.SetChecksum(0)
	u.SetChecksum(u.ComputeChecksum(checksum.PseudoHeader(ip.Source(), ip.Destination(), header.ProtocolUDP, len(u))))
	first, second := append([]byte(nil), d[:28]...), append(append([]byte(nil), d[:20]...), d[28:]...)
	for i, f := range [][]byte{first, second} {
		h := header.IPv4(f)
		h.SetTotalLength(uint16(len(f)))
		h.SetID(7)
		h.SetMoreFragments(i == 0)
		h.SetFragmentOffset(8 * i)
		h.SetChecksum(h.ComputeChecksum())
	}
	v, err := n.Outbound(second)
	fmt.Println(v, err)
	v, _ = n.Outbound(first)
	fmt.Println(v, header.IPv4(first).Source())
	for {
		p, outbound, ok := n.Released(nil)
		if !ok {
			break
		}
		if outbound {
			v, _ = n.Outbound(p)
		}
		fmt.Println(v, header.IPv4(p).Source(), header.IPv4(p).FragmentOffset())
	}
	// Output:
	// drop fragment held until its first fragment
	// forward 198.51.100.1
	// forward 198.51.100.1 8
}
