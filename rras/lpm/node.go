package lpm

import (
	"math/bits"
	"slices"
	"sync/atomic"
)

// node is one level of the trie: it consumes one octet of the address.
// It stores the prefixes whose last significant bit falls in its octet
// (as ART indexes in prefixes, with their values in vals), the child
// nodes for longer prefixes (children, with the slots near and far) and,
// where a subtree holds exactly one prefix, that prefix inline as a leaf
// (leaves / lvs): path compression, which keeps sparse IPv6 space from
// costing a chain of nodes per route.
//
// The child slots are one list in rank order split in two: the first
// nearKids in near, inside the node, the rest in far. Most nodes deep in
// a full table have at most three children, so a lookup passing through
// them loads the next node's pointer from the line it already read for
// the child bitset, instead of from a separate array: one dependent
// cache miss fewer per level.
//
// A published node (one a reader can reach) is immutable, except for its
// child slots, which the writer replaces with atomic stores of fully
// built nodes. Any other change is made on a private clone, which is then
// published through its parent's slot or the root.
//
// The field order is for the cache: a node is 256 bytes, which the Go
// allocator aligns to 256, so a lookup passing through reads only the
// first line (children, near and meta), and one ending here the second
// (leaves and lvs, in the same 128-byte pair as the first), third
// (prefixes) and fourth (vals; far for nodes with more than nearKids
// children). TestNodeSize holds the size.
type node[V any] struct {
	children bitset256
	near     [nearKids]atomic.Pointer[node[V]]
	meta     uint64 // len(vals) in the low 15 bits, bucketFlag, the owner batch above: see npfx and owner
	leaves   bitset256
	lvs      []leaf[V]
	_        uint64
	prefixes bitset512
	vals     []V
	far      []atomic.Pointer[node[V]]
	_        [16]byte
}

// nearKids is how many child slots a node holds inline.
const nearKids = 3

// leaf is a prefix stored in place of a subtree that holds only it.
type leaf[V any] struct {
	k    key
	bits uint8
	val  V
}

// npfx returns len(vals); a lookup reads it from the node's first cache
// line to skip nodes without prefixes.
func (n *node[V]) npfx() uint64 { return n.meta & (bucketFlag - 1) }

// owner returns the batch that built n and may still change it in place
// (0: none). Batch numbers have 48 bits, enough for an Update every
// microsecond for eight years.
func (n *node[V]) owner() uint64 { return n.meta >> 16 }

// nkids returns the number of children of n.
func (n *node[V]) nkids() int {
	b := &n.children
	return bits.OnesCount64(b[0]) + bits.OnesCount64(b[1]) + bits.OnesCount64(b[2]) + bits.OnesCount64(b[3])
}

// kid returns child slot i (in rank order).
func (n *node[V]) kid(i int) *atomic.Pointer[node[V]] {
	if i < nearKids {
		return &n.near[i]
	}
	return &n.far[i-nearKids]
}

func (n *node[V]) empty() bool {
	return n.prefixes.empty() && n.children.empty() && n.leaves.empty()
}

// clone returns a private copy of n owned by the given batch, or by no
// batch (0) for a single Insert or Delete. A batch changes its nodes in
// place, so it gets its own slices. A single write shares n's slices
// (clipped, so that no append can write into them); the methods below
// never write into a shared slice but build a new one.
func (n *node[V]) clone(owner uint64) *node[V] {
	c := &node[V]{prefixes: n.prefixes, children: n.children, leaves: n.leaves, meta: owner<<16 | n.meta&0xffff}
	for i := range n.near {
		c.near[i].Store(n.near[i].Load()) // the clone is private: no reader can race with this
	}
	if owner == 0 {
		c.vals, c.lvs, c.far = slices.Clip(n.vals), slices.Clip(n.lvs), slices.Clip(n.far)
		return c
	}
	c.vals = slices.Clone(n.vals)
	c.lvs = slices.Clone(n.lvs)
	if len(n.far) > 0 {
		c.far = make([]atomic.Pointer[node[V]], len(n.far))
		copy(c.far, n.far)
	}
	return c
}

// insertAt returns s with v inserted at i. A batch owns s and grows it
// geometrically (trimming when it commits); a single write builds an
// exact-size new slice, as s may be shared and the node is published
// right away.
func insertAt[T any](s []T, i int, v T, batch bool) []T {
	if batch {
		return slices.Insert(s, i, v)
	}
	c := make([]T, len(s)+1)
	copy(c, s[:i])
	c[i] = v
	copy(c[i+1:], s[i:])
	return c
}

