package vxlan_test

import (
	"context"
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

func ExampleNeighbors_Suppress() {
	n := vxlan.NewNeighbors()
	n.Set(100, netip.MustParseAddr("10.1.0.2"), header.MAC{2, 0, 0, 0, 0, 2})

	// An ARP request from a local host for 10.1.0.2.
	req := make([]byte, 14+28)
	host := header.MAC{2, 0, 0, 0, 0, 1}
	header.InitEthernet(req, header.BroadcastMAC, host, header.EtherTypeARP)
	header.InitARPRequest(req[14:], host, netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.1.0.2"))

	reply, ip, what := n.Suppress(nil, 100, req)
	arp, _ := header.ParseARP(reply[14:])
	fmt.Println(what == vxlan.Answered, ip, arp.Op(), arp.SenderMAC(), "->", header.Ethernet(reply).Destination())
	_, ip, what = n.Suppress(nil, 100, req[:0:0])
	fmt.Println(what == vxlan.NotSuppressed, ip.IsValid())
	// Output:
	// true 10.1.0.2 reply 02:00:00:00:00:02 -> 02:00:00:00:00:01
	// true false
}

func ExampleVTEP_Forward() {
	tr, err := vxlan.ListenTransport(context.Background(), netip.MustParseAddrPort("127.0.0.1:0"), 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	v, _ := vxlan.New(vxlan.Config{Transport: tr, Ports: map[vxlan.VNI]vxlan.LocalPort{100: nil}})
	v.FDB().Add(100, header.MAC{}, netip.MustParseAddr("192.0.2.2")) // flood list
	v.FDB().Add(100, header.MAC{}, netip.MustParseAddr("192.0.2.3"))
	v.FDB().Add(100, header.MAC{2, 0, 0, 0, 0, 9}, netip.MustParseAddr("192.0.2.3"))

	frame := make([]byte, 60)
	header.InitEthernet(frame, header.BroadcastMAC, header.MAC{2, 0, 0, 0, 0, 1}, header.EtherTypeARP)
	pkt, remotes, _ := v.Forward(nil, nil, 100, frame)
	fmt.Println(len(pkt), remotes)

	header.Ethernet(frame).SetDestination(header.MAC{2, 0, 0, 0, 0, 9})
	_, remotes, _ = v.Forward(pkt[:0], remotes[:0], 100, frame)
	fmt.Println(remotes)
	// Output:
	// 68 [192.0.2.2 192.0.2.3]
	// [192.0.2.3]
}
