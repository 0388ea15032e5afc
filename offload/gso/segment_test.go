package gso_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

func TestSegmentTable(t *testing.T) {
	const mss = 1448
	for _, s := range []spec{
		{Payload: payload(64000, 1), MSS: mss, Seq: 1000, ID: 7},
		{Eth: true, TS: true, Payload: payload(65535-20-32, 2), MSS: mss, Seq: 0xffffff00, ID: 0xfffe, Flags: flagPSH | flagFIN | flagCWR},
		{V6: true, Eth: true, TS: true, Payload: payload(65535-32, 3), MSS: 1428, Flags: flagPSH | flagECE},
		{V6: true, Payload: payload(mss, 4), MSS: mss, Flags: flagPSH},
		{Payload: payload(mss+1, 5), MSS: mss, Flags: flagFIN},
		{Payload: payload(1, 6), MSS: mss},
		{Payload: nil, MSS: mss, Flags: flagFIN},
		{UDP: true, Payload: payload(60000, 7), MSS: 1472, ID: 9},
		{UDP: true, V6: true, Eth: true, Payload: payload(8000, 8), MSS: 1000},
		{Tunnel: true, Payload: payload(60000, 9), MSS: 1398, ID: 3, Flags: flagPSH},
		{Tunnel: true, ZeroCk: true, V6: true, TS: true, Payload: payload(30001, 10), MSS: 1386},
		{Tunnel: true, OuterV6: true, Payload: payload(20000, 11), MSS: 1378, Flags: flagCWR | flagFIN},
		{Tunnel: true, OuterV6: true, UDP: true, Payload: payload(9999, 12), MSS: 1300},
	} {
		name := fmt.Sprintf("v6=%v/eth=%v/udp=%v/tunnel=%v/outer6=%v/len=%d", s.V6, s.Eth, s.UDP, s.Tunnel, s.OuterV6, len(s.Payload))
		t.Run(name, func(t *testing.T) {
			pkt, h, opts := build(s)
			orig := append([]byte(nil), pkt...)
			for _, partial := range []bool{false, true} {
				opts.PartialChecksum = partial
				segs := segmentAll(t, pkt, h, opts)
				want := max(1, (len(s.Payload)+s.MSS-1)/s.MSS)
				if len(segs) != want {
					t.Fatalf("%d segments, want %d", len(segs), want)
				}
				verify(t, s, opts, segs)
			}
			if string(orig) != string(pkt) {
				t.Fatal("Segment modified its input")
			}
		})
	}
}

// TestSegmentProperty: for random super-packets every segment is well
// formed and its checksums verify, and the payloads reassemble.
func TestSegmentProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec(t)
		pkt, h, opts := build(s)
		opts.PartialChecksum = rapid.Bool().Draw(t, "partial")
		opts.Headroom = rapid.IntRange(0, 12).Draw(t, "headroom")
		verify(t, s, opts, segmentAll(t, pkt, h, opts))
	})
}

// genSpec draws a super-packet that fits in 64 KiB.
func genSpec(t *rapid.T) spec {
	s := spec{
		V6:     rapid.Bool().Draw(t, "v6"),
		Eth:    rapid.Bool().Draw(t, "eth"),
		TS:     rapid.Bool().Draw(t, "ts"),
		UDP:    rapid.IntRange(0, 3).Draw(t, "proto") == 0,
		Tunnel: rapid.IntRange(0, 3).Draw(t, "tunnel") == 0,
		Seq:    rapid.Uint32().Draw(t, "seq"),
		ID:     rapid.Uint16().Draw(t, "id"),
		MSS:    rapid.IntRange(64, 9000).Draw(t, "mss"),
	}
	if s.Tunnel {
		s.OuterV6 = rapid.Bool().Draw(t, "outer6")
		s.ZeroCk = rapid.Bool().Draw(t, "zerock")
	}
	if !s.UDP {
		s.Flags = rapid.SampledFrom([]uint8{0, flagPSH, flagFIN, flagFIN | flagPSH, flagCWR, flagCWR | flagECE | flagPSH}).Draw(t, "flags")
	}
	limit := 65535 - 60 - 32 - 8 // inner IPv6 + TCP with options, or IPv4
	if s.Tunnel {
		limit -= 40 + 8 + 8 + 14
	}
	n := rapid.IntRange(1, limit).Draw(t, "len")
	s.Payload = payload(n, byte(s.Seq))
	return s
}