// removeAt returns s without s[i], in place for a batch, as a new slice
// (nil when empty) for a single write.
func removeAt[T any](s []T, i int, batch bool) []T {
	if batch {
		return slices.Delete(s, i, i+1)
	}
	if len(s) == 1 {
		return nil
	}
	c := make([]T, len(s)-1)
	copy(c, s[:i])
	copy(c[i:], s[i+1:])
	return c
}

// replaceAt returns s with s[i] = v, in place for a batch, as a new slice
// for a single write.
func replaceAt[T any](s []T, i int, v T, batch bool) []T {
	if !batch {
		s = slices.Clone(s)
	}
	s[i] = v
	return s
}

// trim drops spare capacity a batch left in n's slices.
func (n *node[V]) trim() {
	if cap(n.vals) > len(n.vals) {
		n.vals = slices.Clip(slices.Clone(n.vals))
	}
	if cap(n.lvs) > len(n.lvs) {
		n.lvs = slices.Clip(slices.Clone(n.lvs))
	}
	if cap(n.far) > len(n.far) {
		far := make([]atomic.Pointer[node[V]], len(n.far))
		copy(far, n.far)
		n.far = far
	}
}

// single returns the only prefix of a node (or bucket) at depth d reached
// through path, when the node holds exactly one prefix and no children,
// so that the parent can keep it as a leaf instead.
func (n *node[V]) single(path key, d int) (leaf[V], bool) {
	if !n.children.empty() || len(n.vals)+len(n.lvs) != 1 {
		return leaf[V]{}, false
	}
	if len(n.lvs) == 1 {
		return n.lvs[0], true
	}
	for w, x := range n.prefixes {
		if x != 0 {
			k, plen := prefixKey(path, d, uint(w)*64+uint(bits.TrailingZeros64(x)))
			return leaf[V]{k: k, bits: uint8(plen), val: n.vals[0]}, true
		}
	}
	panic("lpm: prefix count and bitset disagree")
}

// The methods below change n, which must be private (a clone or a new
// node); they move child slots with plain copies for that reason.

// batch reports whether n belongs to a batch, which may change n's slices
// in place.
func (n *node[V]) batch() bool { return n.owner() != 0 }

// setPrefix stores v at ART index idx and reports whether idx was set.
func (n *node[V]) setPrefix(idx uint, v V) bool {
	i := n.prefixes.rank(idx)
	if n.prefixes.test(idx) {
		n.vals = replaceAt(n.vals, i, v, n.batch())
		return true
	}
	n.prefixes.set(idx)
	n.vals = insertAt(n.vals, i, v, n.batch())
	n.meta++
	return false
}

func (n *node[V]) clearPrefix(idx uint) {
	n.vals = removeAt(n.vals, n.prefixes.rank(idx), n.batch())
	n.prefixes.clear(idx)
	n.meta--
}

func (n *node[V]) setLeaf(o uint8, l leaf[V]) {
	i := n.leaves.rank(o)
	if n.leaves.test(o) {
		n.lvs = replaceAt(n.lvs, i, l, n.batch())
		return
	}
	n.leaves.set(o)
	n.lvs = insertAt(n.lvs, i, l, n.batch())
}

func (n *node[V]) clearLeaf(o uint8) {
	i := n.leaves.rank(o)
	n.leaves.clear(o)
	n.lvs = removeAt(n.lvs, i, n.batch())
}

// addChild links child at octet o, which must be free.
func (n *node[V]) addChild(o uint8, child *node[V]) {
	i := n.children.rank(o)
	cnt := n.nkids()
	n.children.set(o)
	if cnt >= nearKids { // the list grows into far
		if !n.batch() || len(n.far) == cap(n.far) {
			c := len(n.far) + 1
			if n.batch() {
				c = 2*len(n.far) + 1
			}
			far := make([]atomic.Pointer[node[V]], len(n.far), c)
			copy(far, n.far)
			n.far = far
		}
		n.far = n.far[:len(n.far)+1]
	}
	for j := cnt; j > i; j-- {
		n.kid(j).Store(n.kid(j - 1).Load())
	}
	n.kid(i).Store(child)
}

func (n *node[V]) clearChild(o uint8) {
	i := n.children.rank(o)
	cnt := n.nkids()
	n.children.clear(o)
	if !n.batch() && cnt > nearKids {
		far := make([]atomic.Pointer[node[V]], len(n.far)) // far may be shared with the published node
		copy(far, n.far)
		n.far = far
	}
	for j := i; j < cnt-1; j++ {
		n.kid(j).Store(n.kid(j + 1).Load())
	}
	n.kid(cnt - 1).Store(nil)
	if cnt > nearKids {
		n.far = n.far[:len(n.far)-1]
		if len(n.far) == 0 {
			n.far = nil
		}
	}
}
