package vxlan_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

func ExampleHeader_Append() {
	b, _ := vxlan.Header{VNI: 42}.Append(nil)
	fmt.Printf("% x\n", b)
	h, _ := vxlan.Decode(b)
	fmt.Println(h.VNI)
	// Output:
	// 08 00 00 00 00 00 2a 00
	// 42
}

func ExampleDecode_groupPolicy() {
	b := []byte{0x88, 0x40, 0x00, 0x64, 0x00, 0x01, 0x00, 0x00}
	h, err := vxlan.Decode(b)
	fmt.Println(h.VNI, h.Policy.Present, h.Policy.ID, h.Policy.DontLearn, err)
	_, err = vxlan.Decode([]byte{0x00, 0, 0, 0, 0, 0, 1, 0})
	fmt.Println(errors.Is(err, vxlan.ErrBadValue), err)
	// Output:
	// 256 true 100 true <nil>
	// true vxlan: vxlan flags (I bit clear) at offset 0: bad value
}

func ExampleOuter_Encapsulate() {
	frame := make([]byte, 60)
	header.InitEthernet(frame, header.BroadcastMAC, header.MAC{2, 0, 0, 0, 0, 1}, header.EtherTypeARP)
	o := vxlan.Outer{
		Src:     netip.MustParseAddr("192.0.2.1"),
		Dst:     netip.MustParseAddr("192.0.2.2"),
		DstPort: vxlan.LinuxPort,
	}
	pkt, _ := o.Encapsulate(nil, vxlan.Header{VNI: 100}, frame)
	fmt.Println(len(pkt), len(pkt)-len(frame) == vxlan.OverheadIPv4)

	d := vxlan.Decap{Port: vxlan.LinuxPort, VerifyChecksum: true}
	p, err := d.Decapsulate(pkt)
	fmt.Println(p.Src.Addr(), p.Dst, p.Header.VNI, len(p.Frame), err)
	// Output:
	// 96 true
	// 192.0.2.1 192.0.2.2:8472 100 60 <nil>
}

func ExampleGPEHeader() {
	b, _ := vxlan.GPEHeader{VNI: 7, NextProtocol: vxlan.NextNSH}.Append(nil)
	h, _ := vxlan.DecodeGPE(b)
	fmt.Printf("% x %v %v\n", b, h.VNI, h.NextProtocol)
	// Output: 0c 00 00 04 00 00 07 00 7 NSH
}
