package offload_test

import (
	"fmt"

	"github.com/sdnfabric/sdnfabric/offload"
)

func ExampleFeatures() {
	// What Get-NetAdapterAdvancedProperty shows for a typical adapter,
	// then LSOv2 for IPv4 turned off: the checksum offloads stay on.
	f, err := offload.Parse("TCPChecksumOffloadIPv4, UDPChecksumOffloadIPv4Tx, Large Send Offload V2 (IPv4)")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f)
	f = f.Without(offload.LSOv2IPv4)
	fmt.Println(f)
	fmt.Println(f.Has(offload.TCPv4ChecksumTx), f.SegmentsTCP(false))

	// Registry value 3 of a checksum keyword is "Rx & Tx Enabled".
	g, _ := offload.ParseKeyword("*TCPChecksumOffloadIPv6", 3)
	fmt.Println(g)
	// Output:
	// tcp4-csum-tx|tcp4-csum-rx|udp4-csum-tx|lso2-ipv4
	// tcp4-csum-tx|tcp4-csum-rx|udp4-csum-tx
	// true false
	// tcp6-csum-tx|tcp6-csum-rx
}

func ExampleFeatures_TAPOffload() {
	// A TAP device whose user side acts as a NIC with full checksum
	// offload and TSO for both IP versions but no USO.
	f, _ := offload.Parse("tx-checksum-ip-generic, tso")
	fmt.Println(f.TAPOffload())
	// Output: csum|tso4|tso6|tso_ecn
}
