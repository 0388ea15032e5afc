package lpm

import "sync/atomic"

// index4 is a direct-indexed shortcut for big IPv4 tables: entry h holds
// the trie node at depth 2 reached through the octets h>>8 and h&0xff
// (the node for prefixes longer than /16 inside that /16), or nil. A
// lookup reaches that node with one load instead of walking two levels
// and their child arrays, which is two dependent cache misses fewer on a
// full table. It costs 512 KiB, so a table builds it only once it holds
// indexThreshold IPv4 routes (half a byte per route at full size), and
// keeps it from then on.
//
// The trie stays the authority: the writer updates an entry only after
// it has published the trie change the entry reflects, and a lookup that
// finds no match below the indexed node finishes in the trie's first two
// levels. A reader racing a write may thus see the node from before the
// write in the index, which is the answer from before the write.
type index4[V any] [1 << 16]atomic.Pointer[node[V]]

// index6 is the same shortcut for IPv6, over the global unicast space
// 2000::/3 (RFC 4291 section 2.4, RFC 3587), where a full table lives:
// entry h holds the depth-2 node reached through the /16 0x2000|h, or nil.
// It costs 64 KiB, a third of a byte per route of a full table.
type index6[V any] [1 << 13]atomic.Pointer[node[V]]

// index6Slot returns the index6 entry of the IPv6 address whose top 64
// bits are hi, and whether it is in 2000::/3 at all.
func index6Slot(hi uint64) (uint16, bool) {
	return uint16(hi>>48) & (1<<13 - 1), hi>>61 == 1
}

// indexThreshold is the number of routes of a family from which a table
// keeps that family's index. A variable so that tests can exercise the
// indexes on small tables.
var indexThreshold = 8192

// child returns nd's child node at octet o, or nil.
func (nd *node[V]) child(o uint8) *node[V] {
	if nd == nil || !nd.children.test(o) {
		return nil
	}
	return nd.kid(nd.children.rank(o)).Load()
}

// syncIndex brings the IPv4 index up to date after a write was published:
// it builds the whole index from the trie once the table has grown past
// the threshold, and otherwise returns the index, whose entries of the
// /16s the write touched the caller then refreshes (nil when there is no
// index, or it was just built). Entries are always copied from the
// published trie, never computed ahead of it.
func (t *Table[V]) syncIndex() *index4[V] {
	ix := t.idx4.Load()
	if ix == nil {
		if t.len4.Load() >= int64(indexThreshold) {
			root := t.root4.Load()
			ix = new(index4[V])
			for h := range 1 << 16 {
				ix[h].Store(root.child(uint8(h >> 8)).child(uint8(h)))
			}
			t.idx4.Store(ix)
		}
		return nil
	}
	return ix
}

// refresh re-reads entry h of the index from the published trie.
func (ix *index4[V]) refresh(root *node[V], h uint16) {
	ix[h].Store(root.child(uint8(h >> 8)).child(uint8(h)))
}

// syncIndex6 is syncIndex for the IPv6 index.
func (t *Table[V]) syncIndex6() *index6[V] {
	ix := t.idx6.Load()
	if ix == nil {
		if t.len6.Load() >= int64(indexThreshold) {
			root := t.root6.Load()
			ix = new(index6[V])
			for h := range uint16(1 << 13) {
				ix.refresh(root, h)
			}
			t.idx6.Store(ix)
		}
		return nil
	}
	return ix
}

// refresh re-reads entry h of the index from the published trie.
func (ix *index6[V]) refresh(root *node[V], h uint16) {
	ix[h].Store(root.child(uint8(0x20 | h>>8)).child(uint8(h)))
}
