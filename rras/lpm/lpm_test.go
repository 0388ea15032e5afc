package lpm

import (
	"cmp"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"unsafe"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/rras/lpm/lpmtest"
)

// model is the naive reference: a map scanned in full for every lookup.
type model map[netip.Prefix]int

func (m model) lookup(a netip.Addr) (netip.Prefix, int, bool) {
	best, ok := netip.Prefix{}, false
	for p := range m {
		if p.Contains(a) && (!ok || p.Bits() > best.Bits()) {
			best, ok = p, true
		}
	}
	return best, m[best], ok
}

type entry struct {
	P netip.Prefix
	V int
}

// sorted returns the model's entries in the order All promises.
func (m model) sorted() []entry {
	var out []entry
	for p, v := range m {
		out = append(out, entry{p, v})
	}
	slices.SortFunc(out, func(a, b entry) int {
		if a.P.Addr().Is4() != b.P.Addr().Is4() {
			if a.P.Addr().Is4() {
				return -1
			}
			return 1
		}
		return cmp.Or(a.P.Addr().Compare(b.P.Addr()), cmp.Compare(a.P.Bits(), b.P.Bits()))
	})
	return out
}

func entries(t *Table[int]) []entry {
	var out []entry
	for p, v := range t.All() {
		out = append(out, entry{p, v})
	}
	return out
}

var cmpPrefix = gocmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

// genAddr draws addresses from a small space, so that random prefixes
// overlap, nest and collide often: a few fixed high bytes, then random.
func genAddr(is4 bool) *rapid.Generator[netip.Addr] {
	return rapid.Custom(func(t *rapid.T) netip.Addr {
		n := 16
		if is4 {
			n = 4
		}
		b := make([]byte, n)
		b[0] = rapid.SampledFrom([]byte{0x0a, 0x20, 0xc0}).Draw(t, "b0")
		for i := 1; i < n; i++ {
			b[i] = rapid.SampledFrom([]byte{0, 1, 0x80, 0xff, byte(i)}).Draw(t, "b")
		}
		a, _ := netip.AddrFromSlice(b)
		return a
	})
}

func genPrefix(is4 bool) *rapid.Generator[netip.Prefix] {
	return rapid.Custom(func(t *rapid.T) netip.Prefix {
		a := genAddr(is4).Draw(t, "addr")
		p, _ := a.Prefix(rapid.IntRange(0, a.BitLen()).Draw(t, "bits"))
		return p
	})
}

// withIndexThreshold sets indexThreshold for one test.
func withIndexThreshold(t testing.TB, n int) {
	old := indexThreshold
	indexThreshold = n
	t.Cleanup(func() { indexThreshold = old })
}

// withBucketSize sets bucketSize for one test.
func withBucketSize(t testing.TB, n int) {
	old := bucketSize
	bucketSize = n
	t.Cleanup(func() { bucketSize = old })
}

// tableOps is what Table and Batch have in common.
type tableOps interface {
	Insert(netip.Prefix, int) error
	Delete(netip.Prefix) bool
}

func TestLookupEqualsLinearScan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Exercise the indexes from the start, after a while, or never.
		old := indexThreshold
		defer func() { indexThreshold = old }()
		indexThreshold = rapid.SampledFrom([]int{0, 20, 1 << 30}).Draw(t, "index threshold")
		// IPv6 buckets of two prefixes (split at once), the default, or none.
		oldBucket := bucketSize
		defer func() { bucketSize = oldBucket }()
		bucketSize = rapid.SampledFrom([]int{2, oldBucket, 0}).Draw(t, "bucket size")
		var tab Table[int]
		m := model{}
		apply := func(w tableOps, i int, deletes bool) {
			is4 := rapid.Bool().Draw(t, "is4")
			p := genPrefix(is4).Draw(t, "prefix")
			if deletes && rapid.IntRange(0, 3).Draw(t, "op") == 0 {
				_, had := m[p]
				delete(m, p)
				if got := w.Delete(p); got != had {
					t.Fatalf("Delete(%v) = %v, want %v", p, got, had)
				}
				return
			}
			m[p] = i
			if err := w.Insert(p, i); err != nil {
				t.Fatalf("Insert(%v): %v", p, err)
			}
		}
		ops := rapid.IntRange(1, 200).Draw(t, "ops")
		for i := 0; i < ops; i++ {
			if rapid.IntRange(0, 9).Draw(t, "batch?") != 0 {
				apply(&tab, i, true)
				continue
			}
			// Batches large enough to be sorted (minSorted), with or
			// without deletes (which apply the pending inserts).
			n := rapid.IntRange(1, 3*minSorted).Draw(t, "batch size")
			deletes := rapid.Bool().Draw(t, "deletes in batch")
			tab.Update(func(b *Batch[int]) error {
				for j := range n {
					apply(b, i*1000+j, deletes)
				}
				return nil
			})
		}
		for range 50 {
			a := genAddr(rapid.Bool().Draw(t, "is4")).Draw(t, "lookup")
			wp, wv, wok := m.lookup(a)
			gp, gv, gok := tab.LookupPrefix(a)
			if gp != wp || gv != wv || gok != wok {
				t.Fatalf("LookupPrefix(%v) = %v %v %v, want %v %v %v", a, gp, gv, gok, wp, wv, wok)
			}
			if v, ok := tab.Lookup(a); v != wv || ok != wok {
				t.Fatalf("Lookup(%v) = %v %v, want %v %v", a, v, ok, wv, wok)
			}
		}
		if tab.Len() != len(m) {
			t.Fatalf("Len = %d, want %d", tab.Len(), len(m))
		}
		if d := gocmp.Diff(m.sorted(), entries(&tab), cmpPrefix); d != "" {
			t.Fatalf("All differs from the model (-want +got):\n%s", d)
		}
	})
}

