// Package peerbench compares github.com/sdnfabric/sdnfabric/vxlan with
// gopacket's layers.VXLAN on the same frames. Benchmark-only.
package peerbench

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

// innerFrame is an Ethernet frame of n bytes with EtherType 0x88b5 (IEEE
// local experimental), so that neither decoder goes past the inner
// Ethernet header and both do the same work.
func innerFrame(n int) []byte {
	b := make([]byte, n)
	header.InitEthernet(b, header.MAC{2, 0, 0, 0, 0, 2}, header.MAC{2, 0, 0, 0, 0, 1}, 0x88b5)
	for i := 14; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

// packet is a whole VXLAN packet: outer Ethernet, IPv4, UDP to 4789,
// VXLAN (VNI 4242), and a frame of n bytes.
func packet(n int) []byte {
	o := vxlan.Outer{
		Ethernet: true, SrcMAC: header.MAC{2, 0, 0, 0, 1, 1}, DstMAC: header.MAC{2, 0, 0, 0, 1, 2},
		Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"),
	}
	p, err := o.Encapsulate(nil, vxlan.Header{VNI: 4242}, innerFrame(n))
	if err != nil {
		panic(err)
	}
	return p
}

const outerLen = 14 + 20 + 8 // VXLAN header offset in packet()

// TestAgree checks both decoders read the same fields from the same bytes.
func TestAgree(t *testing.T) {
	p := packet(1450)
	var eth, inner layers.Ethernet
	var ip4 layers.IPv4
	var udp layers.UDP
	var vx layers.VXLAN
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &udp, &vx)
	parser.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	if err := parser.DecodeLayers(p, &decoded); err != nil {
		t.Fatal(err)
	}
	if err := inner.DecodeFromBytes(vx.LayerPayload(), gopacket.NilDecodeFeedback); err != nil {
		t.Fatal(err)
	}
	got, err := (&vxlan.Decap{Ethernet: true}).Decapsulate(p)
	if err != nil {
		t.Fatal(err)
	}
	if !vx.ValidIDFlag || vx.VNI != uint32(got.Header.VNI) || int(udp.DstPort) != int(got.Dst.Port()) ||
		ip4.SrcIP.String() != got.Src.Addr().String() || len(vx.LayerPayload()) != len(got.Frame) ||
		inner.SrcMAC.String() != header.Ethernet(got.Frame).Source().String() {
		t.Fatalf("gopacket %+v / %v, ours %+v", vx, decoded, got)
	}
	h, _ := vxlan.Decode(p[outerLen:])
	if h.VNI != 4242 {
		t.Fatalf("VNI %v", h.VNI)
	}
}

var (
	sinkHeader vxlan.Header
	sinkVNI    uint32
)

// BenchmarkHeaderDecode decodes the 8-byte VXLAN header of the same packet
// (a plain "for range b.N" loop, so that calls inline where the compiler
// can inline them, as in real code; b.Loop would keep every call out of
// line):
// ours with vxlan.Decode, gopacket with a DecodingLayerParser whose first
// layer is VXLAN (stopping at the inner Ethernet, which it has no decoder
// for), and gopacket's VXLAN.DecodeFromBytes called directly.
func BenchmarkHeaderDecode(b *testing.B) {
	p := packet(1450)[outerLen:]
	b.Run("impl=sdnfabric", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sinkHeader, _ = vxlan.Decode(p)
		}
	})
	b.Run("impl=gopacket-parser", func(b *testing.B) {
		var vx layers.VXLAN
		parser := gopacket.NewDecodingLayerParser(layers.LayerTypeVXLAN, &vx)
		parser.IgnoreUnsupported = true
		decoded := make([]gopacket.LayerType, 0, 4)
		b.ReportAllocs()
		for range b.N {
			parser.DecodeLayers(p, &decoded)
			sinkVNI = vx.VNI
		}
	})
	b.Run("impl=gopacket-layer", func(b *testing.B) {
		var vx layers.VXLAN
		b.ReportAllocs()
		for range b.N {
			vx.DecodeFromBytes(p, gopacket.NilDecodeFeedback)
			sinkVNI = vx.VNI
		}
	})
}

// BenchmarkHeaderEncode writes one VXLAN header: ours with Header.Append,
// gopacket with VXLAN.SerializeTo into a reused SerializeBuffer.
func BenchmarkHeaderEncode(b *testing.B) {
	b.Run("impl=sdnfabric", func(b *testing.B) {
		buf := make([]byte, 0, 16)
		h := vxlan.Header{VNI: 4242}
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = h.Append(buf[:0])
		}
	})
	b.Run("impl=gopacket", func(b *testing.B) {
		vx := layers.VXLAN{ValidIDFlag: true, VNI: 4242}
		sb := gopacket.NewSerializeBuffer()
		b.ReportAllocs()
		for b.Loop() {
			sb.Clear()
			vx.SerializeTo(sb, gopacket.SerializeOptions{})
		}
	})
}

// BenchmarkPacketDecode decodes whole packets (outer Ethernet, IPv4, UDP,
// VXLAN, inner Ethernet header) of several inner frame sizes: ours with
// Decap.Decapsulate and header.ParseEthernet on the inner frame, gopacket
// with a DecodingLayerParser over Ethernet, IPv4, UDP and VXLAN (its
// Ethernet decoder reused for the inner frame).
func BenchmarkPacketDecode(b *testing.B) {
	for _, n := range []int{64, 1450} {
		p := packet(n)
		b.Run(fmt.Sprintf("impl=sdnfabric/frame=%d", n), func(b *testing.B) {
			d := vxlan.Decap{Ethernet: true, Port: vxlan.Port}
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				pk, err := d.Decapsulate(p)
				if err != nil {
					b.Fatal(err)
				}
				header.ParseEthernet(pk.Frame)
			}
		})
		b.Run(fmt.Sprintf("impl=gopacket/frame=%d", n), func(b *testing.B) {
			var eth layers.Ethernet
			var ip4 layers.IPv4
			var udp layers.UDP
			var vx layers.VXLAN
			parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &udp, &vx)
			parser.IgnoreUnsupported = true
			decoded := make([]gopacket.LayerType, 0, 8)
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if err := parser.DecodeLayers(p, &decoded); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
