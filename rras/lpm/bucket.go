package lpm

import (
	"math/bits"
	"slices"
)

// A bucket is a node that keeps a small subtree as a sorted list of its
// prefixes instead of as nodes: path compression for the sparse deep
// levels of an IPv6 table, where a /24 typically holds one or two
// allocations with a handful of /32 to /48 routes. Without buckets such a
// subtree is a chain of two or three nodes, each a dependent cache (and
// TLB) miss for a lookup and 256 bytes of memory; as a bucket it is one
// node whose lookup scans at most bucketSize entries.
//
// A bucket is a node with bucketFlag set in meta, no prefixes, children or
// leaves in its bitsets, and its prefixes in lvs, in pre-order (ascending
// address, shorter first for equal addresses: the order All yields). It
// only ever hangs below a parent's slot, so it holds prefixes longer than
// its depth's first bit. A lookup scans lvs up to the first entry that
// starts beyond the address: the last entry on the way that covers the
// address is the longest match, as prefixes covering one address nest and
// pre-order puts the outer before the inner.
//
// An insert into a full bucket turns it into a regular node (whose slots
// may hold smaller buckets and leaves); a delete that leaves a node's
// subtree with bucketSize prefixes or fewer folds it back into a bucket
// (foldRemove), and one that leaves a single prefix makes it a leaf of
// the parent. So
// the shape of the trie depends only on the prefixes in it, never on the
// order of inserts and deletes that put them there.

// bucketFlag in node.meta marks a bucket.
const bucketFlag = 1 << 15

// bucketSize is the most prefixes an IPv6 bucket holds (IPv4 uses none:
// its deep levels are dense, and a node stores a prefix in 8 bytes where
// a bucket entry takes a whole leaf). A variable so that tests can
// exercise other sizes.
var bucketSize = 32

// minBucketDepth is the shallowest depth of a bucket. The IPv6 index
// keeps the depth-2 nodes by /16, and a write refreshes the entry of its
// own /16 only; a bucket at depth 0 or 1 would span several /16s, whose
// depth-2 nodes its split or fold would create or remove along with it.
const minBucketDepth = 2

// bucketMax returns the largest bucket for a family: 0 (no buckets) or
// bucketSize.
func bucketMax(is4 bool) int {
	if is4 {
		return 0
	}
	return bucketSize
}

func (n *node[V]) isBucket() bool { return n.meta&bucketFlag != 0 }

// before reports whether prefix (a, an) comes before (b, bn) in pre-order.
func before(a key, an int, b key, bn int) bool {
	if a.hi != b.hi {
		return a.hi < b.hi
	}
	if a.lo != b.lo {
		return a.lo < b.lo
	}
	return an < bn
}

// search returns the position of prefix (k, bits) in the bucket's sorted
// entries and whether it is there.
func (n *node[V]) search(k key, bits int) (int, bool) {
	for i := range n.lvs {
		l := &n.lvs[i]
		if !before(l.k, int(l.bits), k, bits) {
			return i, l.k == k && int(l.bits) == bits
		}
	}
	return len(n.lvs), false
}

// match returns the longest entry of the bucket covering k, or nil.
func (n *node[V]) match(k key) *leaf[V] {
	var best *leaf[V]
	for i := range n.lvs {
		l := &n.lvs[i]
		if l.k.hi > k.hi || l.k.hi == k.hi && l.k.lo > k.lo {
			break // this entry and all after it start beyond k
		}
		if k.matches(l.k, int(l.bits)) {
			best = l
		}
	}
	return best
}

// newBucket returns a private empty bucket with room for n entries in its
// allocation (see allocBucket). A batch may change the buckets it made in
// place, but never grows their entries out of the allocation: a full one
// is copied into a bigger new bucket instead, so a batch has nothing to
// tidy in its buckets when it commits.
func (w *writer[V]) newBucket(n int) *node[V] {
	b, lvs := allocBucket[V](n)
	b.meta = w.batch<<16 | bucketFlag
	b.lvs = lvs
	return b
}

// allocBucket returns a new node and an empty slice with room for at
// least n entries in the same allocation, after the node: a lookup that
// reads the node then finds the entries on the same page and in the
// following cache lines, instead of in an allocation of their own
// elsewhere (one TLB miss and often one cache miss fewer). Capacity
// classes fill Go's size classes for small V.
func allocBucket[V any](n int) (*node[V], []leaf[V]) {
	switch {
	case n <= 2:
		return allocIn(func(l *[2]leaf[V]) []leaf[V] { return l[:0] })
	case n <= 4:
		return allocIn(func(l *[4]leaf[V]) []leaf[V] { return l[:0] })
	case n <= 6:
		return allocIn(func(l *[6]leaf[V]) []leaf[V] { return l[:0] })
	case n <= 8:
		return allocIn(func(l *[8]leaf[V]) []leaf[V] { return l[:0] })
	case n <= 12:
		return allocIn(func(l *[12]leaf[V]) []leaf[V] { return l[:0] })
	case n <= 16:
		return allocIn(func(l *[16]leaf[V]) []leaf[V] { return l[:0] })
	case n <= 24:
		return allocIn(func(l *[24]leaf[V]) []leaf[V] { return l[:0] })
	case n <= 32:
		return allocIn(func(l *[32]leaf[V]) []leaf[V] { return l[:0] })
	}
	return new(node[V]), make([]leaf[V], 0, n) // bucketSize raised past the classes
}

// allocIn allocates a node followed by the array A of entries, and
// returns the node and entries(&array), an empty slice of the array.
func allocIn[V, A any](entries func(*A) []leaf[V]) (*node[V], []leaf[V]) {
	b := new(struct {
		n node[V]
		l A
	})
	return &b.n, entries(&b.l)
}

