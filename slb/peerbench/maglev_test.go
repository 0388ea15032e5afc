package peerbench

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"testing"

	"github.com/cilium/cilium/pkg/clustermesh/types"
	"github.com/cilium/cilium/pkg/loadbalancer"
	cmaglev "github.com/cilium/cilium/pkg/maglev"
	"github.com/cilium/hive/cell"

	"github.com/sdnfabric/sdnfabric/slb/maglev"
)

// size is the table size for both: cilium accepts only the primes in its
// list (251 ... 65521, 131071), so both build M = 65521, the supported
// size nearest our default 65537.
const size = 65521

var sizes = []int{10, 100, 1000}

func ours(n int) []maglev.Backend {
	bs := make([]maglev.Backend, n)
	for i := range bs {
		bs[i] = maglev.Backend{Name: dip(i).String(), Weight: 1}
	}
	return bs
}

func dip(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
}

func theirs(n int) []cmaglev.BackendInfo {
	bs := make([]cmaglev.BackendInfo, n)
	for i := range bs {
		bs[i] = cmaglev.BackendInfo{
			ID:     loadbalancer.BackendID(i + 1),
			Addr:   loadbalancer.NewL3n4Addr(loadbalancer.TCP, types.AddrClusterFrom(dip(i), 0), 80, loadbalancer.ScopeExternal),
			Weight: 1,
		}
	}
	return bs
}

// newCilium returns a started cilium Maglev for size. Its configuration
// (table size and the cluster-wide hash seed) comes from
// UserConfig.ToConfig; New registers a start hook, which creates the
// worker pool that computes permutations, with a hive lifecycle that must
// be started before the first table.
func newCilium(tb testing.TB) *cmaglev.Maglev {
	uc := cmaglev.DefaultUserConfig
	uc.TableSize = size
	cfg, err := uc.ToConfig()
	if err != nil {
		tb.Fatal(err)
	}
	lc := cell.NewDefaultLifecycle(nil, 0, 0)
	ml := cmaglev.New(cfg, lc)
	log := slog.New(slog.DiscardHandler)
	if err := lc.Start(log, context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lc.Stop(log, context.Background()) })
	return ml
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range sizes {
		bs := ours(n)
		b.Run(fmt.Sprintf("impl=sdnfabric/N=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := maglev.New(size, bs); err != nil {
					b.Fatal(err)
				}
			}
		})
		cs := theirs(n)
		ml := newCilium(b)
		b.Run(fmt.Sprintf("impl=cilium/N=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ml.GetLookupTable(slices.Values(cs))
			}
		})
	}
}

// BenchmarkLookup maps a hash to a backend. Cilium's lookup happens in
// BPF, as an index into the table modulo M; the Go equivalent is
// benchmarked. Ours is Table.Lookup (a multiply-high, no division).
func BenchmarkLookup(b *testing.B) {
	const n = 1000
	t, err := maglev.New(size, ours(n))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("impl=sdnfabric", func(b *testing.B) {
		b.ReportAllocs()
		h, sink := uint64(1), 0
		for b.Loop() {
			sink += t.Lookup(h)
			h = h*6364136223846793005 + 1442695040888963407
		}
		_ = sink
	})
	table := newCilium(b).GetLookupTable(slices.Values(theirs(n)))
	b.Run("impl=cilium", func(b *testing.B) {
		b.ReportAllocs()
		h, sink := uint64(1), loadbalancer.BackendID(0)
		for b.Loop() {
			sink += table[h%uint64(len(table))]
			h = h*6364136223846793005 + 1442695040888963407
		}
		_ = sink
	})
}

// BenchmarkDisruption removes one backend of N (the same DIP, 10.1.0.0,
// from both) and reports the fraction of slots whose backend changed, and
// that fraction as a multiple of the ideal 1/N.
func BenchmarkDisruption(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("impl=sdnfabric/N=%d", n), func(b *testing.B) {
			bs := ours(n)
			before, err := maglev.New(size, bs)
			if err != nil {
				b.Fatal(err)
			}
			var moved int
			for b.Loop() {
				after, err := maglev.New(size, bs[1:])
				if err != nil {
					b.Fatal(err)
				}
				moved = maglev.Moved(before, after)
			}
			report(b, moved, n)
		})
		b.Run(fmt.Sprintf("impl=cilium/N=%d", n), func(b *testing.B) {
			cs := theirs(n)
			ml := newCilium(b)
			before := slices.Clone(ml.GetLookupTable(slices.Values(cs)))
			var moved int
			for b.Loop() {
				after := ml.GetLookupTable(slices.Values(cs[1:]))
				moved = 0
				for i := range before {
					if before[i] != after[i] {
						moved++
					}
				}
			}
			report(b, moved, n)
		})
	}
}

func report(b *testing.B, moved, n int) {
	frac := float64(moved) / size
	b.ReportMetric(frac, "moved/slot")
	b.ReportMetric(frac*float64(n), "x-ideal")
}

// TestCiliumBalance checks the comparison is fair: both tables give every
// backend floor or ceil of M/N slots.
func TestCiliumBalance(t *testing.T) {
	for _, n := range sizes {
		table := newCilium(t).GetLookupTable(slices.Values(theirs(n)))
		shares := map[loadbalancer.BackendID]int{}
		for _, id := range table {
			shares[id]++
		}
		ourTable, err := maglev.New(size, ours(n))
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := size/n, (size+n-1)/n
		for id, s := range shares {
			if s < lo-1 || s > hi+1 {
				t.Errorf("cilium N=%d: backend %d owns %d slots", n, id, s)
			}
		}
		for i, s := range ourTable.Shares() {
			if s != lo && s != hi {
				t.Errorf("sdnfabric N=%d: backend %d owns %d slots", n, i, s)
			}
		}
	}
}
