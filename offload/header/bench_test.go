package header

import "testing"

// BenchmarkParseEthernetIPv4TCP parses a VLAN-tagged Ethernet/IPv4/TCP
// segment and reads the fields a flow classifier or GRO needs.
func BenchmarkParseEthernetIPv4TCP(b *testing.B) {
	frame := dataIPv4()
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		eth, err := ParseEthernet(frame)
		if err != nil {
			b.Fatal(err)
		}
		ip, err := ParseIPv4(eth.Payload())
		if err != nil {
			b.Fatal(err)
		}
		tcp, err := ParseTCP(ip.Payload())
		if err != nil {
			b.Fatal(err)
		}
		ts, _, _ := tcp.Timestamps()
		if ip.Source().Is4() && ip.Destination().Is4() {
			sink += int(tcp.SourcePort()) + int(tcp.DestinationPort()) + int(tcp.Seq()) + int(tcp.Flags()) + int(ts) + len(tcp.Payload())
		}
	}
}

// BenchmarkParseIPv4TCPChecksum adds verifying both checksums.
func BenchmarkParseIPv4TCPChecksum(b *testing.B) {
	pkt := dataIPv4()[18:78]
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		ip, err := ParseIPv4(pkt)
		if err != nil {
			b.Fatal(err)
		}
		tcp, err := ParseTCP(ip.Payload())
		if err != nil {
			b.Fatal(err)
		}
		if !ip.ValidChecksum() || !tcp.ValidChecksum(pseudo(ip.Source(), ip.Destination(), ProtocolTCP, len(tcp))) {
			b.Fatal("checksum")
		}
	}
}

// BenchmarkIPv6Transport finds the TCP header behind Hop-by-Hop,
// Destination Options and Fragment headers.
func BenchmarkIPv6Transport(b *testing.B) {
	pkt := tcpIPv6Ext()
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		ip, err := ParseIPv6(pkt)
		if err != nil {
			b.Fatal(err)
		}
		proto, off, err := ip.Transport()
		if err != nil || proto != ProtocolTCP {
			b.Fatal(err)
		}
		tcp, err := ParseTCP(ip[off:])
		if err != nil {
			b.Fatal(err)
		}
		sink += int(tcp.DestinationPort())
	}
}

// BenchmarkIPv6Extensions walks the same chain with the iterator.
func BenchmarkIPv6Extensions(b *testing.B) {
	ip, err := ParseIPv6(tcpIPv6Ext())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for e, err := range ip.Extensions() {
			if err != nil {
				b.Fatal(err)
			}
			sink += e.Offset
		}
	}
}

// BenchmarkTCPOptions walks a SYN's options.
func BenchmarkTCPOptions(b *testing.B) {
	tcp, err := ParseTCP(synIPv4()[34:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for o, err := range tcp.Options().All() {
			if err != nil {
				b.Fatal(err)
			}
			sink += int(o.Kind)
		}
	}
}
