package header_test

import (
	"fmt"

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
