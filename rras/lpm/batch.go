package lpm

import (
	"math/bits"
	"net/netip"
	"slices"
)

// Batch collects changes that Update publishes all at once. It is only
// valid inside the function given to Update.
type Batch[V any] struct {
	w            writer[V]
	root4, root6 *node[V]
	len4, len6   int64
	touched      *[1 << 16 / 64]uint64 // the /16s of IPv4 changes, for the index
	touched6     *[1 << 13 / 64]uint64 // the /16s in 2000::/3 of IPv6 changes, for index6
	pending4     []pending[V]          // IPv4 inserts not applied yet
	pending6     []pending[prefix6[V]] // IPv6 inserts not applied yet
}

// pending is an insert waiting in a batch: its trieOrder and what else it
// needs. An IPv4 prefix is entirely in its order (see prefixOf4), so only
// the value is kept with it; an IPv6 one keeps its prefix too.
type pending[E any] struct {
	order uint64
	e     E
}

type prefix6[V any] struct {
	k    key
	bits uint8
	val  V
}

// The inserts of a batch are collected and applied in trie order (see
// flush) when the batch commits or before a Delete: each node's prefixes,
// leaves and children then arrive in the order of their compressed
// slices, so an insert appends instead of moving the slice's tail, and
// consecutive inserts walk the same nodes, which are still in the cache.
// Loading a full table this way costs a radix sort (a few ns per prefix)
// and saves most of the memory traffic. The order only affects speed:
// inserts in any order build the same trie.

// minSorted is the fewest pending inserts worth sorting.
const minSorted = 64

// orderLevels is how many trie levels trieOrder covers: all four of IPv4,
// the first six (48 bits, where nearly all IPv6 routes end) of IPv6.
func orderLevels(is4 bool) int {
	if is4 {
		return 4
	}
	return 6
}

// trieOrder returns the trie-order key of a prefix over its first levels
// levels: one 10-bit digit per level, 512+octet where the prefix
// continues below the level (the child or leaf slot), its ART index where
// it ends (the prefix slot), 0 below that. Keys compare like the slots
// within every node of those levels.
func trieOrder(k key, n, levels int) uint64 {
	sd, idx := slot(k, n)
	var o uint64
	for d := range levels {
		var digit uint64
		switch {
		case d < sd:
			digit = 512 + uint64(k.octet(d))
		case d == sd:
			digit = uint64(idx)
		}
		o = o<<10 | digit
	}
	return o
}

// prefixOf4 returns the IPv4 prefix whose trieOrder is o.
func prefixOf4(o uint64) (key, int) {
	var path key
	for d := range 3 {
		digit := o >> (10 * (3 - d)) & 1023
		if digit < 512 {
			return prefixKey(path, d, uint(digit))
		}
		path.hi |= (digit - 512) << (56 - 8*d)
	}
	return prefixKey(path, 3, uint(o&1023))
}

// flush applies the pending inserts of a family in trie order; inserts of
// the same prefix keep their order, so the last one wins.
func (b *Batch[V]) flush(is4 bool) {
	if is4 {
		p := b.pending4
		b.pending4 = nil
		if len(p) >= minSorted {
			p = radixSort(p, orderLevels(true))
		}
		for i := range p {
			k, n := prefixOf4(p[i].order)
			b.apply(true, k, n, p[i].e)
		}
		return
	}
	p := b.pending6
	b.pending6 = nil
	if len(p) >= minSorted {
		p = radixSort(p, orderLevels(false))
	}
	for i := range p {
		e := &p[i].e
		b.apply(false, e.k, int(e.bits), e.val)
	}
}

// radixSort sorts p by order (LSD radix, one pass per 10-bit digit, so
// stable), using one buffer of the same size; it returns the sorted
// slice, p or the buffer.
func radixSort[E any](p []pending[E], levels int) []pending[E] {
	tmp := make([]pending[E], len(p))
	var count [1025]int
	for shift := 0; shift < 10*levels; shift += 10 {
		clear(count[:])
		for i := range p {
			count[p[i].order>>shift&1023+1]++
		}
		if count[p[0].order>>shift&1023+1] == len(p) {
			continue // every entry has the same digit
		}
		for i := 1; i < len(count); i++ {
			count[i] += count[i-1]
		}
		for i := range p {
			d := p[i].order >> shift & 1023
			tmp[count[d]] = p[i]
			count[d]++
		}
		p, tmp = tmp, p
	}
	return p
}

func (b *Batch[V]) apply(is4 bool, k key, n int, v V) {
	r, count := b.root(is4)
	if r == nil {
		r = b.w.fresh()
	}
	b.w.bucket = bucketMax(is4)
	r, existed := b.w.insert(r, 0, k, n, v)
	b.setRoot(is4, r)
	if !existed {
		*count++
	}
}