func TestSegmentNone(t *testing.T) {
	s := spec{Payload: payload(100, 1), MSS: 1448}
	pkt, h, opts := build(s)
	h.GSOType, h.GSOSize = virtio.GSONone, 0
	verify(t, s, opts, segmentAll(t, pkt, h, opts))

	h.Flags = 0 // a complete packet is copied unchanged
	segs := segmentAll(t, pkt, h, opts)
	if string(segs[0]) != string(pkt) {
		t.Fatal("GSO NONE without NEEDS_CSUM changed the packet")
	}
}

func TestSegmentFixedID(t *testing.T) {
	s := spec{Tunnel: true, Payload: payload(5000, 1), MSS: 1000, ID: 77}
	pkt, h, opts := build(s)
	opts.FixedID, opts.Tunnel.FixedID = true, true
	for i, seg := range segmentAll(t, pkt, h, opts) {
		if id := uint16(seg[14+4])<<8 | uint16(seg[14+5]); id != 0x1234 {
			t.Fatalf("segment %d: outer id %#x, want fixed 0x1234", i, id)
		}
		inner := 14 + 20 + 8 + 8 + 14
		if id := uint16(seg[inner+4])<<8 | uint16(seg[inner+5]); id != 77 {
			t.Fatalf("segment %d: inner id %d, want fixed 77", i, id)
		}
	}
}

func TestSegmentErrors(t *testing.T) {
	good := spec{Eth: true, Payload: payload(5000, 1), MSS: 1000}
	pkt, h, opts := build(good)
	tests := []struct {
		name  string
		edit  func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte
		want  error
		field string
	}{
		{"gso_size 0", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { h.GSOSize = 0; return p }, gso.ErrMetadata, "gso_size"},
		{"unknown gso_type", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { h.GSOType = 2; return p }, gso.ErrMetadata, "gso_type"},
		{"UFO", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { h.GSOType = virtio.GSOUDP; return p }, gso.ErrUnsupported, "gso_type UDP (UFO)"},
		{"TCPv6 on IPv4", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { h.GSOType = virtio.GSOTCPv6; return p }, gso.ErrMetadata, "gso_type (IP version differs)"},
		{"USO on TCP", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { h.GSOType = virtio.GSOUDPL4; return p }, gso.ErrMetadata, "gso_type (transport protocol differs)"},
		{"csum_start", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { h.CsumStart = 14; return p }, gso.ErrMetadata, "csum_start"},
		{"csum_offset", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { h.CsumOffset = 6; return p }, gso.ErrMetadata, "csum_offset"},
		{"network offset", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { o.NetworkOffset = 1 << 20; return p }, gso.ErrMetadata, "Options.NetworkOffset"},
		{"truncated", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { return p[:len(p)-1] }, gso.ErrMalformed, "ipv4 total length"},
		{"ihl", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { p[14] = 0x44; return p }, gso.ErrMalformed, "ipv4 ihl"},
		{"fragment", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { p[14+6] |= 0x20; return p }, gso.ErrUnsupported, "ipv4 fragment"},
		{"data offset", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { p[34+12] = 0x40; return p }, gso.ErrMalformed, "tcp data offset"},
		{"version", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { p[14] = 0x55; return p }, gso.ErrMalformed, "ip version"},
		{"tunnel on plain TCP", func(p []byte, h *virtio.NetHdr, o *gso.Options) []byte { o.Tunnel = gso.VXLAN; return p }, gso.ErrMalformed, "outer protocol (want UDP)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := append([]byte(nil), pkt...)
			hh, oo := h, opts
			p = tt.edit(p, &hh, &oo)
			dst, sizes := buffers(10, 2000)
			_, err := gso.Segment(dst, sizes, p, hh, oo)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var e *gso.Error
			if !errors.As(err, &e) || e.Field != tt.field {
				t.Fatalf("err = %#v, want field %q", err, tt.field)
			}
		})
	}

	t.Run("header package cause", func(t *testing.T) {
		p := append([]byte(nil), pkt...)
		p[14] = 0x44
		dst, sizes := buffers(10, 2000)
		_, err := gso.Segment(dst, sizes, p, h, opts)
		var he *header.Error
		if !errors.As(err, &he) || !errors.Is(err, header.ErrBadValue) {
			t.Fatalf("err = %v, want a *header.Error cause", err)
		}
	})

	t.Run("short dst", func(t *testing.T) {
		dst, sizes := buffers(4, 2000)
		if _, err := gso.Segment(dst, sizes, pkt, h, opts); !errors.Is(err, gso.ErrShortBuffer) {
			t.Fatalf("4 buffers for 5 segments: err = %v", err)
		}
		dst, sizes = buffers(5, 1000)
		if _, err := gso.Segment(dst, sizes, pkt, h, opts); !errors.Is(err, gso.ErrShortBuffer) {
			t.Fatalf("1000-byte buffers: err = %v", err)
		}
		dst, sizes = buffers(5, 2000)
		if _, err := gso.Segment(dst, sizes[:4], pkt, h, opts); !errors.Is(err, gso.ErrShortBuffer) {
			t.Fatalf("4 sizes: err = %v", err)
		}
	})
}

