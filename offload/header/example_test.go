package header_test

import (
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

func Example() {
	frame := []byte{
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x34, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0xb1, 0xee,
		0xac, 0x10, 0x0a, 0x63, 0xac, 0x10, 0x0a, 0x0c,
		0xc0, 0x2b, 0x00, 0x50, 0x3a, 0xe5, 0x7f, 0x14, 0x00, 0x00, 0x00, 0x00,
		0x80, 0x02, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07, 0x04, 0x02, 0x00, 0x00,
	}
	eth, err := header.ParseEthernet(frame)
	if err != nil {
		panic(err)
	}
	ip, err := header.ParseIPv4(eth.Payload())
	if err != nil {
		panic(err)
	}
	tcp, err := header.ParseTCP(ip.Payload())
	if err != nil {
		panic(err)
	}
	fmt.Println(eth.Source(), "->", eth.Destination(), eth.EtherType())
	fmt.Println(ip.Source(), "->", ip.Destination(), "ttl", ip.TTL(), "checksum ok", ip.ValidChecksum())
	fmt.Println(tcp.SourcePort(), "->", tcp.DestinationPort(), tcp.Flags(), "seq", tcp.Seq())
	for o, err := range tcp.Options().All() {
		if err != nil {
			panic(err)
		}
		fmt.Println(" ", o.Kind, o.Data)
	}
	// Output:
	// 52:54:00:ab:cd:ef -> 52:54:00:12:34:56 IPv4
	// 172.16.10.99 -> 172.16.10.12 ttl 64 checksum ok true
	// 49195 -> 80 [S] seq 988118804
	//   MSS [5 180]
	//   NOP []
	//   WS [7]
	//   SACK-permitted []
	//   EOL []
}

func ExampleParseIPv4_error() {
	_, err := header.ParseIPv4([]byte{0x45, 0, 0x01, 0x00, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2})
	fmt.Println(err)
	// Output: header: ipv4 total length at offset 2: truncated (256 > 20)
}

func ExampleIPv6_Transport() {
	pkt := []byte{
		0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x2c, 0x40, // payload 24, next Fragment, hop limit 64
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0x11, 0x00, 0x00, 0x00, 0xca, 0xfe, 0xf0, 0x0d, // Fragment: next UDP, offset 0, id
		0x13, 0x88, 0x12, 0xb5, 0x00, 0x10, 0x00, 0x00, // UDP 5000 -> 4789, length 16
		0, 0, 0, 0, 0, 0, 0, 0,
	}
	ip, err := header.ParseIPv6(pkt)
	if err != nil {
		panic(err)
	}
	for e, err := range ip.Extensions() {
		if err != nil {
			panic(err)
		}
		off, more, id, _ := e.Fragment()
		fmt.Printf("extension %d at %d: fragment offset %d more %v id %#x\n", e.Type, e.Offset, off, more, id)
	}
	proto, off, err := ip.Transport()
	if err != nil {
		panic(err)
	}
	udp, err := header.ParseUDP(ip[off:])
	if err != nil {
		panic(err)
	}
	fmt.Println(ip.Source(), "->", ip.Destination(), "proto", proto, "at", off)
	fmt.Println("udp", udp.SourcePort(), "->", udp.DestinationPort(), "payload", len(udp.Payload()))
	// Output:
	// extension 44 at 40: fragment offset 0 more false id 0xcafef00d
	// 2001:db8::1 -> 2001:db8::2 proto 17 at 48
	// udp 5000 -> 4789 payload 8
}

func ExampleInitGratuitousARP() {
	mac, _ := header.ParseMAC("02:00:5e:10:00:01")
	ip := netip.MustParseAddr("10.99.0.1")
	var frame [60]byte // minimum Ethernet frame, zero padded
	eth, _ := header.InitEthernet(frame[:], header.BroadcastMAC, mac, header.EtherTypeARP)
	arp, _ := header.InitGratuitousARP(eth.Payload(), mac, ip)
	fmt.Println(arp.Op(), arp.SenderMAC(), arp.SenderIP(), "gratuitous:", arp.IsGratuitous())
	fmt.Printf("% x\n", frame[:42])
	// Output:
	// request 02:00:5e:10:00:01 10.99.0.1 gratuitous: true
	// ff ff ff ff ff ff 02 00 5e 10 00 01 08 06 00 01 08 00 06 04 00 01 02 00 5e 10 00 01 0a 63 00 01 00 00 00 00 00 00 0a 63 00 01
}

func ExampleInitIPv4() {
	// Build an IPv4/UDP datagram in place.
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.53")
	buf := make([]byte, header.IPv4MinSize+header.UDPSize+4)
	ip, _ := header.InitIPv4(buf, header.IPv4MinSize)
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolUDP)
	ip.SetSource(src)
	ip.SetDestination(dst)
	udp, _ := header.InitUDP(ip.Payload())
	udp.SetSourcePort(53000)
	udp.SetDestinationPort(53)
	copy(udp.Payload(), "ping")
	udp.SetChecksum(udp.ComputeChecksum(checksum.PseudoHeader(src, dst, header.ProtocolUDP, len(udp))))
	ip.SetChecksum(ip.ComputeChecksum())
	fmt.Printf("% x\n", buf)
	// Output:
	// 45 00 00 20 00 00 00 00 40 11 f6 96 c0 00 02 01 c0 00 02 35 cf 08 00 35 00 0c cd 90 70 69 6e 67
}

func ExampleTCPOptions_All() {
	var opts []byte
	opts = header.AppendMSS(opts, 1460)
	opts = header.AppendSACKPermitted(opts)
	opts = header.AppendTimestamps(opts, 100, 0)
	opts = header.AppendNOP(opts)
	opts = header.AppendWindowScale(opts, 7)
	for o, err := range header.TCPOptions(opts).All() {
		if err != nil {
			panic(err)
		}
		switch o.Kind {
		case header.TCPOptionMSS:
			v, _ := o.MSS()
			fmt.Println(o.Kind, v)
		case header.TCPOptionTimestamps:
			val, ecr, _ := o.Timestamps()
			fmt.Println(o.Kind, val, ecr)
		case header.TCPOptionWindowScale:
			v, _ := o.WindowScale()
			fmt.Println(o.Kind, v)
		default:
			fmt.Println(o.Kind)
		}
	}
	// Malformed options end the walk with a typed error.
	for _, err := range (header.TCPOptions{2, 5, 5, 180, 0}).All() {
		fmt.Println(err)
	}
	// Output:
	// MSS 1460
	// SACK-permitted
	// TS 100 0
	// NOP
	// WS 7
	// header: tcp option length at offset 1: bad length (5 != 4)
}
