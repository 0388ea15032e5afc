package peerbench

import (
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"testing"

	"github.com/gaissmai/bart"

	"github.com/sdnfabric/sdnfabric/rras/lpm"
	"github.com/sdnfabric/sdnfabric/rras/lpm/lpmtest"
)

// table is the common surface of the implementations under comparison.
type table interface {
	insert(netip.Prefix, int)
	lookup(netip.Addr) (int, bool)
}

type ours struct{ t lpm.Table[int] }

func (o *ours) insert(p netip.Prefix, v int)    { o.t.Insert(p, v) }
func (o *ours) lookup(a netip.Addr) (int, bool) { return o.t.Lookup(a) }

// oursBatch loads through Table.Update, as a router loads a full table.
type oursBatch struct{ ours }

func (o *oursBatch) load(prefixes []netip.Prefix) {
	o.t.Update(func(b *lpm.Batch[int]) error {
		for i, p := range prefixes {
			b.Insert(p, i)
		}
		return nil
	})
}

type bartTable struct{ t bart.Table[int] }

func (b *bartTable) insert(p netip.Prefix, v int)    { b.t.Insert(p, v) }
func (b *bartTable) lookup(a netip.Addr) (int, bool) { return b.t.Lookup(a) }

// bartPersist inserts with InsertPersist, which leaves the table readers
// hold untouched (bart's counterpart of our Insert, which is safe against
// concurrent readers); lookups are bart.Table's.
type bartPersist struct{ t *bart.Table[int] }

func (b *bartPersist) insert(p netip.Prefix, v int) {
	if b.t == nil {
		b.t = new(bart.Table[int])
	}
	b.t = b.t.InsertPersist(p, v)
}
func (b *bartPersist) lookup(a netip.Addr) (int, bool) { return b.t.Lookup(a) }

type bartFast struct{ t bart.Fast[int] }

func (b *bartFast) insert(p netip.Prefix, v int)    { b.t.Insert(p, v) }
func (b *bartFast) lookup(a netip.Addr) (int, bool) { return b.t.Lookup(a) }

var impls = []struct {
	name       string
	new        func() table
	insertOnly bool // builds the same table as another impl: only BenchmarkInsert
}{
	{"sdnfabric", func() table { return &ours{} }, false},
	{"sdnfabric-update", func() table { return &oursBatch{} }, false},
	{"bart", func() table { return &bartTable{} }, false},
	{"bart-persist", func() table { return &bartPersist{} }, true},
	{"bartfast", func() table { return &bartFast{} }, false},
}

type family struct {
	name     string
	prefixes []netip.Prefix
	addrs    []netip.Addr
}

// families generates the full tables once: 1M IPv4 and 200k IPv6
// prefixes, and 64k lookup addresses for each.
var families = sync.OnceValue(func() []family {
	v4 := lpmtest.Table4(lpmtest.Full4, 1)
	v6 := lpmtest.Table6(lpmtest.Full6, 1)
	return []family{
		{"ipv4", v4, lpmtest.Addrs(v4, 1<<16, 2)},
		{"ipv6", v6, lpmtest.Addrs(v6, 1<<16, 2)},
	}
})

func build(newTable func() table, prefixes []netip.Prefix) table {
	t := newTable()
	if l, ok := t.(interface{ load([]netip.Prefix) }); ok {
		l.load(prefixes)
		return t
	}
	for i, p := range prefixes {
		t.insert(p, i)
	}
	return t
}

func BenchmarkLookup(b *testing.B) {
	for _, impl := range impls {
		if impl.insertOnly {
			continue
		}
		for _, f := range families() {
			var t table // built on first use, so that -bench filters skip building it
			b.Run(fmt.Sprintf("impl=%s/af=%s", impl.name, f.name), func(b *testing.B) {
				if t == nil {
					t = build(impl.new, f.prefixes)
				}
				b.ReportAllocs()
				lockThread()
				defer unlockThread()
				var sink, n int
				start := threadCPU()
				for ; b.Loop(); n++ {
					v, _ := t.lookup(f.addrs[n&(len(f.addrs)-1)])
					sink += v
				}
				b.ReportMetric(float64(threadCPU()-start)/float64(n), "cpu-ns/op")
				_ = sink
			})
		}
	}
}

// BenchmarkInsert inserts the whole table into an empty one per
// iteration; ns/op is per table, inserts/s per prefix.
func BenchmarkInsert(b *testing.B) {
	for _, impl := range impls {
		for _, f := range families() {
			b.Run(fmt.Sprintf("impl=%s/af=%s", impl.name, f.name), func(b *testing.B) {
				b.ReportAllocs()
				lockThread()
				defer unlockThread()
				start := threadCPU()
				for b.Loop() {
					build(impl.new, f.prefixes)
				}
				cpu := float64(threadCPU()-start) / float64(b.N) / float64(len(f.prefixes))
				b.ReportMetric(float64(b.N)*float64(len(f.prefixes))/b.Elapsed().Seconds(), "inserts/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(f.prefixes)), "ns/insert")
				if cpu > 0 {
					b.ReportMetric(1e9/cpu, "cpu-inserts/s")
				}
			})
		}
	}
}

// BenchmarkMemory reports the heap held by a full table per route:
// HeapAlloc after building minus before, both after a GC.
func BenchmarkMemory(b *testing.B) {
	for _, impl := range impls {
		if impl.insertOnly {
			continue
		}
		for _, f := range families() {
			b.Run(fmt.Sprintf("impl=%s/af=%s", impl.name, f.name), func(b *testing.B) {
				var perRoute float64
				for b.Loop() {
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					t := build(impl.new, f.prefixes)
					runtime.GC()
					runtime.ReadMemStats(&after)
					perRoute = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(f.prefixes))
					runtime.KeepAlive(t)
				}
				b.ReportMetric(perRoute, "bytes/route")
			})
		}
	}
}