func TestSegmentAllocs(t *testing.T) {
	for _, s := range []spec{
		{Eth: true, TS: true, Payload: payload(65000, 1), MSS: 1448},
		{V6: true, Payload: payload(65000, 1), MSS: 1448},
		{Tunnel: true, Payload: payload(60000, 1), MSS: 1398},
		{UDP: true, Payload: payload(60000, 1), MSS: 1472},
	} {
		pkt, h, opts := build(s)
		dst, sizes := buffers(64, 1600)
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := gso.Segment(dst, sizes, pkt, h, opts); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Fatalf("Segment allocates %v times per run", allocs)
		}
	}
}

func FuzzSegment(f *testing.F) {
	for _, s := range []spec{
		{Eth: true, TS: true, Payload: payload(3000, 1), MSS: 1000, Flags: flagPSH},
		{V6: true, Payload: payload(2000, 1), MSS: 700},
		{UDP: true, Payload: payload(2000, 1), MSS: 600},
		{Tunnel: true, Payload: payload(2000, 1), MSS: 600},
	} {
		pkt, h, opts := build(s)
		f.Add(pkt, h.Flags, h.GSOType, h.GSOSize, h.CsumStart, h.CsumOffset, opts.NetworkOffset, opts.Tunnel.Enabled, opts.Tunnel.HeaderLen, 0, false)
	}
	f.Fuzz(func(t *testing.T, pkt []byte, flags, gsoType uint8, gsoSize, csumStart, csumOffset uint16, netOff int, tunnel bool, tunLen, headroom int, partial bool) {
		h := virtio.NetHdr{Flags: flags, GSOType: gsoType, GSOSize: gsoSize, CsumStart: csumStart, CsumOffset: csumOffset}
		opts := gso.Options{NetworkOffset: netOff, Headroom: headroom, PartialChecksum: partial}
		if tunnel {
			opts.Tunnel = gso.Tunnel{Enabled: true, HeaderLen: tunLen}
		}
		dst, sizes := buffers(8, 1600)
		n, err := gso.Segment(dst, sizes, pkt, h, opts)
		if err != nil {
			var e *gso.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not a *gso.Error", err)
			}
			return
		}
		for i := range n {
			if sizes[i] > len(dst[i])-headroom || sizes[i] > len(pkt) {
				t.Fatalf("segment %d: size %d out of range", i, sizes[i])
			}
		}
	})
}

