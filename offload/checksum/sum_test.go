package checksum

import (
	"testing"

	"pgregory.net/rapid"
)

func TestSumRFC1071Example(t *testing.T) {
	// RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := Sum(b, 0); got != 0xddf2 {
		t.Fatalf("Sum = %#04x, want 0xddf2", got)
	}
	// The same sum split at an even offset and chained.
	if got := Sum(b[4:], Sum(b[:4], 0)); got != 0xddf2 {
		t.Fatalf("chained Sum = %#04x, want 0xddf2", got)
	}
	if got := Combine(Sum(b[:2], 0), Sum(b[2:], 0)); got != 0xddf2 {
		t.Fatalf("Combine = %#04x, want 0xddf2", got)
	}
}

func TestSumZeros(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 64, 1500, 65536} {
		b := make([]byte, n)
		if got := Sum(b, 0); got != 0 {
			t.Errorf("Sum(%d zero bytes, 0) = %#04x, want 0", n, got)
		}
		if got := Sum(b, 0xffff); got != 0xffff {
			t.Errorf("Sum(%d zero bytes, 0xffff) = %#04x, want 0xffff", n, got)
		}
	}
	// Data that sum to zero without being zero give -0 (0xffff).
	if got := Sum([]byte{0x12, 0x34, 0xed, 0xcb}, 0); got != 0xffff {
		t.Errorf("Sum of x and ^x = %#04x, want 0xffff", got)
	}
	// All-ones data of any length fold to 0xffff, never 0.
	for _, n := range []int{2, 8, 64, 4096, 70000} {
		b := make([]byte, n)
		for i := range b {
			b[i] = 0xff
		}
		if got := Sum(b, 0xffff); got != 0xffff {
			t.Errorf("Sum(%d bytes of 0xff) = %#04x, want 0xffff", n, got)
		}
	}
}

func TestSumOddTrailingByte(t *testing.T) {
	if got := Sum([]byte{0xab}, 0); got != 0xab00 {
		t.Fatalf("Sum([ab]) = %#04x, want 0xab00", got)
	}
	if got := Sum([]byte{0x01, 0x02, 0x03}, 0x0001); got != 0x0403 {
		t.Fatalf("Sum([01 02 03], 1) = %#04x, want 0x0403", got)
	}
}

// TestSumProperty checks the dispatched Sum and the portable loop against the
// reference for random lengths, start offsets (alignments) and initial values.
func TestSumProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// rapid favours small integers, so draw a size class and then a
		// distance from it to reach every loop's edges up to 70000 bytes.
		base := rapid.SampledFrom([]int{0, 0, 64, 128, 256, 1024, 1500, 4096, 9000, 65536, 69700}).Draw(t, "base")
		n := base + rapid.IntRange(0, 300).Draw(t, "delta")
		off := rapid.IntRange(0, 63).Draw(t, "off")
		initial := rapid.Uint16().Draw(t, "initial")
		buf := make([]byte, off+n)
		fillBytes(t, buf)
		b := buf[off:]
		want := refSum(b, initial)
		if got := Sum(b, initial); got != want {
			t.Fatalf("Sum(len %d, off %d, %#04x) = %#04x, want %#04x", n, off, initial, got, want)
		}
		if got := Combine(sumGeneric(b, 0), initial); got != want {
			t.Fatalf("sumGeneric(len %d, off %d) + %#04x = %#04x, want %#04x", n, off, initial, got, want)
		}
	})
}

// fillBytes fills b with bytes drawn either uniformly or mostly 0x00/0xff,
// the latter to drive the accumulators through their carry edge cases.
func fillBytes(t *rapid.T, b []byte) {
	seed := rapid.Uint64().Draw(t, "seed")
	mode := rapid.IntRange(0, 2).Draw(t, "mode")
	for i := range b {
		seed = seed*6364136223846793005 + 1442695040888963407
		r := byte(seed >> 56)
		switch mode {
		case 1: // mostly 0xff
			if r < 250 {
				r = 0xff
			}
		case 2: // 0x00 or 0xff
			r = -(r & 1)
		}
		b[i] = r
	}
}

func FuzzSum(f *testing.F) {
	f.Add([]byte{}, uint8(0), uint16(0))
	f.Add([]byte{0xff}, uint8(0), uint16(0xffff))
	f.Add([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, uint8(1), uint16(0))
	f.Add(make([]byte, 1500), uint8(3), uint16(0x1234))
	ones := make([]byte, 4099)
	for i := range ones {
		ones[i] = 0xff
	}
	f.Add(ones, uint8(7), uint16(0xffff))
	f.Fuzz(func(t *testing.T, b []byte, off uint8, initial uint16) {
		if int(off) > len(b) {
			off = uint8(len(b))
		}
		b = b[off:]
		want := refSum(b, initial)
		if got := Sum(b, initial); got != want {
			t.Fatalf("Sum(len %d) = %#04x, want %#04x", len(b), got, want)
		}
		if got := Combine(sumGeneric(b, 0), initial); got != want {
			t.Fatalf("sumGeneric(len %d) = %#04x, want %#04x", len(b), got, want)
		}
	})
}
