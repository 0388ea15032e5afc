package lpm

import "net/netip"

// Lookup returns the value of the longest prefix that contains a. IPv4
// addresses are matched against IPv4 prefixes only, everything else
// (including IPv4-mapped IPv6 addresses) against IPv6 prefixes. The zone
// of a is ignored. It never blocks and does not allocate.
func (t *Table[V]) Lookup(a netip.Addr) (V, bool) {
	if a.Is4() {
		v, _, _, ok := lookup(t.root4.Load(), keyOf(a))
		return v, ok
	}
	if !a.IsValid() {
		var zero V
		return zero, false
	}
	v, _, _, ok := lookup(t.root6.Load(), keyOf(a))
	return v, ok
}

// LookupPrefix is Lookup that also returns the matching prefix.
func (t *Table[V]) LookupPrefix(a netip.Addr) (netip.Prefix, V, bool) {
	var zero V
	if !a.IsValid() {
		return netip.Prefix{}, zero, false
	}
	is4 := a.Is4()
	k := keyOf(a)
	v, m, n, ok := lookup(t.root(is4).Load(), k)
	if !ok {
		return netip.Prefix{}, zero, false
	}
	return netip.PrefixFrom(m.masked(n).addr(is4), n), v, true
}

// lookup walks down from nd along k as far as child nodes go, remembering
// each node, then checks them deepest first: the first one holding a
// prefix that covers k holds the longest match. A leaf met on the way
// down is deeper than anything above it, so it wins outright when it
// covers k. It returns the value and the matched prefix (as its key and
// length).
func lookup[V any](nd *node[V], k key) (v V, m key, n int, ok bool) {
	if nd == nil {
		return v, m, 0, false
	}
	var stack [16]*node[V]
	d := 0
	for {
		stack[d] = nd
		o := k.octet(d)
		if nd.children.test(o) {
			nd = nd.kids[nd.children.rank(o)].Load()
			d++
			continue
		}
		if nd.leaves.test(o) {
			l := &nd.lvs[nd.leaves.rank(o)]
			if k.matches(l.k, int(l.bits)) {
				return l.val, l.k, int(l.bits), true
			}
		}
		break
	}
	for ; d >= 0; d-- {
		nd = stack[d]
		if idx := nd.prefixes.longest(k.octet(d)); idx != 0 {
			m, n = prefixKey(k, d, idx)
			return nd.vals[nd.prefixes.rank(idx)], m, n, true
		}
	}
	return v, m, 0, false
}
