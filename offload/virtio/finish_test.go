package virtio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"pgregory.net/rapid"
)

// verifyPartial checks that a finished packet sums to 0xffff from
// csum_start on, given that the field was seeded with zero.
func verifyPartial(h NetHdr, pkt []byte) error {
	if s := checksum.Sum(pkt[h.CsumStart:], 0); s != 0xffff {
		return fmt.Errorf("finished packet sums to %#04x, want 0xffff", s)
	}
	return nil
}

// udpv4 builds an Ethernet+IPv4+UDP packet whose UDP checksum field holds
// the pseudo-header sum, as Linux leaves a CHECKSUM_PARTIAL packet.
func udpv4(payload []byte) ([]byte, NetHdr) {
	src, dst := netip.MustParseAddr("10.99.5.1"), netip.MustParseAddr("10.99.5.2")
	ulen := 8 + len(payload)
	p := make([]byte, 14+20+ulen)
	binary.BigEndian.PutUint16(p[12:], 0x0800)
	ip := p[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+ulen))
	ip[8] = 64
	ip[9] = 17
	copy(ip[12:], src.AsSlice())
	copy(ip[16:], dst.AsSlice())
	binary.BigEndian.PutUint16(ip[10:], ^checksum.Sum(ip[:20], 0))
	u := ip[20:]
	binary.BigEndian.PutUint16(u[0:], 4000)
	binary.BigEndian.PutUint16(u[2:], 5000)
	binary.BigEndian.PutUint16(u[4:], uint16(ulen))
	copy(u[8:], payload)
	binary.BigEndian.PutUint16(u[6:], checksum.PseudoHeader(src, dst, 17, ulen))
	return p, NetHdr{Flags: FlagNeedsCsum, CsumStart: 34, CsumOffset: 6}
}

func TestFinishChecksumUDP(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		payload := rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "payload")
		p, h := udpv4(payload)
		if err := h.FinishChecksum(p); err != nil {
			t.Fatal(err)
		}
		// A receiver sums the pseudo-header and the datagram: all ones.
		src, dst := netip.MustParseAddr("10.99.5.1"), netip.MustParseAddr("10.99.5.2")
		if s := checksum.Sum(p[34:], checksum.PseudoHeader(src, dst, 17, len(p)-34)); s != 0xffff {
			t.Fatalf("UDP checksum does not verify: sum %#04x", s)
		}
		if binary.BigEndian.Uint16(p[40:]) == 0 {
			t.Fatal("UDP checksum 0 sent")
		}
	})
}

func TestFinishChecksumNoop(t *testing.T) {
	p := []byte{1, 2, 3}
	for _, h := range []NetHdr{{}, {Flags: FlagDataValid}, {Flags: FlagNeedsCsum | FlagRSCInfo, CsumStart: 100}} {
		if err := h.FinishChecksum(p); err != nil {
			t.Errorf("%+v: %v", h, err)
		}
	}
	if p[0] != 1 || p[1] != 2 || p[2] != 3 {
		t.Errorf("packet changed: %v", p)
	}
}

func TestFinishChecksumOutOfRange(t *testing.T) {
	p := make([]byte, 40)
	h := NetHdr{Flags: FlagNeedsCsum, CsumStart: 34, CsumOffset: 6}
	err := h.FinishChecksum(p)
	if !errors.Is(err, ErrChecksumOffset) {
		t.Fatalf("err = %v, want ErrChecksumOffset", err)
	}
	for _, c := range p {
		if c != 0 {
			t.Fatal("packet written despite the error")
		}
	}
}

func TestFinishZeroBecomesFFFF(t *testing.T) {
	// All-zero bytes from csum_start: the sum is 0, the complement 0xffff.
	// Bytes summing to 0xffff: the complement is 0, stored as 0xffff.
	p := []byte{0xff, 0xff, 0, 0}
	h := NetHdr{Flags: FlagNeedsCsum, CsumStart: 0, CsumOffset: 2}
	if err := h.FinishChecksum(p); err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint16(p[2:]); got != 0xffff {
		t.Fatalf("stored %#04x, want 0xffff", got)
	}
}

func BenchmarkDecodeNetHdr(b *testing.B) {
	buf := []byte{0x01, 0x01, 66, 0, 0xa8, 0x05, 34, 0, 16, 0}
	b.ReportAllocs()
	b.SetBytes(NetHdrLen)
	for b.Loop() {
		if _, err := DecodeNetHdr(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFinishChecksum1500(b *testing.B) {
	p, h := udpv4(make([]byte, 1500-42))
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		binary.BigEndian.PutUint16(p[40:], 0)
		if err := h.FinishChecksum(p); err != nil {
			b.Fatal(err)
		}
	}
}
