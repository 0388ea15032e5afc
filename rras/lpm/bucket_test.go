package lpm

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"unsafe"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/rras/lpm/lpmtest"
)

// bucketAt returns the node reached from the IPv6 root through the first
// d octets of a, or nil.
func bucketAt(tab *Table[int], a netip.Addr, d int) *node[int] {
	nd := tab.root6.Load()
	b := a.As16()
	for i := 0; i < d && nd != nil; i++ {
		nd = nd.child(b[i])
	}
	return nd
}

// inline reports whether the entries of bucket b live in its allocation,
// right after the node.
func inline(b *node[int]) bool {
	return len(b.lvs) > 0 && unsafe.Pointer(&b.lvs[0]) == unsafe.Add(unsafe.Pointer(b), unsafe.Sizeof(*b))
}

// TestBucketLifecycle follows one /24 of IPv6 space through the shapes it
// takes: a leaf, a bucket from the second prefix on (entries inline, for
// Insert and Update alike), a regular node once it outgrows a bucket, and
// after deletes a leaf again; lookups stay right throughout.
func TestBucketLifecycle(t *testing.T) {
	for _, batched := range []bool{false, true} {
		var tab Table[int]
		insert := func(p netip.Prefix, v int) {
			if !batched {
				tab.Insert(p, v)
				return
			}
			tab.Update(func(b *Batch[int]) error { return b.Insert(p, v) })
		}
		// Fillers elsewhere in 2001::/16 make the levels above nodes.
		for i := range bucketSize + 1 {
			insert(netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0e, byte(i)}), 32), 1000+i)
		}
		cover := netip.MustParsePrefix("2001:d00::/24")
		insert(cover, -1)
		var ps []netip.Prefix
		for i := range bucketSize + 1 {
			// /48s in different /32s and one /40 below the first: nested
			// and disjoint entries.
			p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, byte(i), 0, byte(i)}), 48)
			if i == 1 {
				p = netip.MustParsePrefix("2001:d00::/40")
			}
			insert(p, i)
			ps = append(ps, p)
			nd := bucketAt(&tab, p.Addr(), 3)
			switch {
			case i == 0 && nd != nil:
				t.Fatalf("batched=%v: one prefix below the /24 is a node, want a leaf", batched)
			case i > 0 && i < bucketSize && (nd == nil || !nd.isBucket() || len(nd.lvs) != i+1 || !inline(nd)):
				t.Fatalf("batched=%v: %d prefixes: want a bucket with inline entries, got %+v", batched, i+1, nd)
			case i == bucketSize && (nd == nil || nd.isBucket()):
				t.Fatalf("batched=%v: %d prefixes: still a bucket, want a node", batched, i+1)
			}
			for j, q := range ps {
				want := j
				if j == 1 {
					want = 0 // the /40's address is in the first /48, which is longer
				}
				if v, ok := tab.Lookup(q.Addr()); !ok || v != want {
					t.Fatalf("batched=%v: Lookup(%v) = %d %v, want %d", batched, q.Addr(), v, ok, want)
				}
			}
			if v, _ := tab.Lookup(netip.MustParseAddr("2001:dff::1")); v != -1 {
				t.Fatalf("batched=%v: an address only the /24 covers gets %d", batched, v)
			}
		}
		for _, p := range ps[1:] {
			if !tab.Delete(p) {
				t.Fatalf("Delete(%v) = false", p)
			}
		}
		if nd := bucketAt(&tab, ps[0].Addr(), 3); nd != nil {
			t.Fatalf("batched=%v: one prefix left is a node %+v, want a leaf", batched, nd)
		}
		if v, ok := tab.Get(ps[0]); !ok || v != 0 {
			t.Fatalf("Get(%v) = %d %v", ps[0], v, ok)
		}
	}
}

// shape describes the trie below nd: per node its depth, kind and counts.
func shape(nd *node[int], d int, out []string) []string {
	if nd == nil {
		return out
	}
	out = append(out, fmt.Sprintf("d%d bucket=%v pfx=%d leaves=%d kids=%d", d, nd.isBucket(), nd.npfx(), len(nd.lvs), nd.nkids()))
	for i := range nd.nkids() {
		out = shape(nd.kid(i).Load(), d+1, out)
	}
	return out
}

// TestShapeIndependentOfHistory: the same prefixes give the same trie
// (nodes, buckets, leaves) whether loaded in a batch, inserted one by one
// in another order, or left over after deleting others; so a table that
// lived through churn is as compact as a fresh one.
func TestShapeIndependentOfHistory(t *testing.T) {
	for _, is4 := range []bool{false, true} {
		all := lpmtest.Table6(20000, 5)
		if is4 {
			all = lpmtest.Table4(20000, 5)
		}
		shapeIndependentOfHistory(t, all, is4)
	}
}