func TestInsertGetDeleteRoundTrip(t *testing.T) {
	var tab Table[int]
	m := model{}
	prefixes := append(lpmtest.Table4(20000, 7), lpmtest.Table6(5000, 7)...)
	for i, p := range prefixes {
		if err := tab.Insert(p, i); err != nil {
			t.Fatal(err)
		}
		m[p] = i
	}
	if d := gocmp.Diff(m.sorted(), entries(&tab), cmpPrefix); d != "" {
		t.Fatalf("All after inserts (-want +got):\n%s", d)
	}
	for i, p := range prefixes {
		if v, ok := tab.Get(p); !ok || v != i {
			t.Fatalf("Get(%v) = %v %v, want %v true", p, v, ok, i)
		}
	}
	for _, a := range lpmtest.Addrs(prefixes[:1000], 300, 3) {
		wp, wv, wok := m.lookup(a)
		if gp, gv, gok := tab.LookupPrefix(a); gp != wp || gv != wv || gok != wok {
			t.Fatalf("LookupPrefix(%v) = %v %v %v, want %v %v %v", a, gp, gv, gok, wp, wv, wok)
		}
	}
	// Replace every other value, delete every third prefix.
	for i, p := range prefixes {
		switch {
		case i%3 == 0:
			if !tab.Delete(p) {
				t.Fatalf("Delete(%v) = false for a present prefix", p)
			}
			delete(m, p)
		case i%2 == 0:
			tab.Insert(p, -i)
			m[p] = -i
		}
	}
	if d := gocmp.Diff(m.sorted(), entries(&tab), cmpPrefix); d != "" {
		t.Fatalf("All after deletes (-want +got):\n%s", d)
	}
	for _, p := range prefixes {
		tab.Delete(p)
	}
	if tab.Len() != 0 || tab.root4.Load() != nil || tab.root6.Load() != nil {
		t.Fatalf("after deleting everything: Len = %d, roots %p %p", tab.Len(), tab.root4.Load(), tab.root6.Load())
	}
}

func TestHostBitsIgnoredAndInvalidRejected(t *testing.T) {
	var tab Table[string]
	if err := tab.Insert(netip.MustParsePrefix("10.1.2.3/8"), "ten"); err != nil {
		t.Fatal(err)
	}
	if v, ok := tab.Get(netip.MustParsePrefix("10.0.0.0/8")); !ok || v != "ten" {
		t.Fatalf("Get(10.0.0.0/8) = %q %v, want ten true", v, ok)
	}
	for _, p := range []netip.Prefix{{}, netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 33)} {
		err := tab.Insert(p, "bad")
		var pe *PrefixError
		if !errors.Is(err, ErrInvalidPrefix) || !errors.As(err, &pe) || pe.Prefix != p {
			t.Fatalf("Insert(%v) = %v, want a *PrefixError wrapping ErrInvalidPrefix", p, err)
		}
		if tab.Delete(p) {
			t.Fatalf("Delete(%v) = true", p)
		}
		if _, ok := tab.Get(p); ok {
			t.Fatalf("Get(%v) found something", p)
		}
	}
	if _, ok := tab.Lookup(netip.Addr{}); ok {
		t.Fatal("Lookup of the zero Addr found something")
	}
	if tab.Len() != 1 {
		t.Fatalf("Len = %d, want 1", tab.Len())
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	var tab Table[int]
	prefixes := append(lpmtest.Table4(10000, 1), lpmtest.Table6(5000, 1)...)
	for i, p := range prefixes {
		tab.Insert(p, i)
	}
	addrs := append(lpmtest.Addrs(prefixes[:10000], 100, 1), lpmtest.Addrs(prefixes[10000:], 100, 1)...)
	var sink int
	for name, f := range map[string]func(){
		"Lookup": func() {
			for _, a := range addrs {
				v, _ := tab.Lookup(a)
				sink += v
			}
		},
		"LookupPrefix": func() {
			for _, a := range addrs {
				p, _, _ := tab.LookupPrefix(a)
				sink += p.Bits()
			}
		},
		"Get": func() {
			for _, p := range prefixes[:200] {
				v, _ := tab.Get(p)
				sink += v
			}
		},
	} {
		if n := testing.AllocsPerRun(10, f); n != 0 {
			t.Errorf("%s allocates %v times per run, want 0", name, n)
		}
	}
	// Iterating allocates at most the iterator itself, not per route.
	if n := testing.AllocsPerRun(5, func() {
		for _, v := range tab.All() {
			sink += v
		}
	}); n > 1 {
		t.Errorf("ranging over All (%d routes) allocates %v times, want at most 1", tab.Len(), n)
	}
	_ = sink
}

