//go:build !purego

package checksum

import (
	"testing"

	"pgregory.net/rapid"
)

// TestSumScalarPath covers the scalar path of sum on machines with AVX2.
func TestSumScalarPath(t *testing.T) {
	defer func(v bool) { useAVX2 = v }(useAVX2)
	useAVX2 = false
	rapid.Check(t, func(t *rapid.T) {
		b := make([]byte, rapid.IntRange(0, 5000).Draw(t, "n"))
		fillBytes(t, b)
		if got, want := Sum(b, 0), refSum(b, 0); got != want {
			t.Fatalf("scalar Sum(len %d) = %#04x, want %#04x", len(b), got, want)
		}
	})
}

// TestSumAVX2Blocks drives the AVX2 loop over its 32-bit lane limit with the
// worst case (all 0xff) and lengths that need more than one call.
func TestSumAVX2Blocks(t *testing.T) {
	if !useAVX2 {
		t.Skip("the CPU or operating system does not support AVX2")
	}
	n := 2*avx2Block + 300
	if testing.Short() {
		n = avx2Block + 300
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xff
	}
	if got, want := sumAVX2(b[:avx2Block]), uint64(avx2Block/2*0xffff); got != want {
		t.Errorf("sumAVX2(%d bytes of 0xff) = %#x, want %#x", avx2Block, got, want)
	}
	for _, l := range []int{avx2Block, avx2Block + 128, avx2Block + 130, n} {
		if got := Sum(b[:l], 0); got != 0xffff {
			t.Errorf("Sum(%d bytes of 0xff) = %#04x, want 0xffff", l, got)
		}
	}
	// The same with varied bytes, checked against the reference.
	for i := range b {
		b[i] = byte(i*7 + i>>9)
	}
	for _, l := range []int{avx2Block - 1, avx2Block + 1, n} {
		if got, want := Sum(b[1:l], 0x1234), refSum(b[1:l], 0x1234); got != want {
			t.Errorf("Sum(len %d, off 1) = %#04x, want %#04x", l-1, got, want)
		}
	}
}

// BenchmarkSumAVX2 measures the AVX2 path at every size, ignoring avx2Min,
// to place that threshold.
func BenchmarkSumAVX2(b *testing.B) {
	if !useAVX2 {
		b.Skip("the CPU or operating system does not support AVX2")
	}
	benchmarkSum(b, func(buf []byte, s uint16) uint16 {
		n := len(buf) &^ 127
		return Combine(sumGeneric(buf[n:], sumAVX2(buf[:n])), s)
	})
}
