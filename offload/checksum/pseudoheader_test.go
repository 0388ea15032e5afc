package checksum

import (
	"encoding/binary"
	"math"
	"net/netip"
	"testing"

	"pgregory.net/rapid"
)

// serializePseudoHeader lays the pseudo-header out byte by byte as the RFCs
// draw it.
func serializePseudoHeader(src, dst netip.Addr, proto uint8, length int) []byte {
	if src.Is4() && dst.Is4() {
		// RFC 768 / RFC 9293 section 3.1: src, dst, zero, PTCL, length.
		s, d := src.As4(), dst.As4()
		b := append(s[:], d[:]...)
		b = append(b, 0, proto)
		return binary.BigEndian.AppendUint16(b, uint16(length))
	}
	// RFC 8200 section 8.1: src, dst, 32-bit length, 3 zero bytes, next header.
	s, d := src.As16(), dst.As16()
	b := append(s[:], d[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(length))
	return append(b, 0, 0, 0, proto)
}

func drawAddr(t *rapid.T, label string, v6 bool) netip.Addr {
	if v6 {
		return netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label)))
	}
	return netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, label)))
}

func TestPseudoHeaderProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v6 := rapid.Bool().Draw(t, "v6")
		src, dst := drawAddr(t, "src", v6), drawAddr(t, "dst", v6)
		proto := rapid.Uint8().Draw(t, "proto")
		max := 0xffff
		if v6 {
			max = int(min(uint64(1<<32-1), uint64(math.MaxInt))) // jumbograms (RFC 2675)
		}
		length := rapid.IntRange(0, max).Draw(t, "length")
		want := refSum(serializePseudoHeader(src, dst, proto, length), 0)
		if got := PseudoHeader(src, dst, proto, length); got != want {
			t.Fatalf("PseudoHeader(%v, %v, %d, %d) = %#04x, want %#04x", src, dst, proto, length, got, want)
		}
	})
}

func TestPseudoHeaderMixedFamilies(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.1")
	v6 := netip.MustParseAddr("2001:db8::1")
	want := refSum(serializePseudoHeader(netip.AddrFrom16(v4.As16()), v6, 17, 100), 0)
	if got := PseudoHeader(v4, v6, 17, 100); got != want {
		t.Fatalf("PseudoHeader(v4, v6) = %#04x, want %#04x (IPv4-mapped form)", got, want)
	}
	if got := PseudoHeader(v6, v4, 17, 100); got != want {
		t.Fatalf("PseudoHeader(v6, v4) = %#04x, want %#04x (IPv4-mapped form)", got, want)
	}
}

func TestPseudoHeaderKnown(t *testing.T) {
	// By hand: c000+0201+c633+6401+0006+0014 = 1ec4f, folded ec50.
	src := netip.MustParseAddr("192.0.2.1")
	dst := netip.MustParseAddr("198.51.100.1")
	if got := PseudoHeader(src, dst, 6, 20); got != 0xec50 {
		t.Fatalf("PseudoHeader = %#04x, want 0xec50", got)
	}
}
