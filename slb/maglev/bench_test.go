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

// BenchmarkLookup maps hashes to backends, N = 1000: "batch" looks up
// 1024 independent hashes per op (throughput), "chain" 1024 hashes each
// of which depends on the previous lookup's result (latency).
// ns/lookup and cpu-ns/lookup are per lookup; with one lookup per op,
// the loop's own overhead (its counters live on the stack around
// b.Loop) would be most of what is measured.
func BenchmarkLookup(b *testing.B) {
	tb := mustNew(b, DefaultSize, names(1000))
	hashes := make([]uint64, 1024)
	h := uint64(1)
	for i := range hashes {
		h = h*6364136223846793005 + 1442695040888963407
		hashes[i] = h
	}
	b.Run("batch", func(b *testing.B) {
		defer benchcpu.StartPer(b, len(hashes), "lookup")()
		b.ReportAllocs()
		sink := 0
		for b.Loop() {
			for _, h := range hashes {
				sink += tb.Lookup(h)
			}
		}
		perLookup(b, len(hashes))
		_ = sink
	})
	b.Run("chain", func(b *testing.B) {
		defer benchcpu.StartPer(b, len(hashes), "lookup")()
		b.ReportAllocs()
		last := 0
		for b.Loop() {
			for _, h := range hashes {
				last = tb.Lookup(h ^ uint64(last))
			}
		}
		perLookup(b, len(hashes))
	})
}

// perLookup reports the wall-clock time per lookup of a benchmark that
// makes n lookups per op.
func perLookup(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/lookup")
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
