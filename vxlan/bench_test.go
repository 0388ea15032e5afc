package vxlan

import (
	"net/netip"
	"testing"
)

var sinkHeader Header

func BenchmarkHeaderAppend(b *testing.B) {
	buf := make([]byte, 0, HeaderSize)
	h := Header{VNI: 4242}
	b.ReportAllocs()
	b.SetBytes(HeaderSize)
	for b.Loop() {
		buf, _ = h.Append(buf[:0])
	}
}

func BenchmarkDecode(b *testing.B) {
	p, _ := Header{VNI: 4242}.Append(nil)
	b.ReportAllocs()
	b.SetBytes(HeaderSize)
	for b.Loop() {
		sinkHeader, _ = Decode(p)
	}
}

func BenchmarkDecodeGPE(b *testing.B) {
	p, _ := GPEHeader{VNI: 4242, NextProtocol: NextIPv6}.Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		DecodeGPE(p)
	}
}

// BenchmarkEncapsulate is a 1450-byte inner frame in outer IPv4+UDP (what a
// VTEP does per frame on the raw/TAP path), with the UDP checksum zero and
// computed.
func BenchmarkEncapsulate(b *testing.B) {
	frame := testFrame(1450, 5)
	buf := make([]byte, 0, 2048)
	for _, c := range []struct {
		name string
		o    Outer
	}{
		{"ipv4", Outer{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")}},
		{"ipv4-udpcsum", Outer{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), UDPChecksum: true}},
		{"ipv6", Outer{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				buf, _ = c.o.Encapsulate(buf[:0], Header{VNI: 5}, frame)
			}
		})
	}
}

func BenchmarkDecapsulate(b *testing.B) {
	frame := testFrame(1450, 5)
	o := Outer{Ethernet: true, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), UDPChecksum: true}
	p, _ := o.Encapsulate(nil, Header{VNI: 5}, frame)
	for _, verify := range []bool{false, true} {
		name := "noverify"
		if verify {
			name = "verify"
		}
		b.Run(name, func(b *testing.B) {
			d := Decap{Ethernet: true, VerifyChecksum: verify}
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				d.Decapsulate(p)
			}
		})
	}
}
