package vxlan

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"pgregory.net/rapid"
)

// testFrame builds an inner Ethernet/IPv4/UDP frame of n bytes (n >= 42).
func testFrame(n int, sport uint16) []byte {
	b := make([]byte, n)
	header.InitEthernet(b, header.MAC{0x02, 0, 0, 0, 0, 2}, header.MAC{0x02, 0, 0, 0, 0, 1}, header.EtherTypeIPv4)
	ip, _ := header.InitIPv4(b[14:], 20)
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolUDP)
	ip.SetSource(netip.MustParseAddr("192.168.0.1"))
	ip.SetDestination(netip.MustParseAddr("192.168.0.2"))
	ip.SetChecksum(^checksum.Sum(ip[:20], 0))
	u, _ := header.InitUDP(b[34:])
	u.SetSourcePort(sport)
	u.SetDestinationPort(53)
	for i := 42; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

// cmpNet compares netip values by ==, and nil slices equal to empty ones.
var cmpNet = cmp.Options{cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{}), cmpopts.EquateEmpty()}

func genAddrPair(t *rapid.T) (src, dst netip.Addr) {
	if rapid.Bool().Draw(t, "v6") {
		var a, b [16]byte
		copy(a[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "src6"))
		copy(b[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "dst6"))
		a[0], b[0] = 0x20, 0x20 // keep clear of v4-mapped addresses
		return netip.AddrFrom16(a), netip.AddrFrom16(b)
	}
	var a, b [4]byte
	copy(a[:], rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "src4"))
	copy(b[:], rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "dst4"))
	return netip.AddrFrom4(a), netip.AddrFrom4(b)
}

func genOuter(t *rapid.T) Outer {
	src, dst := genAddrPair(t)
	o := Outer{
		Ethernet:         rapid.Bool().Draw(t, "eth"),
		SrcMAC:           header.MAC{2, 0, 0, 0, 0, rapid.Byte().Draw(t, "smac")},
		DstMAC:           header.MAC{2, 0, 0, 0, 1, rapid.Byte().Draw(t, "dmac")},
		Src:              src,
		Dst:              dst,
		DstPort:          rapid.SampledFrom([]uint16{0, Port, LinuxPort, 1}).Draw(t, "dport"),
		TTL:              rapid.Uint8().Draw(t, "ttl"),
		TOS:              rapid.Uint8().Draw(t, "tos"),
		DontFragment:     rapid.Bool().Draw(t, "df"),
		UDPChecksum:      rapid.Bool().Draw(t, "csum4"),
		ZeroUDP6Checksum: rapid.Bool().Draw(t, "zero6"),
	}
	if rapid.Bool().Draw(t, "ports") {
		lo := rapid.Uint16Range(1, 65535).Draw(t, "lo")
		o.SrcPorts = PortRange{lo, rapid.Uint16Range(lo, 65535).Draw(t, "hi")}
	}
	return o
}

// Encapsulate then Decapsulate gives back the header, the frame and the
// endpoints, for IPv4 and IPv6 outers, with and without Ethernet, in every
// checksum mode; and the outer headers pass offload/header's parsers and
// checksum checks.
func TestEncapsulateRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := genOuter(t)
		h := genHeader().Draw(t, "h")
		frame := rapid.SliceOfN(rapid.Byte(), 14, 1600).Draw(t, "frame")
		prefix := rapid.SliceOfN(rapid.Byte(), 0, 4).Draw(t, "prefix")
		b, err := o.Encapsulate(append([]byte(nil), prefix...), h, frame)
		if err != nil {
			t.Fatal(err)
		}
		pkt := b[len(prefix):]
		d := Decap{Ethernet: o.Ethernet, VerifyChecksum: true, ZeroUDP6Checksum: o.ZeroUDP6Checksum}
		got, err := d.Decapsulate(pkt)
		if err != nil {
			t.Fatal(err)
		}
		port := o.DstPort
		if port == 0 {
			port = Port
		}
		sport := o.SrcPorts.Port(FlowHash(frame))
		want := Packet{
			Src:    netip.AddrPortFrom(o.Src, sport),
			Dst:    netip.AddrPortFrom(o.Dst, port),
			Header: h,
			Frame:  frame,
		}
		if diff := cmp.Diff(want, got, cmpNet); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		r := o.SrcPorts
		if !r.Valid() {
			r = DefaultPortRange
		}
		if sport < r.Min || sport > r.Max {
			t.Fatalf("source port %d outside %v", sport, r)
		}
		ipb := pkt
		if o.Ethernet {
			eth, err := header.ParseEthernet(pkt)
			if err != nil || eth.Source() != o.SrcMAC || eth.Destination() != o.DstMAC {
				t.Fatalf("outer ethernet %v: %x", err, pkt[:14])
			}
			ipb = eth.Payload()
		}
		var udp header.UDP
		if o.Src.Is4() {
			ip, err := header.ParseIPv4(ipb)
			if err != nil || !ip.ValidChecksum() || ip.DontFragment() != o.DontFragment || ip.TOS() != o.TOS {
				t.Fatalf("outer ipv4 %v, checksum ok %v", err, ip.ValidChecksum())
			}
			udp = header.UDP(ip.Payload())
			if (udp.Checksum() != 0) != o.UDPChecksum {
				t.Fatalf("UDP checksum %#x with UDPChecksum=%v", udp.Checksum(), o.UDPChecksum)
			}
		} else {
			ip, err := header.ParseIPv6(ipb)
			if err != nil || ip.TrafficClass() != o.TOS {
				t.Fatalf("outer ipv6 %v", err)
			}
			udp = header.UDP(ip.Payload())
			if (udp.Checksum() == 0) != o.ZeroUDP6Checksum {
				t.Fatalf("UDP checksum %#x with ZeroUDP6Checksum=%v", udp.Checksum(), o.ZeroUDP6Checksum)
			}
		}
		if udp.Checksum() != 0 && !udp.ValidChecksum(checksum.PseudoHeader(o.Src, o.Dst, header.ProtocolUDP, len(udp))) {
			t.Fatal("bad UDP checksum")
		}
	})
}

func TestEncapsulatePayloadRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := genHeader().Draw(t, "h")
		frame := rapid.SliceOfN(rapid.Byte(), 14, 200).Draw(t, "frame")
		b, err := EncapsulatePayload(nil, h, frame)
		if err != nil {
			t.Fatal(err)
		}
		gh, gf, err := DecapsulatePayload(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]any{h, frame}, []any{gh, gf}); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

func TestEncapsulateGPERoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := genOuter(t)
		o.ZeroUDP6Checksum = false
		h := GPEHeader{
			VNI:          VNI(rapid.Uint32Range(0, uint32(MaxVNI)).Draw(t, "vni")),
			NextProtocol: rapid.SampledFrom([]NextProtocol{NextIPv4, NextIPv6, NextEthernet, NextNSH}).Draw(t, "next"),
			BUM:          rapid.Bool().Draw(t, "B"),
		}
		payload := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "payload")
		b, err := o.EncapsulateGPE(nil, h, payload)
		if err != nil {
			t.Fatal(err)
		}
		got, err := (&Decap{Ethernet: o.Ethernet, VerifyChecksum: true}).DecapsulateGPE(b)
		if err != nil {
			t.Fatal(err)
		}
		port := o.DstPort
		if port == 0 {
			port = GPEPort
		}
		if diff := cmp.Diff(GPEPacket{Src: got.Src, Dst: netip.AddrPortFrom(o.Dst, port), Header: h, Payload: payload}, got, cmpNet); diff != "" || got.Src.Addr() != o.Src {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

// A bit flipped anywhere in a checksummed packet is caught by
// VerifyChecksum or by a parser; it never panics.
func TestDecapsulateCorruption(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := genOuter(t)
		o.UDPChecksum, o.ZeroUDP6Checksum = true, false
		frame := rapid.SliceOfN(rapid.Byte(), 14, 100).Draw(t, "frame")
		b, err := o.Encapsulate(nil, Header{VNI: 7}, frame)
		if err != nil {
			t.Fatal(err)
		}
		i := rapid.IntRange(0, len(b)-1).Draw(t, "byte")
		b[i] ^= 1 << rapid.IntRange(0, 7).Draw(t, "bit")
		d := Decap{Ethernet: o.Ethernet, VerifyChecksum: true}
		p, err := d.Decapsulate(b)
		ipOff := 0
		if o.Ethernet {
			ipOff = 14
		}
		if i < ipOff || (o.Src.Is6() && (i-ipOff < 4 || i-ipOff == 7)) {
			return // MACs, IPv6 traffic class, flow label, hop limit: no checksum covers them
		}
		if err == nil && p.Header.VNI == 7 && string(p.Frame) == string(frame) {
			t.Fatalf("flip of byte %d not detected", i)
		}
	})
}

