package lpm

import (
	"encoding/binary"
	"net/netip"
)

// Lookup returns the value of the longest prefix that contains a. IPv4
// addresses are matched against IPv4 prefixes only, everything else
// (including IPv4-mapped IPv6 addresses) against IPv6 prefixes. The zone
// of a is ignored. It never blocks and does not allocate.
func (t *Table[V]) Lookup(a netip.Addr) (V, bool) {
	if a.Is4() {
		b := a.As4()
		if ix := t.idx4.Load(); ix != nil {
			if nd := ix[uint16(b[0])<<8|uint16(b[1])].Load(); nd != nil {
				if v, ok := lookup4(nd, 2, b, 4); ok {
					return v, true
				}
			}
			return lookup4(t.root4.Load(), 0, b, 2)
		}
		return lookup4(t.root4.Load(), 0, b, 4)
	}
	if !a.IsValid() {
		var zero V
		return zero, false
	}
	b := a.As16()
	if h, ok := index6Slot(binary.BigEndian.Uint64(b[:8])); ok {
		if ix := t.idx6.Load(); ix != nil {
			if nd := ix[h].Load(); nd != nil {
				if v, ok := lookup6(nd, 2, b, 16); ok {
					return v, true
				}
			}
			return lookup6(t.root6.Load(), 0, b, 2)
		}
	}
	return lookup6(t.root6.Load(), 0, b, 16)
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
		if nd.isBucket() { // its prefixes are all deeper than the nodes above
			if l := nd.match(k); l != nil {
				return l.val, l.k, int(l.bits), true
			}
			break
		}
		o := k.octet(d)
		if nd.children.test(o) {
			nd = nd.kid(nd.children.rank(o)).Load()
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

// lookup4 is lookup specialised for IPv4, where the trie is at most four
// levels deep and the address fits in 32 bits. It starts at nd, a node at
// depth d, and follows child nodes only above depth stop, so that with
// the index it can search the levels below /16 and the ones above apart.
func lookup4[V any](nd *node[V], d int, b [4]byte, stop int) (v V, ok bool) {
	if nd == nil {
		return v, false
	}
	var stack [4]*node[V] // the nodes passed; node i is at depth i
	start := d
	for {
		stack[d&3] = nd
		o := b[d&3]
		if d+1 < stop && nd.children.test(o) {
			nd = nd.kid(nd.children.rank(o)).Load()
			d++
			continue
		}
		if nd.leaves.test(o) {
			l := &nd.lvs[nd.leaves.rank(o)]
			a := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32
			if (a^l.k.hi)&^(^uint64(0)>>l.bits) == 0 {
				return l.val, true
			}
		}
		break
	}
	for ; d >= start; d-- {
		nd = stack[d&3]
		if idx := nd.prefixes.longest(b[d&3]); idx != 0 {
			return nd.vals[nd.prefixes.rank(idx)], true
		}
	}
	return v, false
}

// lookup6 is lookup specialised for IPv6. It starts at nd, a node at
// depth d, and follows child nodes only above depth stop (see lookup4).
// Unlike lookup and lookup4 it checks each node's prefixes on the way
// down, keeping the longest match so far, instead of walking back up: the
// prefix bitsets it reads are not on the chain of dependent loads that
// leads down the trie, so the processor fetches them while it waits for
// the next node, and the miss on the way back up disappears.
func lookup6[V any](nd *node[V], d int, b [16]byte, stop int) (v V, ok bool) {
	if nd == nil {
		return v, false
	}
	var best *node[V]
	var bestIdx uint
	for ; ; d++ {
		if nd.isBucket() {
			k := key{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:])}
			if l := nd.match(k); l != nil {
				return l.val, true
			}
			break
		}
		o := b[d&15]
		if nd.npfx() != 0 {
			if idx := nd.prefixes.longest(o); idx != 0 {
				best, bestIdx = nd, idx
			}
		}
		if d+1 < stop && nd.children.test(o) {
			nd = nd.kid(nd.children.rank(o)).Load()
			continue
		}
		if nd.leaves.test(o) {
			l := &nd.lvs[nd.leaves.rank(o)]
			k := key{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:])}
			if k.matches(l.k, int(l.bits)) {
				return l.val, true
			}
		}
		break
	}
	if best == nil {
		return v, false
	}
	return best.vals[best.prefixes.rank(bestIdx)], true
}
