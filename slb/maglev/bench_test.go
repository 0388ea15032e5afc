package maglev

import (
	"fmt"
	"testing"

	"github.com/sdnfabric/sdnfabric/slb/internal/benchcpu"
)

func BenchmarkNew(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		bs := names(n)
		b.Run(fmt.Sprintf("N=%d/M=%d", n, DefaultSize), func(b *testing.B) {
			defer benchcpu.Start(b)()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := New(DefaultSize, bs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	tb := mustNew(b, DefaultSize, names(1000))
	b.ReportAllocs()
	h, sink := uint64(1), 0
	for b.Loop() {
		sink += tb.Lookup(h)
		h = h*6364136223846793005 + 1442695040888963407
	}
	_ = sink
}

// BenchmarkDisruption rebuilds after removing one of N backends and
// reports the fraction of slots that moved and that fraction as a
// multiple of the ideal 1/N.
func BenchmarkDisruption(b *testing.B) {
	for _, size := range []int{DefaultSize, 655373} {
		for _, n := range []int{10, 100, 1000} {
			bs := names(n)
			before := mustNew(b, size, bs)
			b.Run(fmt.Sprintf("N=%d/M=%d", n, size), func(b *testing.B) {
				var moved int
				for b.Loop() {
					after, err := New(size, bs[1:])
					if err != nil {
						b.Fatal(err)
					}
					moved = Moved(before, after)
				}
				frac := float64(moved) / float64(size)
				b.ReportMetric(frac, "moved/slot")
				b.ReportMetric(frac*float64(n), "x-ideal")
			})
		}
	}
}

// BenchmarkRebuild rebuilds from a table of N backends after one of them
// leaves (maglev.Rebuild).
func BenchmarkRebuild(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		bs := names(n)
		before := mustNew(b, DefaultSize, bs)
		b.Run(fmt.Sprintf("N=%d/M=%d", n, DefaultSize), func(b *testing.B) {
			defer benchcpu.Start(b)()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Rebuild(before, bs[1:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