func shapeIndependentOfHistory(t *testing.T, all []netip.Prefix, is4 bool) {
	keep, drop := all[:len(all)/2], all[len(all)/2:]
	var fresh, singles, churned Table[int]
	fresh.Update(func(b *Batch[int]) error {
		for _, p := range keep {
			b.Insert(p, 1)
		}
		return nil
	})
	for i := len(keep) - 1; i >= 0; i-- {
		singles.Insert(keep[i], 1)
	}
	churned.Update(func(b *Batch[int]) error {
		for _, p := range all {
			b.Insert(p, 1)
		}
		return nil
	})
	for i, p := range drop {
		if i%2 == 0 {
			churned.Delete(p)
		}
	}
	churned.Update(func(b *Batch[int]) error {
		for i, p := range drop {
			if i%2 == 1 {
				b.Delete(p)
			}
		}
		return nil
	})
	want := shape(fresh.root(is4).Load(), 0, nil)
	for name, tab := range map[string]*Table[int]{"inserted singly": &singles, "after deletes": &churned} {
		if d := gocmp.Diff(want, shape(tab.root(is4).Load(), 0, nil)); d != "" {
			t.Errorf("is4=%v %s: shape differs from a batch load (-want +got):\n%s", is4, name, d)
		}
	}
}

// TestFoldPublishesOnce: a delete that leaves a chain of nodes with few
// enough prefixes for a bucket replaces the whole chain with one store in
// the parent of its top. The nodes it replaced stay as they were, so a
// reader still walking them sees the table from before the delete (the
// log gives the delete's allocations: the gathered entries and the
// bucket). Deletes of absent prefixes there change nothing.
func TestFoldPublishesOnce(t *testing.T) {
	var tab Table[int]
	var ps []netip.Prefix
	for i := range bucketSize + 1 { // 2a00:1234:0:i::/64: a chain of nodes from depth 2 to 6
		p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x2a, 0, 0x12, 0x34, 0, 0, 0, byte(i)}), 64)
		tab.Insert(p, i)
		ps = append(ps, p)
	}
	tab.Insert(netip.MustParsePrefix("2a01::/24"), -1) // keeps depth 1 a node
	a := ps[0].Addr()
	var chain []*node[int] // depths 1 to 6
	var links []*node[int] // each one's child on the path
	for d := 1; d <= 6; d++ {
		nd := bucketAt(&tab, a, d)
		if nd == nil || nd.isBucket() {
			t.Fatalf("depth %d: %+v, want a node", d, nd)
		}
		chain = append(chain, nd)
		if d > 1 {
			links = append(links, nd)
		}
	}
	// Absent prefixes below the chain (one fold short of a bucket) change
	// nothing.
	for _, p := range []string{"2a00:1234:0:ff::/64", "2a00:1234::/48", "2a00:1234:0:1::1/128"} {
		if tab.Delete(netip.MustParsePrefix(p)) {
			t.Fatalf("Delete(%s) = true for an absent prefix", p)
		}
		if nd := bucketAt(&tab, a, 2); nd != chain[1] {
			t.Fatalf("Delete(%s) of an absent prefix replaced the node at depth 2", p)
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tab.Delete(ps[len(ps)-1])
	runtime.ReadMemStats(&after)
	if nd := bucketAt(&tab, a, 2); nd == nil || !nd.isBucket() || len(nd.lvs) != bucketSize {
		t.Fatalf("depth 2 after the delete: %+v, want a bucket of %d", nd, bucketSize)
	}
	for i, nd := range chain[1 : len(chain)-1] {
		if got := nd.child(a.As16()[i+2]); got != links[i+1] {
			t.Errorf("the replaced node at depth %d was changed: its child is %p, was %p", i+2, got, links[i+1])
		}
	}
	t.Logf("the delete that folds: %d allocations", after.Mallocs-before.Mallocs)
}

// TestSplitNodesStayPublished: the nodes a single Insert builds when it
// splits a full bucket (in place, as a batch would) are never changed in
// place afterwards, not even by the Updates whose numbers come right
// before and after the split's own owner number.
func TestSplitNodesStayPublished(t *testing.T) {
	var tab Table[int]
	for i := range bucketSize {
		tab.Insert(netip.PrefixFrom(netip.AddrFrom16([16]byte{0x2a, 0, 0x12, 0x34, 0, byte(i)}), 48), i)
	}
	tab.Insert(netip.MustParsePrefix("2a01::/24"), -1)
	tab.batch = splitBatch - 2
	split := netip.MustParsePrefix("2a00:1234:ff::/48")
	tab.Insert(split, 100)
	a := split.Addr()
	nd := bucketAt(&tab, a, 2)
	if nd == nil || nd.isBucket() {
		t.Fatalf("33 prefixes below 2a00::/16: %+v, want a node", nd)
	}
	was := shape(nd, 2, nil)
	for i := range 3 {
		p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x2a, 0, 0x12, 0x34, 0, byte(i), 0, 1}), 64)
		tab.Update(func(b *Batch[int]) error { return b.Insert(p, 200+i) })
		if tab.batch == splitBatch {
			t.Fatalf("Update took the split's owner number")
		}
		if v, _ := tab.Lookup(p.Addr()); v != 200+i {
			t.Fatalf("Lookup(%v) = %d after the Update, want %d", p.Addr(), v, 200+i)
		}
	}
	if d := gocmp.Diff(was, shape(nd, 2, nil)); d != "" {
		t.Errorf("a published node of the split changed (-before +after):\n%s", d)
	}
	if bucketAt(&tab, a, 2) == nd {
		t.Error("the Updates changed the split's node in place instead of a copy")
	}
}
