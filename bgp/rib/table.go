package rib

import (
	"net/netip"
)

// table maps prefixes to destinations: IPv4 prefixes by an 8-byte key
// (address and length), IPv6 prefixes by a 24-byte key, each to an index
// into one slab of destinations whose free slots are reused.
type table struct {
	v4    map[uint64]uint32
	v6    map[v6key]uint32
	dests []dest
	free  []uint32
}

type v6key struct {
	hi, lo uint64
	bits   uint8
}

// dest is one prefix with every path to it (the Adj-RIBs-In of all peers
// for that prefix). paths[:nbest] is the ECMP set in decision order, best
// first; the other paths follow in no order.
type dest struct {
	paths []path
	nbest uint8
	by    Step
}

// path is one peer's route to a prefix (one ADD-PATH path of it).
type path struct {
	attrs  *AttrSet
	peer   PeerID
	pathID uint32
	stale  bool   // kept through the peer's graceful restart (RFC 4724)
	age    uint64 // order of arrival, for StepOldest
}

func newTable() table {
	return table{v4: make(map[uint64]uint32), v6: make(map[v6key]uint32)}
}

func key4(p netip.Prefix) uint64 {
	a := p.Addr().As4()
	return uint64(a[0])<<32 | uint64(a[1])<<24 | uint64(a[2])<<16 | uint64(a[3])<<8 | uint64(p.Bits())
}

func key6(p netip.Prefix) v6key {
	a := p.Addr().As16()
	var k v6key
	for i := range 8 {
		k.hi = k.hi<<8 | uint64(a[i])
		k.lo = k.lo<<8 | uint64(a[8+i])
	}
	k.bits = uint8(p.Bits())
	return k
}

func prefix4(k uint64) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(k >> 32), byte(k >> 24), byte(k >> 16), byte(k >> 8)}), int(k&0xff))
}

func prefix6(k v6key) netip.Prefix {
	var a [16]byte
	for i := range 8 {
		a[i] = byte(k.hi >> (56 - 8*i))
		a[8+i] = byte(k.lo >> (56 - 8*i))
	}
	return netip.PrefixFrom(netip.AddrFrom16(a), int(k.bits))
}

// get returns the destination of p (masked), or nil.
func (t *table) get(p netip.Prefix) *dest {
	var i uint32
	var ok bool
	if p.Addr().Is4() {
		i, ok = t.v4[key4(p)]
	} else {
		i, ok = t.v6[key6(p)]
	}
	if !ok {
		return nil
	}
	return &t.dests[i]
}

// getOrAdd returns the destination of p, adding an empty one.
func (t *table) getOrAdd(p netip.Prefix) *dest {
	if d := t.get(p); d != nil {
		return d
	}
	var i uint32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		i = uint32(len(t.dests))
		t.dests = append(t.dests, dest{})
	}
	if p.Addr().Is4() {
		t.v4[key4(p)] = i
	} else {
		t.v6[key6(p)] = i
	}
	return &t.dests[i]
}

// remove deletes the (empty) destination of p.
func (t *table) remove(p netip.Prefix) {
	var i uint32
	if p.Addr().Is4() {
		k := key4(p)
		i = t.v4[k]
		delete(t.v4, k)
	} else {
		k := key6(p)
		i = t.v6[k]
		delete(t.v6, k)
	}
	t.dests[i] = dest{}
	t.free = append(t.free, i)
}

// len is the number of prefixes.
func (t *table) len() int { return len(t.v4) + len(t.v6) }

// all yields every prefix with its destination (IPv4 first, in map order).
func (t *table) all(yield func(netip.Prefix, *dest) bool) {
	for k, i := range t.v4 {
		if !yield(prefix4(k), &t.dests[i]) {
			return
		}
	}
	for k, i := range t.v6 {
		if !yield(prefix6(k), &t.dests[i]) {
			return
		}
	}
}
