package lpm

// writer is the state of one write: a single Insert or Delete (batch 0)
// or a Batch. A batch owns the nodes it cloned and changes them in place
// until it commits; outside a batch every changed node is cloned, and the
// clone is published at once by one atomic store.
type writer[V any] struct {
	batch  uint64
	owned  []*node[V] // nodes the batch cloned, to trim before publishing
	bucket int        // bucketMax of the family being written
}

// owns reports whether nd is private to this write and may change in place.
func (w *writer[V]) owns(nd *node[V]) bool { return w.batch != 0 && nd.owner() == w.batch }

// own returns nd when this write owns it, else a private clone.
func (w *writer[V]) own(nd *node[V]) *node[V] {
	if w.owns(nd) {
		return nd
	}
	c := nd.clone(w.batch)
	if w.batch != 0 {
		w.owned = append(w.owned, c)
	}
	return c
}

// fresh returns a new empty private node.
func (w *writer[V]) fresh() *node[V] {
	return w.own(&node[V]{})
}

// relink makes child the node at slot i of nd, and returns the node that
// must replace nd. Outside a batch the atomic store publishes child; in a
// batch, a published nd is cloned first so nothing becomes visible before
// the commit.
func (w *writer[V]) relink(nd *node[V], i int, child *node[V]) *node[V] {
	if w.batch != 0 && !w.owns(nd) {
		nd = w.own(nd)
	}
	nd.kid(i).Store(child)
	return nd
}

// insert adds the prefix (k, n) with value v below nd, a node at depth d.
// It returns the node that must replace nd (nd itself when nothing above
// needs to change) and whether the prefix existed before.
func (w *writer[V]) insert(nd *node[V], d int, k key, n int, v V) (*node[V], bool) {
	if nd.isBucket() {
		return w.bucketInsert(nd, d, k, n, v)
	}
	sd, idx := slot(k, n)
	if d == sd {
		nd = w.own(nd)
		return nd, nd.setPrefix(idx, v)
	}
	o := k.octet(d)
	if nd.children.test(o) {
		i := nd.children.rank(o)
		c := nd.kid(i).Load()
		c2, existed := w.insert(c, d+1, k, n, v)
		if c2 != c {
			nd = w.relink(nd, i, c2)
		}
		return nd, existed
	}
	if nd.leaves.test(o) {
		l := nd.lvs[nd.leaves.rank(o)]
		if l.k == k && int(l.bits) == n {
			l.val = v
			nd = w.own(nd)
			nd.setLeaf(o, l)
			return nd, true
		}
		// Two prefixes now share this subtree: build it privately (a
		// bucket, or a node for a family without buckets), then swap it
		// for the leaf in one step.
		var sub *node[V]
		switch {
		case w.bucket < 2 || d+1 < minBucketDepth:
			sub, _ = w.insert(w.fresh(), d+1, l.k, int(l.bits), l.val)
			sub, _ = w.insert(sub, d+1, k, n, v)
		default:
			sub = w.newBucket(2)
			if before(k, n, l.k, int(l.bits)) {
				sub.lvs = append(sub.lvs, leaf[V]{k: k, bits: uint8(n), val: v}, l)
			} else {
				sub.lvs = append(sub.lvs, l, leaf[V]{k: k, bits: uint8(n), val: v})
			}
		}
		nd = w.own(nd)
		nd.clearLeaf(o)
		nd.addChild(o, sub)
		return nd, false
	}
	nd = w.own(nd)
	nd.setLeaf(o, leaf[V]{k: k, bits: uint8(n), val: v})
	return nd, false
}

// remove deletes the prefix (k, n) below nd, a node at depth d. It
// returns the node that must replace nd (nil when the subtree became
// empty; nd itself when nothing above needs to change) and whether the
// prefix was found. A subtree left with few enough prefixes becomes a
// bucket (see foldRemove) and a child left with a single prefix a leaf of
// its parent, so the trie keeps the shape inserts give it.
func (w *writer[V]) remove(nd *node[V], d int, k key, n int) (*node[V], bool) {
	if nd.isBucket() {
		return w.bucketRemove(nd, k, n)
	}
	if b, found, ok := w.foldRemove(nd, d, k, n); ok {
		return b, found
	}
	sd, idx := slot(k, n)
	if d == sd {
		if !nd.prefixes.test(idx) {
			return nd, false
		}
		nd = w.own(nd)
		nd.clearPrefix(idx)
		return orNil(nd), true
	}
	o := k.octet(d)
	if nd.children.test(o) {
		i := nd.children.rank(o)
		c := nd.kid(i).Load()
		c2, found := w.remove(c, d+1, k, n)
		if !found {
			return nd, false
		}
		// c2 may be c itself, changed in place by a batch: it may still
		// have become a leaf or a bucket.
		if c2 == nil {
			nd = w.own(nd)
			nd.clearChild(o)
			return orNil(nd), true
		}
		if l, ok := c2.single(k, d+1); ok {
			nd = w.own(nd)
			nd.clearChild(o)
			nd.setLeaf(o, l)
			return nd, true
		}
		if c2 == c {
			return nd, true
		}
		return w.relink(nd, i, c2), true
	}
	if nd.leaves.test(o) {
		l := &nd.lvs[nd.leaves.rank(o)]
		if l.k == k && int(l.bits) == n {
			nd = w.own(nd)
			nd.clearLeaf(o)
			return orNil(nd), true
		}
	}
	return nd, false
}

// orNil returns nil for an empty node, so that empty subtrees disappear.
func orNil[V any](nd *node[V]) *node[V] {
	if nd.empty() {
		return nil
	}
	return nd
}
