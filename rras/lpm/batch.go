package lpm

import (
	"math/bits"
	"net/netip"
)

// Batch collects changes that Update publishes all at once. It is only
// valid inside the function given to Update.
type Batch[V any] struct {
	w            writer[V]
	root4, root6 *node[V]
	len4, len6   int64
	touched      *[1 << 16 / 64]uint64 // the /16s of IPv4 changes, for the index
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
	t.batch = (t.batch + 1) & (1<<48 - 1) // node.meta holds 48 bits of it
	if t.batch == 0 {
		t.batch = 1 // 0 means "no batch"
	}
	b := &Batch[V]{w: writer[V]{batch: t.batch}, root4: t.root4.Load(), root6: t.root6.Load()}
	if err := fn(b); err != nil {
		return err
	}
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
	if b.touched != nil {
		t.syncIndex(func(yield func(uint16)) {
			for w, x := range b.touched {
				for ; x != 0; x &= x - 1 {
					yield(uint16(w*64 + bits.TrailingZeros64(x)))
				}
			}
		})
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

// touch records the /16 of an IPv4 change, whose index entry Update
// refreshes after publishing.
func (b *Batch[V]) touch(is4 bool, k key) {
	if !is4 {
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
	r, count := b.root(is4)
	if r == nil {
		r = b.w.fresh()
	}
	r, existed := b.w.insert(r, 0, k, n, v)
	b.setRoot(is4, r)
	if !existed {
		*count++
	}
	return nil
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
	r, count := b.root(is4)
	if r == nil {
		return false
	}
	r, found := b.w.remove(r, 0, k, n)
	if found {
		b.setRoot(is4, r)
		*count--
	}
	return found
}
