package vxlan

import (
	"net/netip"
	"testing"
)

func TestCodecAllocs(t *testing.T) {
	frame := testFrame(1450, 5)
	buf := make([]byte, 0, 2048)
	o4 := Outer{Ethernet: true, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), UDPChecksum: true}
	o6 := Outer{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")}
	p4, _ := o4.Encapsulate(nil, Header{VNI: 1}, frame)
	p6, _ := o6.EncapsulateGPE(nil, GPEHeader{VNI: 1, NextProtocol: NextEthernet}, frame)
	d4 := Decap{Ethernet: true, VerifyChecksum: true}
	d6 := Decap{VerifyChecksum: true}
	for name, fn := range map[string]func(){
		"Header.Append":      func() { Header{VNI: 5, Policy: GroupPolicy{Present: true, ID: 3}}.Append(buf[:0]) },
		"Decode":             func() { Decode(p4[42:]) },
		"GPEHeader.Append":   func() { GPEHeader{VNI: 5, NextProtocol: NextNSH}.Append(buf[:0]) },
		"DecodeGPE":          func() { DecodeGPE(p6[48:]) },
		"EncapsulatePayload": func() { EncapsulatePayload(buf[:0], Header{VNI: 5}, frame) },
		"DecapsulatePayload": func() { DecapsulatePayload(p4[42:]) },
		"Encapsulate IPv4":   func() { o4.Encapsulate(buf[:0], Header{VNI: 5}, frame) },
		"EncapsulateGPE v6":  func() { o6.EncapsulateGPE(buf[:0], GPEHeader{VNI: 5, NextProtocol: NextEthernet}, frame) },
		"Decapsulate IPv4":   func() { d4.Decapsulate(p4) },
		"DecapsulateGPE v6":  func() { d6.DecapsulateGPE(p6) },
		"FlowHash":           func() { FlowHash(frame) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}