// Update runs fn with a Batch and then publishes all of its changes at
// once: readers see the table as it was before Update until it returns,
// then the table with every change (for each address family, one atomic
// store). If fn returns an error, nothing is published and Update
// returns that error. Writers wait for Update to finish.
//
// A batch clones each node it touches once and then changes it in place,
// so loading a full table through Update is much cheaper than as many
// separate Inserts, each of which clones the node it changes.
func (t *Table[V]) Update(fn func(b *Batch[V]) error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	// node.meta holds 48 bits of the batch number; 0 means no batch, and
	// splitBatch is taken.
	t.batch = t.batch%(splitBatch-1) + 1
	b := &Batch[V]{w: writer[V]{batch: t.batch}, root4: t.root4.Load(), root6: t.root6.Load()}
	if err := fn(b); err != nil {
		return err
	}
	b.flush(true)
	b.flush(false)
	for _, nd := range b.w.owned {
		nd.trim()
	}
	if b.root4 != t.root4.Load() {
		t.root4.Store(b.root4)
	}
	if b.root6 != t.root6.Load() {
		t.root6.Store(b.root6)
	}
	t.len4.Add(b.len4)
	t.len6.Add(b.len6)
	if ix := t.syncIndex(); ix != nil && b.touched != nil {
		root := t.root4.Load()
		for w, x := range b.touched {
			for ; x != 0; x &= x - 1 {
				ix.refresh(root, uint16(w*64+bits.TrailingZeros64(x)))
			}
		}
	}
	if ix := t.syncIndex6(); ix != nil && b.touched6 != nil {
		root := t.root6.Load()
		for w, x := range b.touched6 {
			for ; x != 0; x &= x - 1 {
				ix.refresh(root, uint16(w*64+bits.TrailingZeros64(x)))
			}
		}
	}
	b.w = writer[V]{} // a Batch kept past Update must not change published nodes
	return nil
}

func (b *Batch[V]) root(is4 bool) (*node[V], *int64) {
	if is4 {
		return b.root4, &b.len4
	}
	return b.root6, &b.len6
}

// touch records the /16 of a change, whose index entry Update refreshes
// after publishing.
func (b *Batch[V]) touch(is4 bool, k key) {
	if !is4 {
		h, ok := index6Slot(k.hi)
		if !ok {
			return
		}
		if b.touched6 == nil {
			b.touched6 = new([1 << 13 / 64]uint64)
		}
		b.touched6[h/64] |= 1 << (h % 64)
		return
	}
	if b.touched == nil {
		b.touched = new([1 << 16 / 64]uint64)
	}
	h := k.hi >> 48
	b.touched[h/64] |= 1 << (h % 64)
}

func (b *Batch[V]) setRoot(is4 bool, nd *node[V]) {
	if is4 {
		b.root4 = nd
	} else {
		b.root6 = nd
	}
}

// Insert is Table.Insert within the batch.
func (b *Batch[V]) Insert(p netip.Prefix, v V) error {
	k, n, is4, err := canonical(p)
	if err != nil {
		return err
	}
	if b.w.batch == 0 {
		panic("lpm: Batch used after Update returned")
	}
	b.touch(is4, k)
	o := trieOrder(k, n, orderLevels(is4))
	if is4 {
		b.pending4 = appendPending(b.pending4, pending[V]{o, v})
	} else {
		b.pending6 = appendPending(b.pending6, pending[prefix6[V]]{o, prefix6[V]{k, uint8(n), v}})
	}
	return nil
}

// appendPending appends e to p, doubling p when full (append grows large
// slices by a quarter, which for a full table would copy the pending
// inserts many times over). It starts small: most batches of a running
// router are a BGP UPDATE's few routes.
func appendPending[E any](p []pending[E], e pending[E]) []pending[E] {
	if len(p) == cap(p) {
		p = slices.Grow(p, max(len(p), 4))
	}
	return append(p, e)
}

// Delete is Table.Delete within the batch.
func (b *Batch[V]) Delete(p netip.Prefix) bool {
	k, n, is4, err := canonical(p)
	if err != nil {
		return false
	}
	if b.w.batch == 0 {
		panic("lpm: Batch used after Update returned")
	}
	b.touch(is4, k)
	b.flush(is4)
	r, count := b.root(is4)
	if r == nil {
		return false
	}
	b.w.bucket = bucketMax(is4)
	r, found := b.w.remove(r, 0, k, n)
	if found {
		b.setRoot(is4, r)
		*count--
	}
	return found
}
