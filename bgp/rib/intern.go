package rib

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// internTable hash-conses attribute sets: a map from the 64-bit hash of the
// canonical bytes to a chain of sets with that hash (collisions are checked
// by comparing the bytes), each refcounted by the paths that use it.
type internTable struct {
	seed maphash.Seed
	sets map[uint64]*AttrSet
	n    int
}

func newInternTable() internTable {
	return internTable{seed: maphash.MakeSeed(), sets: make(map[uint64]*AttrSet)}
}

// intern returns the set whose canonical bytes are raw, with one more
// reference; raw is copied only when the set is new.
func (t *internTable) intern(raw []byte) *AttrSet {
	h := maphash.Bytes(t.seed, raw)
	head := t.sets[h]
	for s := head; s != nil; s = s.next {
		if bytes.Equal(s.raw, raw) {
			s.refs++
			return s
		}
	}
	s := newAttrSet(bytes.Clone(raw))
	s.hash, s.refs, s.next = h, 1, head
	t.sets[h] = s
	t.n++
	return s
}

// release drops one reference and frees the set at zero.
func (t *internTable) release(s *AttrSet) {
	s.refs--
	if s.refs > 0 {
		return
	}
	p := t.sets[s.hash]
	if p == s {
		if s.next == nil {
			delete(t.sets, s.hash)
		} else {
			t.sets[s.hash] = s.next
		}
	} else {
		for p.next != s {
			p = p.next
		}
		p.next = s.next
	}
	s.next = nil
	t.n--
}

// newAttrSet decodes the fields the decision process reads.
func newAttrSet(raw []byte) *AttrSet {
	s := &AttrSet{raw: raw}
	for r := range records(raw) {
		v := r.value
		switch r.typ {
		case wire.AttrOrigin:
			if len(v) == 1 {
				s.origin = wire.Origin(v[0])
			}
		case wire.AttrASPath:
			s.asPath = v
			p := wire.ASPathFrom(v, true)
			s.asPathLen = int32(p.Len())
			s.neighborAS, _ = p.FirstAS()
		case wire.AttrNextHop:
			switch len(v) {
			case 4:
				s.nextHop = netip.AddrFrom4([4]byte(v))
			case 16, 32:
				s.nextHop = netip.AddrFrom16([16]byte(v[:16]))
			}
		case wire.AttrMED:
			if len(v) == 4 {
				s.med, s.hasMED = binary.BigEndian.Uint32(v), true
			}
		case wire.AttrLocalPref:
			if len(v) == 4 {
				s.localPref, s.hasLocalPref = binary.BigEndian.Uint32(v), true
			}
		case wire.AttrOriginatorID:
			if len(v) == 4 {
				s.originatorID = netip.AddrFrom4([4]byte(v))
			}
		case wire.AttrClusterList:
			s.clusterLen = int32(len(v) / 4)
		}
	}
	return s
}

// maxAttrs bounds the attributes of one UPDATE the canonical form keeps
// (each type appears at most once, so 256 would always do; real UPDATEs
// carry about ten).
const maxAttrs = 64

// canonicalizer builds canonical encodings in reused buffers.
type canonicalizer struct {
	recs   [maxAttrs]record
	asPath []byte
	agg    [8]byte
	out    []byte
}

// base collects the attributes of u except the next hop, sorted by type.
// It returns the number of records.
func (c *canonicalizer) base(u *wire.Update) int {
	n := 0
	for a := range u.Attrs() {
		r := record{typ: a.Type, flags: a.Flags &^ wire.FlagExtendedLength, value: a.Value}
		switch a.Type {
		case wire.AttrNextHop, wire.AttrMPReachNLRI, wire.AttrMPUnreachNLRI,
			wire.AttrAS4Path, wire.AttrAS4Aggregator:
			continue
		case wire.AttrASPath:
			_, c.asPath, _ = u.ASPath(c.asPath[:0])
			if !u.Options().AS4 {
				r.value = c.asPath
			}
		case wire.AttrAggregator:
			agg, _ := u.Aggregator()
			if agg.Addr.Is4() {
				binary.BigEndian.PutUint32(c.agg[:], agg.ASN)
				a4 := agg.Addr.As4()
				copy(c.agg[4:], a4[:])
				r.value = c.agg[:]
			}
		}
		if n == maxAttrs {
			break
		}
		c.recs[n] = r
		n++
	}
	slices.SortFunc(c.recs[:n], func(a, b record) int { return int(a.typ) - int(b.typ) })
	return n
}

// encode writes the n collected records plus a NEXT_HOP record holding
// nh (and ll, an IPv6 link-local) into c.out and returns it.
func (c *canonicalizer) encode(n int, nh, ll netip.Addr) []byte {
	out := c.out[:0]
	put := func(r record) {
		out = append(out, byte(r.typ), byte(r.flags), byte(len(r.value)>>8), byte(len(r.value)))
		out = append(out, r.value...)
	}
	var nhb [32]byte
	nhr := record{typ: wire.AttrNextHop, flags: wire.FlagTransitive}
	switch {
	case nh.Is4():
		a := nh.As4()
		copy(nhb[:], a[:])
		nhr.value = nhb[:4]
	case nh.Is6():
		a := nh.As16()
		copy(nhb[:], a[:])
		nhr.value = nhb[:16]
		if ll.Is6() {
			l := ll.As16()
			copy(nhb[16:], l[:])
			nhr.value = nhb[:32]
		}
	}
	done := false
	for _, r := range c.recs[:n] {
		if !done && r.typ > wire.AttrNextHop {
			put(nhr)
			done = true
		}
		put(r)
	}
	if !done {
		put(nhr)
	}
	c.out = out
	return out
}