// bucketInsert is insert for a bucket nd at depth d.
func (w *writer[V]) bucketInsert(nd *node[V], d int, k key, n int, v V) (*node[V], bool) {
	l := leaf[V]{k: k, bits: uint8(n), val: v}
	i, found := nd.search(k, n)
	if found {
		if w.owns(nd) {
			nd.lvs[i] = l
			return nd, true
		}
		b := w.newBucket(len(nd.lvs))
		b.lvs = append(b.lvs, nd.lvs...)
		b.lvs[i] = l
		return b, true
	}
	if len(nd.lvs) < w.bucket {
		if w.owns(nd) && len(nd.lvs) < cap(nd.lvs) {
			nd.lvs = slices.Insert(nd.lvs, i, l) // within the bucket's allocation
			return nd, false
		}
		b := w.newBucket(len(nd.lvs) + 1)
		b.lvs = append(append(append(b.lvs, nd.lvs[:i]...), l), nd.lvs[i:]...)
		return b, false
	}
	// Full: the subtree becomes a regular node, built privately. Every
	// node the build reaches is one it made, so outside a batch it builds
	// them as a batch would, changing them in place (under splitBatch),
	// instead of copying the growing subtree for each of its prefixes.
	bw := w
	if w.batch == 0 {
		bw = &writer[V]{batch: splitBatch, bucket: w.bucket}
	}
	sub := bw.fresh()
	for _, e := range nd.lvs {
		sub, _ = bw.insert(sub, d, e.k, int(e.bits), e.val)
	}
	sub, _ = bw.insert(sub, d, k, n, v)
	if bw != w {
		for _, c := range bw.owned {
			c.trim()
		}
	}
	return sub, false
}

// splitBatch is the owner of the nodes a single Insert builds when it
// splits a full bucket; Update never hands it out. A later write never
// takes such a node for its own: a batch has another number, a single
// write none, and a later split reaches only the nodes it builds itself.
const splitBatch = 1<<48 - 1

// bucketRemove is remove for a bucket nd.
func (w *writer[V]) bucketRemove(nd *node[V], k key, n int) (*node[V], bool) {
	i, found := nd.search(k, n)
	if !found {
		return nd, false
	}
	switch {
	case len(nd.lvs) == 1:
		return nil, true
	case w.owns(nd):
		nd.lvs = slices.Delete(nd.lvs, i, i+1) // keeps its allocation's room
		return nd, true
	}
	b := w.newBucket(len(nd.lvs) - 1)
	b.lvs = append(append(b.lvs, nd.lvs[:i]...), nd.lvs[i+1:]...)
	return b, true
}

// foldRemove is remove for a regular node nd at depth d whose subtree
// holds at most one prefix more than a bucket: it returns a new bucket of
// the subtree's prefixes other than (k, n) (nil when none is left), which
// replaces nd with one store in its parent however deep below nd the
// prefix was, and whether the prefix was found. ok is false when the
// subtree is too big, or nd too shallow, for a bucket. A delete tries it
// on the way down, so the highest node that shrinks to a bucket's size is
// the one replaced, and nothing is built or published for the levels
// below it.
func (w *writer[V]) foldRemove(nd *node[V], d int, k key, n int) (b *node[V], found, ok bool) {
	if w.bucket < 2 || d < minBucketDepth {
		return nil, false, false
	}
	entries, ok := nd.gather(k, d, w.bucket+1, nil)
	if !ok {
		return nil, false, false
	}
	i := slices.IndexFunc(entries, func(l leaf[V]) bool { return l.k == k && int(l.bits) == n })
	if i < 0 {
		return nd, false, true
	}
	entries = slices.Delete(entries, i, i+1)
	if len(entries) == 0 {
		return nil, true, true
	}
	slices.SortFunc(entries, func(a, b leaf[V]) int {
		if before(a.k, int(a.bits), b.k, int(b.bits)) {
			return -1
		}
		return 1 // distinct prefixes are never equal
	})
	b = w.newBucket(len(entries))
	b.lvs = append(b.lvs, entries...)
	return b, true, true
}

// gather appends the prefixes of the subtree at nd (at depth d, reached
// through path) to out in no particular order, and reports false as soon
// as they would be more than limit. A child holds at least two prefixes,
// which bounds the count before any descent.
func (nd *node[V]) gather(path key, d, limit int, out []leaf[V]) ([]leaf[V], bool) {
	if nd.isBucket() {
		return append(out, nd.lvs...), len(out)+len(nd.lvs) <= limit
	}
	if len(out)+int(nd.npfx())+len(nd.lvs)+2*nd.nkids() > limit {
		return out, false
	}
	if out == nil {
		out = make([]leaf[V], 0, limit) // allocated only once a fold is likely
	}
	i := 0
	for w, x := range nd.prefixes {
		for ; x != 0; x &= x - 1 {
			k, n := prefixKey(path, d, uint(w)*64+uint(bits.TrailingZeros64(x)))
			out = append(out, leaf[V]{k: k, bits: uint8(n), val: nd.vals[i]})
			i++
		}
	}
	out = append(out, nd.lvs...)
	i = 0
	for w, x := range nd.children {
		for ; x != 0; x &= x - 1 {
			k, _ := prefixKey(path, d, 256+uint(w)*64+uint(bits.TrailingZeros64(x)))
			var ok bool
			if out, ok = nd.kid(i).Load().gather(k, d+1, limit, out); !ok {
				return out, false
			}
			i++
		}
	}
	return out, true
}
