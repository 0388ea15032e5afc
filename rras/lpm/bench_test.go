package lpm

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/rras/lpm/lpmtest"
)

// The full-size comparison with other tables lives in ../peerbench; these
// benchmarks run on tables small enough for quick iterations.

func BenchmarkLookup(b *testing.B) {
	for _, size := range []int{1000, 100_000} {
		for _, af := range []string{"ipv4", "ipv6"} {
			prefixes := lpmtest.Table4(size, 1)
			if af == "ipv6" {
				prefixes = lpmtest.Table6(size, 1)
			}
			var t Table[int]
			for i, p := range prefixes {
				t.Insert(p, i)
			}
			addrs := lpmtest.Addrs(prefixes, 1<<12, 2)
			b.Run(fmt.Sprintf("af=%s/routes=%d", af, size), func(b *testing.B) {
				b.ReportAllocs()
				var sink int
				for i := 0; b.Loop(); i++ {
					v, _ := t.Lookup(addrs[i&(len(addrs)-1)])
					sink += v
				}
				_ = sink
			})
		}
	}
}

func BenchmarkInsert(b *testing.B) {
	prefixes := lpmtest.Table4(100_000, 1)
	b.Run("single", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var t Table[int]
			for i, p := range prefixes {
				t.Insert(p, i)
			}
		}
		b.ReportMetric(float64(b.N*len(prefixes))/b.Elapsed().Seconds(), "inserts/s")
	})
	b.Run("update", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var t Table[int]
			t.Update(func(bt *Batch[int]) error {
				for i, p := range prefixes {
					bt.Insert(p, i)
				}
				return nil
			})
		}
		b.ReportMetric(float64(b.N*len(prefixes))/b.Elapsed().Seconds(), "inserts/s")
	})
}

func BenchmarkLookupPrefix(b *testing.B) {
	var t Table[int]
	prefixes := lpmtest.Table4(10_000, 1)
	for i, p := range prefixes {
		t.Insert(p, i)
	}
	addrs := lpmtest.Addrs(prefixes, 1<<12, 2)
	b.ReportAllocs()
	var sink netip.Prefix
	for i := 0; b.Loop(); i++ {
		sink, _, _ = t.LookupPrefix(addrs[i&(len(addrs)-1)])
	}
	_ = sink
}

// BenchmarkChurn withdraws and re-announces routes of a table (one op is
// one of each), as a router applies a BGP session's updates: singly
// (Delete, Insert) or as a small batch per op (one Update holding both).
// In IPv6 most of them land in buckets, which each op copies.
func BenchmarkChurn(b *testing.B) {
	for _, af := range []string{"ipv4", "ipv6"} {
		prefixes := lpmtest.Table4(100_000, 1)
		if af == "ipv6" {
			prefixes = lpmtest.Table6(100_000, 1)
		}
		var t Table[int]
		for i, p := range prefixes {
			t.Insert(p, i)
		}
		b.Run(fmt.Sprintf("af=%s/single", af), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				p := prefixes[i*7919%len(prefixes)]
				t.Delete(p)
				t.Insert(p, i)
			}
		})
		b.Run(fmt.Sprintf("af=%s/update", af), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				p := prefixes[i*7919%len(prefixes)]
				q := prefixes[(i*7919+1)%len(prefixes)]
				t.Update(func(bt *Batch[int]) error {
					bt.Delete(p)
					return bt.Insert(q, i)
				})
				t.Insert(p, i)
			}
		})
	}
}

// BenchmarkBucketSplit inserts the 33rd prefix of a subtree, which splits
// its full bucket into nodes, and deletes it, which folds them back.
func BenchmarkBucketSplit(b *testing.B) {
	var t Table[int]
	for i := range bucketSize {
		t.Insert(netip.PrefixFrom(netip.AddrFrom16([16]byte{0x2a, 0, 0x12, 0x34, 0, byte(i)}), 48), i)
	}
	t.Insert(netip.MustParsePrefix("2a01::/24"), -1)
	p := netip.MustParsePrefix("2a00:1234:ff::/48")
	b.ReportAllocs()
	for b.Loop() {
		t.Insert(p, 1)
		t.Delete(p)
	}
}
