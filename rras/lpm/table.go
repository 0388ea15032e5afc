package lpm

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// Table maps IPv4 and IPv6 prefixes to values of type V and finds the
// longest prefix covering an address. The zero Table is empty and ready
// to use. A Table must not be copied after first use.
//
// Lookup, LookupPrefix, Get, Len and All never block and take no lock,
// whatever writers are doing; Insert and Delete serialise on a mutex. See
// the package documentation for what a reader observes during a write.
type Table[V any] struct {
	mu    sync.Mutex // serialises writers
	root4 atomic.Pointer[node[V]]
	root6 atomic.Pointer[node[V]]
	len4  atomic.Int64
	len6  atomic.Int64
	idx4  atomic.Pointer[index4[V]]
	idx6  atomic.Pointer[index6[V]]
	batch uint64 // the last batch number handed out; writers only
}

func (t *Table[V]) root(is4 bool) *atomic.Pointer[node[V]] {
	if is4 {
		return &t.root4
	}
	return &t.root6
}

// Len returns the number of prefixes in the table.
func (t *Table[V]) Len() int { return int(t.len4.Load() + t.len6.Load()) }

// Len4 returns the number of IPv4 prefixes in the table.
func (t *Table[V]) Len4() int { return int(t.len4.Load()) }

// Len6 returns the number of IPv6 prefixes in the table.
func (t *Table[V]) Len6() int { return int(t.len6.Load()) }

// canonical validates p and returns its key, length and family. Host bits
// are ignored: 10.1.2.3/8 is the prefix 10.0.0.0/8.
func canonical(p netip.Prefix) (key, int, bool, error) {
	if !p.IsValid() {
		return key{}, 0, false, &PrefixError{Prefix: p, Err: ErrInvalidPrefix}
	}
	n := p.Bits()
	return keyOf(p.Addr()).masked(n), n, p.Addr().Is4(), nil
}

// Insert adds p with value v, replacing the value if p is already present.
// Host bits of p are ignored. It returns a *PrefixError wrapping
// ErrInvalidPrefix for an invalid prefix and changes nothing then.
func (t *Table[V]) Insert(p netip.Prefix, v V) error {
	k, n, is4, err := canonical(p)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	w := writer[V]{bucket: bucketMax(is4)}
	r := t.root(is4)
	old := r.Load()
	if old == nil {
		old = w.fresh()
	}
	nw, existed := w.insert(old, 0, k, n, v)
	if nw != r.Load() {
		r.Store(nw)
	}
	if !existed {
		t.count(is4, 1)
	}
	t.refreshIndex(is4, k)
	return nil
}

// Delete removes p and reports whether it was present. Host bits of p are
// ignored; an invalid prefix is never present.
func (t *Table[V]) Delete(p netip.Prefix) bool {
	k, n, is4, err := canonical(p)
	if err != nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	w := writer[V]{bucket: bucketMax(is4)}
	r := t.root(is4)
	old := r.Load()
	if old == nil {
		return false
	}
	nw, found := w.remove(old, 0, k, n)
	if !found {
		return false
	}
	if nw != old {
		r.Store(nw)
	}
	t.count(is4, -1)
	t.refreshIndex(is4, k)
	return true
}

// refreshIndex brings the index of the family up to date after a write
// of a prefix with key k was published: only the entry of k's /16 can
// have changed.
func (t *Table[V]) refreshIndex(is4 bool, k key) {
	if is4 {
		if ix := t.syncIndex(); ix != nil {
			ix.refresh(t.root4.Load(), uint16(k.hi>>48))
		}
		return
	}
	if ix := t.syncIndex6(); ix != nil {
		if h, ok := index6Slot(k.hi); ok {
			ix.refresh(t.root6.Load(), h)
		}
	}
}

func (t *Table[V]) count(is4 bool, d int64) {
	if is4 {
		t.len4.Add(d)
	} else {
		t.len6.Add(d)
	}
}

// Get returns the value stored for exactly p (host bits ignored).
func (t *Table[V]) Get(p netip.Prefix) (V, bool) {
	var zero V
	k, n, is4, err := canonical(p)
	if err != nil {
		return zero, false
	}
	nd := t.root(is4).Load()
	sd, idx := slot(k, n)
	for d := 0; nd != nil; d++ {
		if nd.isBucket() {
			if i, ok := nd.search(k, n); ok {
				return nd.lvs[i].val, true
			}
			return zero, false
		}
		if d == sd {
			if !nd.prefixes.test(idx) {
				return zero, false
			}
			return nd.vals[nd.prefixes.rank(idx)], true
		}
		o := k.octet(d)
		switch {
		case nd.children.test(o):
			nd = nd.kid(nd.children.rank(o)).Load()
		case nd.leaves.test(o):
			l := &nd.lvs[nd.leaves.rank(o)]
			if l.k == k && int(l.bits) == n {
				return l.val, true
			}
			return zero, false
		default:
			return zero, false
		}
	}
	return zero, false
}