func benchmarkSegment(b *testing.B, s spec) {
	pkt, h, opts := build(s)
	n, err := gso.Count(pkt, h, opts)
	if err != nil {
		b.Fatal(err)
	}
	dst, sizes := buffers(n, 2048)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gso.Segment(dst, sizes, pkt, h, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// 64 KiB super-packets (the largest a 16-bit IP length allows) cut at MSS
// 1448, a 1500-byte MTU with timestamps.
func BenchmarkSegmentTCPv4_64KiB(b *testing.B) {
	benchmarkSegment(b, spec{Eth: true, TS: true, Payload: payload(65535-20-32, 1), MSS: 1448})
}

func BenchmarkSegmentTCPv6_64KiB(b *testing.B) {
	benchmarkSegment(b, spec{V6: true, Eth: true, TS: true, Payload: payload(65535-32, 1), MSS: 1428})
}

func BenchmarkSegmentVXLAN_64KiB(b *testing.B) {
	benchmarkSegment(b, spec{Tunnel: true, TS: true, Payload: payload(65535-20-8-8-14-20-32, 1), MSS: 1398})
}

func BenchmarkSegmentUDPv4_64KiB(b *testing.B) {
	benchmarkSegment(b, spec{UDP: true, Eth: true, Payload: payload(65535-20-8, 1), MSS: 1472})
}

func TestSegmentNoneBadChecksumOffset(t *testing.T) {
	h := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: 30, CsumOffset: 16}
	dst, sizes := buffers(1, 100)
	_, err := gso.Segment(dst, sizes, make([]byte, 40), h, gso.Options{})
	var ve *virtio.Error
	if !errors.Is(err, gso.ErrMetadata) || !errors.As(err, &ve) {
		t.Fatalf("err = %v, want ErrMetadata caused by a *virtio.Error", err)
	}
}

// IPv6 extension headers (here Destination Options) are copied into every
// segment and walked to find TCP; a Fragment header is refused.
func TestSegmentIPv6Extensions(t *testing.T) {
	s := spec{V6: true, Payload: payload(5000, 1), MSS: 1000, Flags: flagPSH}
	pkt, h, opts := build(s)
	ext := []byte{6, 0, 1, 4, 0, 0, 0, 0} // next TCP, 8 bytes, PadN
	pkt = append(pkt[:40:40], append(ext, pkt[40:]...)...)
	pkt[6] = 60
	binary.BigEndian.PutUint16(pkt[4:], uint16(len(pkt)-40))
	h.CsumStart += 8
	segs := segmentAll(t, pkt, h, opts)
	if len(segs) != 5 {
		t.Fatalf("%d segments, want 5", len(segs))
	}
	for i, seg := range segs {
		if string(seg[40:48]) != string(ext) || int(binary.BigEndian.Uint16(seg[4:])) != len(seg)-40 {
			t.Fatalf("segment %d: extension header or payload length wrong", i)
		}
		if checksum.Sum(seg[48:], checksum.PseudoHeader(src6, dst6, 6, len(seg)-48)) != 0xffff {
			t.Fatalf("segment %d: TCP checksum does not verify", i)
		}
	}
	dst, sizes := buffers(5, 1200)
	if a := testing.AllocsPerRun(10, func() { _, _ = gso.Segment(dst, sizes, pkt, h, opts) }); a != 0 {
		t.Fatalf("Segment with an extension header allocates %v times", a)
	}

	// The same bytes as a Fragment header (offset 0, id 1) instead.
	copy(pkt[40:], []byte{6, 0, 0, 0, 0, 0, 0, 1})
	pkt[6] = 44
	if _, err := gso.Segment(dst, sizes, pkt, h, opts); !errors.Is(err, gso.ErrUnsupported) {
		t.Fatalf("fragment header: err = %v, want ErrUnsupported", err)
	}
}

// An inner frame with an 802.1Q tag segments like an untagged one.
func TestSegmentTunnelInnerVLAN(t *testing.T) {
	s := spec{Tunnel: true, Payload: payload(4000, 1), MSS: 1000}
	pkt, h, opts := build(s)
	eth := 14 + 20 + 8 + 8 // inner Ethernet
	tagged := append(append(append([]byte(nil), pkt[:eth+12]...), 0x81, 0x00, 0x00, 0x2a), pkt[eth+12:]...)
	setIPLen(tagged, 14, false)
	binary.BigEndian.PutUint16(tagged[14+20+4:], uint16(len(tagged)-14-20))
	h.CsumStart += 4
	segs := segmentAll(t, tagged, h, opts)
	if len(segs) != 4 {
		t.Fatalf("%d segments, want 4", len(segs))
	}
	for i, seg := range segs {
		l4 := eth + 18 + 20
		if checksum.Sum(seg[l4:], checksum.PseudoHeader(src4, dst4, 6, len(seg)-l4)) != 0xffff {
			t.Fatalf("segment %d: inner TCP checksum does not verify", i)
		}
		udp := 14 + 20
		if checksum.Sum(seg[udp:], checksum.PseudoHeader(osrc, odst, 17, len(seg)-udp)) != 0xffff {
			t.Fatalf("segment %d: outer UDP checksum does not verify", i)
		}
	}
}

// A tunnel header of odd length puts the inner transport header at an odd
// offset from the outer UDP header, so the inner checksum's contribution to
// the outer one must be byte-swapped (RFC 1071 section 2(B)).
func TestSegmentTunnelOddHeader(t *testing.T) {
	for _, partial := range []bool{false, true} {
		s := spec{Tunnel: true, Payload: payload(3001, 1), MSS: 1000}
		pkt, h, opts := build(s)
		vx := 14 + 20 + 8 + 8 // end of the VXLAN header
		pkt = append(pkt[:vx:vx], append([]byte{0xab}, pkt[vx:]...)...)
		setIPLen(pkt, 14, false)
		binary.BigEndian.PutUint16(pkt[14+20+4:], uint16(len(pkt)-14-20))
		h.CsumStart++
		opts.Tunnel.HeaderLen = 9
		opts.PartialChecksum = partial
		for i, seg := range segmentAll(t, pkt, h, opts) {
			l4 := vx + 1 + 14 + 20
			if partial {
				binary.BigEndian.PutUint16(seg[l4+16:], ^checksum.Sum(seg[l4:], 0))
			}
			if checksum.Sum(seg[l4:], checksum.PseudoHeader(src4, dst4, 6, len(seg)-l4)) != 0xffff {
				t.Fatalf("segment %d: inner TCP checksum does not verify", i)
			}
			udp := 14 + 20
			if checksum.Sum(seg[udp:], checksum.PseudoHeader(osrc, odst, 17, len(seg)-udp)) != 0xffff {
				t.Fatalf("partial=%v segment %d: outer UDP checksum does not verify", partial, i)
			}
		}
	}
}

func TestErrorString(t *testing.T) {
	pkt, h, opts := build(spec{Payload: payload(100, 1), MSS: 50})
	h.GSOSize = 0
	dst, sizes := buffers(4, 200)
	_, err := gso.Segment(dst, sizes, pkt, h, opts)
	if got, want := err.Error(), "gso: virtio-net header inconsistent with packet: gso_size"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
	pkt[0] = 0x44
	h.GSOSize = 50
	_, err = gso.Segment(dst, sizes, pkt, h, opts)
	if got, want := err.Error(), "gso: malformed packet: ipv4 ihl at offset 0: header: ipv4 ihl at offset 0: bad value (4 < 5)"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}
