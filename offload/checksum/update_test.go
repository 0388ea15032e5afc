package checksum

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"pgregory.net/rapid"
)

// TestUpdate16RFC1624Example follows the example of RFC 1624 section 4: the new
// data sum to -0, so a full recompute gives a field of 0x0000. Equation 2
// of RFC 1624 gives 0xFFFF here; equation 3 gives 0x0000.
func TestUpdate16RFC1624Example(t *testing.T) {
	// Data: the checksum field, then 0x5555, then 0xCD7A.
	pkt := []byte{0, 0, 0x55, 0x55, 0xcd, 0x7a}
	field := ^Sum(pkt, 0)
	if field != 0xdd2f {
		t.Fatalf("initial field = %#04x, want 0xdd2f", field)
	}
	got := Update16(field, 0x5555, 0x3285)
	binary.BigEndian.PutUint16(pkt[2:], 0x3285)
	if want := ^Sum(pkt, 0); got != want || got != 0x0000 {
		t.Fatalf("Update16 = %#04x, full recompute %#04x, want 0x0000", got, want)
	}
	// A transmitted 0xFFFF field is the same value as 0x0000.
	if a, b := Update16(0xffff, 1, 2), Update16(0x0000, 1, 2); a != b {
		t.Fatalf("Update16 from 0xffff = %#04x, from 0x0000 = %#04x", a, b)
	}
}

// TestUpdateUnchanged: rewriting a value with itself leaves the field as it
// was (the case of RFC 1624 erratum 4782, field 0x0000 and m = m' = 0x5555),
// except that a field of 0xFFFF comes back as the equal 0x0000.
func TestUpdateUnchanged(t *testing.T) {
	if got := Update16(0x0000, 0x5555, 0x5555); got != 0x0000 {
		t.Fatalf("Update16(0, 0x5555, 0x5555) = %#04x, want 0x0000", got)
	}
	rapid.Check(t, func(t *rapid.T) {
		field := rapid.Uint16().Draw(t, "field")
		want := field
		if want == 0xffff {
			want = 0
		}
		v := rapid.Uint32().Draw(t, "value")
		a := drawAddr(t, "addr", rapid.Bool().Draw(t, "v6"))
		if got := Update16(field, uint16(v), uint16(v)); got != want {
			t.Fatalf("Update16(%#04x, x, x) = %#04x, want %#04x", field, got, want)
		}
		if got := Update32(field, v, v); got != want {
			t.Fatalf("Update32(%#04x, x, x) = %#04x, want %#04x", field, got, want)
		}
		if got := UpdateAddr(field, a, a); got != want {
			t.Fatalf("UpdateAddr(%#04x, a, a) = %#04x, want %#04x", field, got, want)
		}
	})
}

// packet draws a buffer of even length with a checksum field at an even
// offset, filled so that sums often land on the one's-complement zeros.
func packet(t *rapid.T, minLen int) (pkt []byte, fieldOff int) {
	n := 2 * rapid.IntRange(minLen/2+1, 40).Draw(t, "words")
	pkt = make([]byte, n)
	fillBytes(t, pkt)
	fieldOff = 2 * rapid.IntRange(0, n/2-1).Draw(t, "fieldWord")
	setField(pkt, fieldOff)
	return pkt, fieldOff
}

// setField stores ^Sum over pkt with the field zeroed and returns it.
func setField(pkt []byte, off int) uint16 {
	binary.BigEndian.PutUint16(pkt[off:], 0)
	f := ^Sum(pkt, 0)
	binary.BigEndian.PutUint16(pkt[off:], f)
	return f
}

// checkAgainstRecompute compares an incrementally updated field with a
// full recompute of pkt (whose field still holds the old value).
func checkAgainstRecompute(t *rapid.T, pkt []byte, off int, got uint16) {
	if got == 0xffff {
		t.Fatalf("update returned 0xffff")
	}
	tmp := append([]byte(nil), pkt...)
	want := setField(tmp, off)
	if allZero(tmp) || (want == 0xffff && allZero(tmp[:off]) && allZero(tmp[off+2:])) {
		// All-zero data: a recompute gives 0xffff, the update 0x0000,
		// the same one's-complement value.
		if got != 0 {
			t.Fatalf("update of all-zero data = %#04x, want 0x0000", got)
		}
		return
	}
	if got != want {
		t.Fatalf("incremental %#04x, full recompute %#04x", got, want)
	}
}