func TestDecapsulateErrors(t *testing.T) {
	frame := testFrame(60, 1000)
	o4 := Outer{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")}
	o6 := Outer{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), ZeroUDP6Checksum: true}
	p4, _ := o4.Encapsulate(nil, Header{VNI: 5}, frame)
	p6zero, _ := o6.Encapsulate(nil, Header{VNI: 5}, frame)
	mod := func(b []byte, f func([]byte)) []byte {
		c := append([]byte(nil), b...)
		f(c)
		return c
	}
	for _, tc := range []struct {
		name   string
		d      Decap
		b      []byte
		err    error
		layer  string
		field  string
		offset int
	}{
		{"empty", Decap{}, nil, ErrTruncated, "ip", "version", 0},
		{"version 5", Decap{}, mod(p4, func(b []byte) { b[0] = 0x55 }), ErrBadValue, "ip", "version", 0},
		{"tcp", Decap{}, mod(p4, func(b []byte) { b[9] = 6 }), ErrBadValue, "ipv4", "protocol", 9},
		{"fragment", Decap{}, mod(p4, func(b []byte) { b[6] |= 0x20 }), ErrBadValue, "ipv4", "fragment offset/MF", 6},
		{"ip checksum", Decap{VerifyChecksum: true}, mod(p4, func(b []byte) { b[8]-- }), ErrBadChecksum, "ipv4", "checksum", 10},
		{"port", Decap{Port: LinuxPort}, p4, ErrBadValue, "udp", "destination port", 22},
		{"udp length", Decap{}, mod(p4, func(b []byte) { b[25] = 7 }), ErrBadLength, "udp", "", 24},
		{"no I flag", Decap{}, mod(p4, func(b []byte) { b[28] = 0 }), ErrBadValue, "vxlan", "flags (I bit clear)", 28},
		{"cut short", Decap{}, p4[:28+8+10], ErrTruncated, "ipv4", "", 2},
		{"zero checksum over IPv6", Decap{}, p6zero, ErrBadChecksum, "udp", "checksum (zero over IPv6)", 46},
		{"ethernet type", Decap{Ethernet: true}, append(make([]byte, 12), 0x08, 0x06, 0x45), ErrBadValue, "ethernet", "ethertype", 12},
	} {
		_, err := tc.d.Decapsulate(tc.b)
		var e *Error
		if !errors.Is(err, tc.err) || !errors.As(err, &e) || e.Layer != tc.layer || (tc.field != "" && e.Field != tc.field) || e.Offset != tc.offset {
			t.Errorf("%s: %v (%+v), want %v at %s %q offset %d", tc.name, err, e, tc.err, tc.layer, tc.field, tc.offset)
		}
	}
	// The inner frame cut by the UDP length is too short for Ethernet.
	short := mod(p4[:28+8+10], func(b []byte) { b[3] = 46; b[10], b[11] = 0, 0; b[25] = 18 })
	if _, err := (&Decap{}).Decapsulate(short); !errors.Is(err, ErrTruncated) {
		t.Errorf("10-byte inner frame: %v", err)
	}
	if _, err := o4.Encapsulate(nil, Header{VNI: 1}, frame[:13]); !errors.Is(err, ErrTruncated) {
		t.Errorf("13-byte frame: %v", err)
	}
	mixed := Outer{Src: o4.Src, Dst: o6.Dst}
	if _, err := mixed.Encapsulate(nil, Header{VNI: 1}, frame); !errors.Is(err, ErrBadValue) {
		t.Errorf("mixed families: %v", err)
	}
	if _, err := o4.Encapsulate(nil, Header{VNI: 1}, make([]byte, 65500)); !errors.Is(err, ErrBadLength) {
		t.Errorf("oversized frame: %v", err)
	}
}

// Trailing bytes after the UDP datagram (Ethernet padding) are not part of
// the inner frame.
func TestDecapsulatePadding(t *testing.T) {
	o := Outer{Ethernet: true, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")}
	frame := testFrame(60, 9)
	b, _ := o.Encapsulate(nil, Header{VNI: 1}, frame)
	b = append(b, 0, 0, 0, 0)
	p, err := (&Decap{Ethernet: true}).Decapsulate(b)
	if err != nil || len(p.Frame) != len(frame) {
		t.Fatalf("frame %d bytes, %v; want %d", len(p.Frame), err, len(frame))
	}
}

func TestFlowHashStable(t *testing.T) {
	a, b := testFrame(100, 1000), testFrame(400, 1000)
	if FlowHash(a) != FlowHash(b) {
		t.Error("two packets of one flow hash differently")
	}
	seen := map[uint16]bool{}
	for p := range uint16(64) {
		seen[DefaultPortRange.Port(FlowHash(testFrame(60, 1000+p)))] = true
	}
	if len(seen) < 48 {
		t.Errorf("64 flows got only %d source ports", len(seen))
	}
	for _, n := range []int{0, 1, 13, 14, 20, 33, 34, 37} {
		FlowHash(testFrame(60, 1)[:n]) // short frames must not panic
	}
	if got := (PortRange{Min: 5000, Max: 5000}).Port(0xffffffff); got != 5000 {
		t.Errorf("one-port range gave %d", got)
	}
	if got := (PortRange{}).Port(0xffffffff); got != 65535 {
		t.Errorf("zero range gave %d, want the default range's top", got)
	}
}
