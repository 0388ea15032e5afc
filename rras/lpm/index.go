package lpm

import "sync/atomic"

// index4 is a direct-indexed shortcut for big IPv4 tables: entry h holds
// the trie node at depth 2 reached through the octets h>>8 and h&0xff
// (the node for prefixes longer than /16 inside that /16), or nil. A
// lookup reaches that node with one load instead of walking two levels
// and their child arrays, which is two dependent cache misses fewer on a
// full table. It costs 512 KiB, so a table builds it only once it holds
// index4Threshold IPv4 routes (half a byte per route at full size), and
// keeps it from then on.
//
// The trie stays the authority: the writer updates an entry only after
// it has published the trie change the entry reflects, and a lookup that
// finds no match below the indexed node finishes in the trie's first two
// levels. A reader racing a write may thus see the node from before the
// write in the index, which is the answer from before the write.
type index4[V any] [1 << 16]atomic.Pointer[node[V]]

// index4Threshold is the number of IPv4 routes from which a table keeps
// an index4. A variable so that tests can exercise the index on small
// tables.
var index4Threshold = 8192

// indexUpdate is a change to an index4 entry that the writer applies
// after publishing the trie change it reflects.
type indexUpdate[V any] struct {
	slot uint16
	nd   *node[V]
}

// noteDepth2 records that the depth-2 node under k's first two octets is
// now nd (nil: none), for an IPv4 write at depth d == 1.
func (w *writer[V]) noteDepth2(d int, k key, nd *node[V]) {
	if w.is4 && d == 1 {
		w.pending = append(w.pending, indexUpdate[V]{slot: uint16(k.hi >> 48), nd: nd})
	}
}

// syncIndex brings the IPv4 index up to date after a write was published:
// it applies the write's pending updates, or builds the index from the
// trie once the table has grown past the threshold.
func (t *Table[V]) syncIndex(w *writer[V]) {
	ix := t.idx4.Load()
	if ix == nil {
		if t.len4.Load() >= int64(index4Threshold) {
			t.idx4.Store(buildIndex4(t.root4.Load()))
		}
		return
	}
	for _, u := range w.pending {
		ix[u.slot].Store(u.nd)
	}
}

func buildIndex4[V any](root *node[V]) *index4[V] {
	ix := new(index4[V])
	if root == nil {
		return ix
	}
	for o0 := range 256 {
		if !root.children.test(uint8(o0)) {
			continue
		}
		d1 := root.kids[root.children.rank(uint8(o0))].Load()
		for o1 := range 256 {
			if d1.children.test(uint8(o1)) {
				ix[o0<<8|o1].Store(d1.kids[d1.children.rank(uint8(o1))].Load())
			}
		}
	}
	return ix
}
