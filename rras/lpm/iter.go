package lpm

import (
	"iter"
	"net/netip"
)

// All yields every prefix and its value: IPv4 first, then IPv6, each in
// ascending address order and, for equal addresses, shorter prefixes
// first (10.0.0.0/8 before 10.0.0.0/16 before 10.1.0.0/16). It takes no
// lock; prefixes inserted or deleted while it runs may or may not be
// seen, but every prefix present for the whole iteration is yielded once.
func (t *Table[V]) All() iter.Seq2[netip.Prefix, V] {
	return func(yield func(netip.Prefix, V) bool) {
		if nd := t.root4.Load(); nd != nil && !nd.walk(key{}, 0, 1, true, yield) {
			return
		}
		if nd := t.root6.Load(); nd != nil {
			nd.walk(key{}, 0, 1, false, yield)
		}
	}
}

// walk visits the ART index idx of nd (at depth d, reached through path)
// and everything below it in pre-order, which is the order All promises.
func (nd *node[V]) walk(path key, d int, idx uint, is4 bool, yield func(netip.Prefix, V) bool) bool {
	if nd.isBucket() {
		for i := range nd.lvs {
			l := &nd.lvs[i]
			if !yield(netip.PrefixFrom(l.k.addr(is4), int(l.bits)), l.val) {
				return false
			}
		}
		return true
	}
	if nd.prefixes.test(idx) {
		k, n := prefixKey(path, d, idx)
		if !yield(netip.PrefixFrom(k.addr(is4), n), nd.vals[nd.prefixes.rank(idx)]) {
			return false
		}
	}
	if idx < 256 {
		return nd.walk(path, d, 2*idx, is4, yield) && nd.walk(path, d, 2*idx+1, is4, yield)
	}
	o := uint8(idx - 256)
	if nd.children.test(o) {
		k, _ := prefixKey(path, d, idx)
		return nd.kid(nd.children.rank(o)).Load().walk(k, d+1, 1, is4, yield)
	}
	if nd.leaves.test(o) {
		l := &nd.lvs[nd.leaves.rank(o)]
		return yield(netip.PrefixFrom(l.k.addr(is4), int(l.bits)), l.val)
	}
	return true
}
