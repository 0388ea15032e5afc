//go:build !purego

package checksum

import (
	"testing"

	"pgregory.net/rapid"
)

// kernel is one way sum can run on this machine.
type kernel struct {
	name               string
	useAVX2, useAVX512 bool
}

// kernels lists the paths the CPU supports, scalar first.
func kernels() []kernel {
	avx2, avx512 := cpuFeatures()
	ks := []kernel{{name: "scalar"}}
	if avx2 {
		ks = append(ks, kernel{name: "avx2", useAVX2: true})
	}
	if avx512 {
		ks = append(ks, kernel{name: "avx512", useAVX512: true})
	}
	return ks
}

// use selects k until the returned function restores the default.
func (k kernel) use() (restore func()) {
	a, b := useAVX2, useAVX512
	useAVX2, useAVX512 = k.useAVX2, k.useAVX512
	return func() { useAVX2, useAVX512 = a, b }
}

// TestSumKernels checks every kernel the CPU has against the reference for
// random lengths, alignments and contents.
func TestSumKernels(t *testing.T) {
	for _, k := range kernels() {
		t.Run(k.name, func(t *testing.T) {
			defer k.use()()
			rapid.Check(t, func(t *rapid.T) {
				base := rapid.SampledFrom([]int{0, 256, 1500, 9000, 65536}).Draw(t, "base")
				n := base + rapid.IntRange(0, 600).Draw(t, "delta")
				off := rapid.IntRange(0, 63).Draw(t, "off")
				buf := make([]byte, off+n)
				fillBytes(t, buf)
				b := buf[off:]
				if got, want := Sum(b, 0), refSum(b, 0); got != want {
					t.Fatalf("%s: Sum(len %d, off %d) = %#04x, want %#04x", k.name, n, off, got, want)
				}
			})
		})
	}
}

// TestSumKernelBlocks drives each kernel to its 32-bit lane limit with the
// worst case (all 0xff) and over lengths that need more than one call.
func TestSumKernelBlocks(t *testing.T) {
	n := 2*vectorBlock + 300
	ones := make([]byte, n)
	for i := range ones {
		ones[i] = 0xff
	}
	varied := make([]byte, n)
	for i := range varied {
		varied[i] = byte(i*7 + i>>9)
	}
	for _, k := range kernels()[1:] {
		t.Run(k.name, func(t *testing.T) {
			defer k.use()()
			for _, l := range []int{vectorBlock, vectorBlock + 130, n} {
				if got := Sum(ones[:l], 0); got != 0xffff {
					t.Errorf("Sum(%d bytes of 0xff) = %#04x, want 0xffff", l, got)
				}
			}
			for _, l := range []int{vectorBlock + 1, n} {
				// sumGeneric stands in for refSum, which is slow under -race
				// at this size; TestSumProperty checks it against refSum.
				if got, want := Sum(varied[1:l], 0x1234), Combine(sumGeneric(varied[1:l], 0), 0x1234); got != want {
					t.Errorf("Sum(len %d, off 1) = %#04x, want %#04x", l-1, got, want)
				}
			}
		})
	}
	want := uint64(vectorBlock / 2 * 0xffff)
	if useAVX2 {
		if got := sumAVX2(ones[:vectorBlock]); got != want {
			t.Errorf("sumAVX2(%d bytes of 0xff) = %#x, want %#x", vectorBlock, got, want)
		}
	}
	if useAVX512 {
		if got := sumAVX512(ones[:vectorBlock]); got != want {
			t.Errorf("sumAVX512(%d bytes of 0xff) = %#x, want %#x", vectorBlock, got, want)
		}
	}
}

// BenchmarkSumKernel measures each kernel at every size, ignoring
// vectorMin, to place that threshold.
func BenchmarkSumKernel(b *testing.B) {
	for _, k := range kernels() {
		b.Run("kernel="+k.name, func(b *testing.B) {
			defer k.use()()
			benchmarkSum(b, func(buf []byte, s uint16) uint16 {
				if k.name == "scalar" {
					return Combine(sumGeneric(buf, 0), s)
				}
				return Combine(sumVector(buf), s)
			})
		})
	}
}
