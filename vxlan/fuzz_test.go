package vxlan

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// checkErr fails unless err is nil or an *Error wrapping a sentinel.
func checkErr(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if err != nil && (!errors.As(err, &e) || !(errors.Is(err, ErrTruncated) || errors.Is(err, ErrBadLength) || errors.Is(err, ErrBadValue) || errors.Is(err, ErrBadChecksum))) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x08, 0, 0, 0, 0, 0, 42, 0})
	f.Add([]byte{0x88, 0x48, 0xab, 0xcd, 0, 0, 42, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x08, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Decode(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		// Re-encoding keeps the meaning: reserved bits drop out.
		out, err := h.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		if h2, err := Decode(out); err != nil || h2 != h {
			t.Fatalf("re-decode %+v, %v; want %+v", h2, err, h)
		}
	})
}

func FuzzDecodeGPE(f *testing.F) {
	f.Add([]byte{0x0c, 0, 0, 3, 0, 0, 42, 0})
	f.Add([]byte{0x0d, 0, 0, 4, 1, 2, 3, 0})
	f.Add([]byte{0x08, 0, 0, 0, 0, 0, 1, 0})
	f.Add([]byte{0x3c, 0, 0, 1, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeGPE(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		out, err := h.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		if h2, err := DecodeGPE(out); err != nil || h2 != h {
			t.Fatalf("re-decode %+v, %v; want %+v", h2, err, h)
		}
	})
}

func FuzzDecapsulatePayload(f *testing.F) {
	p, _ := EncapsulatePayload(nil, Header{VNI: 9}, testFrame(60, 1))
	f.Add(p)
	f.Add(p[:20])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, frame, err := DecapsulatePayload(b)
		checkErr(t, err)
		if err == nil && len(frame) < 14 {
			t.Fatalf("accepted a %d-byte inner frame", len(frame))
		}
	})
}

func fuzzSeeds(f *testing.F, gpe bool) {
	frame := testFrame(80, 7)
	for _, o := range []Outer{
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")},
		{Ethernet: true, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), UDPChecksum: true},
		{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")},
		{Ethernet: true, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), ZeroUDP6Checksum: true},
	} {
		var b []byte
		if gpe {
			b, _ = o.EncapsulateGPE(nil, GPEHeader{VNI: 3, NextProtocol: NextIPv4}, frame[14:])
		} else {
			b, _ = o.Encapsulate(nil, Header{VNI: 3}, frame)
		}
		f.Add(b, o.Ethernet, true)
		f.Add(b[:len(b)/2], o.Ethernet, false)
	}
}

func FuzzDecapsulate(f *testing.F) {
	fuzzSeeds(f, false)
	f.Fuzz(func(t *testing.T, b []byte, eth, verify bool) {
		d := Decap{Ethernet: eth, VerifyChecksum: verify, ZeroUDP6Checksum: !verify}
		p, err := d.Decapsulate(b)
		checkErr(t, err)
		if err == nil && (len(p.Frame) < 14 || !p.Src.Addr().IsValid()) {
			t.Fatalf("accepted %+v", p)
		}
	})
}

func FuzzDecapsulateGPE(f *testing.F) {
	fuzzSeeds(f, true)
	f.Fuzz(func(t *testing.T, b []byte, eth, verify bool) {
		d := Decap{Ethernet: eth, VerifyChecksum: verify, ZeroUDP6Checksum: !verify}
		_, err := d.DecapsulateGPE(b)
		checkErr(t, err)
	})
}

// FuzzVTEPInput feeds received UDP payloads to a VTEP: it never panics,
// returns only typed errors, and the FDB never holds more than its limit.
func FuzzVTEPInput(f *testing.F) {
	p, _ := EncapsulatePayload(nil, Header{VNI: 5}, testFrame(60, 1))
	f.Add(p, uint16(1))
	g, _ := EncapsulatePayload(nil, Header{VNI: 5, Policy: GroupPolicy{Present: true, DontLearn: true}}, testFrame(60, 1))
	f.Add(g, uint16(2))
	u, _ := EncapsulatePayload(nil, Header{VNI: 6}, testFrame(60, 1))
	f.Add(u, uint16(3))
	conn, err := ListenTransport(context.Background(), netip.MustParseAddrPort("127.0.0.1:0"), 1)
	if err != nil {
		f.Skip("no loopback UDP socket")
	}
	defer conn.Close()
	v, _ := New(Config{Transport: conn, Ports: map[VNI]LocalPort{5: nil}, FDB: NewFDB(FDBConfig{MaxPerVNI: 16}), MaxPeers: 8})
	f.Fuzz(func(t *testing.T, b []byte, src uint16) {
		err := v.Input(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(src >> 8), byte(src)}), Port), b)
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		if v.FDB().Len(5) > 16 || len(v.peers.m) > 8 {
			t.Fatalf("FDB %d entries, %d peers: beyond the limits", v.FDB().Len(5), len(v.peers.m))
		}
	})
}