// avoid draws an even offset for a w-byte value not overlapping the field.
func avoid(t *rapid.T, pkt []byte, fieldOff, w int) int {
	for {
		off := 2 * rapid.IntRange(0, (len(pkt)-w)/2).Draw(t, "off")
		if off+w <= fieldOff || off >= fieldOff+2 {
			return off
		}
	}
}

func TestUpdate16Property(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pkt, fo := packet(t, 4)
		off := avoid(t, pkt, fo, 2)
		old := binary.BigEndian.Uint16(pkt[off:])
		nw := rapid.OneOf(rapid.Uint16(), rapid.SampledFrom([]uint16{0, 0xffff, old, ^old})).Draw(t, "new")
		got := Update16(binary.BigEndian.Uint16(pkt[fo:]), old, nw)
		binary.BigEndian.PutUint16(pkt[off:], nw)
		checkAgainstRecompute(t, pkt, fo, got)
	})
}

func TestUpdate32Property(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pkt, fo := packet(t, 6)
		off := avoid(t, pkt, fo, 4)
		old := binary.BigEndian.Uint32(pkt[off:])
		nw := rapid.OneOf(rapid.Uint32(), rapid.SampledFrom([]uint32{0, 0xffffffff, old, ^old})).Draw(t, "new")
		got := Update32(binary.BigEndian.Uint16(pkt[fo:]), old, nw)
		binary.BigEndian.PutUint32(pkt[off:], nw)
		checkAgainstRecompute(t, pkt, fo, got)
	})
}

func addrBytes(a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		return b[:]
	}
	b := a.As16()
	return b[:]
}

// TestUpdateAddrProperty rewrites an address inside a packet (same family,
// or a different one as NAT64 does, which changes the packet's length) and
// compares with a full recompute.
func TestUpdateAddrProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		oldV6 := rapid.Bool().Draw(t, "oldV6")
		newV6 := oldV6
		if rapid.IntRange(0, 4).Draw(t, "mixed") == 0 {
			newV6 = !oldV6
		}
		old, nw := drawAddr(t, "old", oldV6), drawAddr(t, "new", newV6)
		pre := 2 * rapid.IntRange(0, 10).Draw(t, "preWords")
		post := 2 * rapid.IntRange(0, 10).Draw(t, "postWords")
		filler := make([]byte, pre+post+2)
		fillBytes(t, filler)
		build := func(a netip.Addr) []byte {
			p := append([]byte(nil), filler[:pre]...)
			p = append(p, addrBytes(a)...)
			return append(p, filler[pre:]...)
		}
		pkt := build(old)
		fo := len(pkt) - 2 - post // the field sits just before post
		field := setField(pkt, fo)
		got := UpdateAddr(field, old, nw)
		pkt = build(nw)
		fo = len(pkt) - 2 - post
		binary.BigEndian.PutUint16(pkt[fo:], field)
		checkAgainstRecompute(t, pkt, fo, got)
	})
}

// TestUpdateAddrPseudoHeader checks the NAT use: rewriting the source
// address changes the TCP checksum exactly as the pseudo-header sum changes.
func TestUpdateAddrPseudoHeader(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v6 := rapid.Bool().Draw(t, "v6")
		src, dst, nsrc := drawAddr(t, "src", v6), drawAddr(t, "dst", v6), drawAddr(t, "nsrc", v6)
		seg := rapid.SliceOfN(rapid.Byte(), 20, 100).Draw(t, "segment")
		seg[16], seg[17] = 0, 0 // the TCP checksum field
		field := ^Sum(seg, PseudoHeader(src, dst, 6, len(seg)))
		want := ^Sum(seg, PseudoHeader(nsrc, dst, 6, len(seg)))
		if got := UpdateAddr(field, src, nsrc); got != want {
			t.Fatalf("UpdateAddr = %#04x, full recompute %#04x", got, want)
		}
	})
}