// TestNodeSize: the node layout is planned by cache line (see node).
func TestNodeSize(t *testing.T) {
	if n := unsafe.Sizeof(node[int]{}); n != 256 {
		t.Errorf("node[int] is %d bytes, want 256", n)
	}
	var n node[int]
	for _, f := range []struct {
		name      string
		off, line uintptr
	}{
		{"meta", unsafe.Offsetof(n.meta), 0},
		{"near", unsafe.Offsetof(n.near), 0},
		{"leaves", unsafe.Offsetof(n.leaves), 1},
		{"lvs", unsafe.Offsetof(n.lvs), 1},
		{"prefixes", unsafe.Offsetof(n.prefixes), 2},
	} {
		if f.off/64 != f.line {
			t.Errorf("%s at offset %d, want in cache line %d", f.name, f.off, f.line)
		}
	}
}

// TestIndexFollowsCollapse covers the indexes through a node's life:
// created by a second route in a /16, collapsed into a leaf when one of
// them goes, gone with the last.
func TestIndexFollowsCollapse(t *testing.T) {
	withIndexThreshold(t, 0)
	for _, c := range []struct{ cover, a, b, inA, inB string }{
		{"10.0.0.0/8", "10.1.2.0/24", "10.1.3.0/24", "10.1.2.1", "10.1.3.1"},
		{"2000::/8", "2001:db8:1:2::/64", "2001:db8:1:3::/64", "2001:db8:1:2::1", "2001:db8:1:3::1"},
	} {
		var tab Table[int]
		a, b := netip.MustParsePrefix(c.a), netip.MustParsePrefix(c.b)
		tab.Insert(netip.MustParsePrefix(c.cover), 8)
		tab.Insert(a, 1)
		tab.Insert(b, 2)
		for addr, want := range map[string]int{c.inA: 1, c.inB: 2} {
			if v, _ := tab.Lookup(netip.MustParseAddr(addr)); v != want {
				t.Fatalf("Lookup(%s) = %d, want %d", addr, v, want)
			}
		}
		for _, step := range []struct {
			del  netip.Prefix
			addr string
			want int
		}{
			{b, c.inB, 8},
			{a, c.inA, 8},
		} {
			tab.Delete(step.del)
			if v, _ := tab.Lookup(netip.MustParseAddr(step.addr)); v != step.want {
				t.Fatalf("after deleting %v: Lookup(%s) = %d, want %d", step.del, step.addr, v, step.want)
			}
		}
	}
}

// TestTrieOrder: an IPv4 prefix comes back from its trie order, and
// sorting by trie order puts the prefixes of every node in slot order.
func TestTrieOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPrefix(true).Draw(t, "p")
		q := genPrefix(true).Draw(t, "q")
		k, n, _, _ := canonical(p)
		o := trieOrder(k, n, orderLevels(true))
		if gk, gn := prefixOf4(o); gk != k || gn != n {
			t.Fatalf("prefixOf4(trieOrder(%v)) = %v/%d", p, gk.addr(true), gn)
		}
		kq, nq, _, _ := canonical(q)
		oq := trieOrder(kq, nq, orderLevels(true))
		// Two prefixes stored in the same node at the same depth compare
		// like their ART indexes.
		sd, idx := slot(k, n)
		sq, idxq := slot(kq, nq)
		if sd == sq && k.masked(8*sd) == kq.masked(8*sd) && (idx < idxq) != (o < oq) && idx != idxq {
			t.Fatalf("%v (slot %d) and %v (slot %d) out of order: %x %x", p, idx, q, idxq, o, oq)
		}
	})
}
