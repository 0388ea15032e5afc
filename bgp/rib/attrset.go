package rib

import (
	"encoding/binary"
	"iter"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// AttrSet is one interned set of path attributes. Every path with the same
// attributes (next hop included) points at the same AttrSet, so a full table
// stores each distinct set once. An AttrSet is immutable; it leaves the
// intern table when the last path using it is withdrawn, and a caller still
// holding it (a subscriber, say) keeps a valid, unshared copy.
//
// The canonical form (Bytes) is a sequence of records, one per attribute in
// ascending type order: type (1 octet), flags (1 octet), length (2 octets),
// value. AS_PATH is always in 4-octet form (AS4_PATH folded in), AGGREGATOR
// carries a 4-octet AS, and the next hop of the route (from NEXT_HOP or
// MP_REACH_NLRI: 4, 16 or 32 octets with the link-local) is a NEXT_HOP
// record. MP_REACH_NLRI, MP_UNREACH_NLRI, AS4_PATH and AS4_AGGREGATOR are
// not stored.
type AttrSet struct {
	raw  []byte
	hash uint64
	refs int32
	next *AttrSet // intern table collision chain

	// decoded once, for the decision process
	origin       wire.Origin
	hasLocalPref bool
	hasMED       bool
	localPref    uint32
	med          uint32
	asPathLen    int32
	neighborAS   uint32 // leftmost AS of the path, 0 if none
	clusterLen   int32
	asPath       []byte // aliases raw
	nextHop      netip.Addr
	originatorID netip.Addr
}

// Bytes returns the canonical encoding. The caller must not modify it.
func (s *AttrSet) Bytes() []byte { return s.raw }

// Origin is the ORIGIN attribute.
func (s *AttrSet) Origin() wire.Origin { return s.origin }

// LocalPref is LOCAL_PREF and whether it is present.
func (s *AttrSet) LocalPref() (uint32, bool) { return s.localPref, s.hasLocalPref }

// MED is MULTI_EXIT_DISC and whether it is present.
func (s *AttrSet) MED() (uint32, bool) { return s.med, s.hasMED }

// ASPath is the 4-octet AS path.
func (s *AttrSet) ASPath() wire.ASPath { return wire.ASPathFrom(s.asPath, true) }

// NextHop is the next hop of the route.
func (s *AttrSet) NextHop() netip.Addr { return s.nextHop }

// OriginatorID is ORIGINATOR_ID (RFC 4456), invalid if absent.
func (s *AttrSet) OriginatorID() netip.Addr { return s.originatorID }

// ClusterListLen is the number of cluster IDs in CLUSTER_LIST.
func (s *AttrSet) ClusterListLen() int { return int(s.clusterLen) }

// Attr returns the value of attribute t, if present.
func (s *AttrSet) Attr(t wire.AttrType) (value []byte, ok bool) {
	for r := range records(s.raw) {
		if r.typ == t {
			return r.value, true
		}
	}
	return nil, false
}

// Communities yields the COMMUNITIES values.
func (s *AttrSet) Communities() iter.Seq[wire.Community] {
	return func(yield func(wire.Community) bool) {
		v, _ := s.Attr(wire.AttrCommunities)
		for ; len(v) >= 4; v = v[4:] {
			if !yield(wire.Community(binary.BigEndian.Uint32(v))) {
				return
			}
		}
	}
}

// LargeCommunities yields the LARGE_COMMUNITY values.
func (s *AttrSet) LargeCommunities() iter.Seq[wire.LargeCommunity] {
	return func(yield func(wire.LargeCommunity) bool) {
		v, _ := s.Attr(wire.AttrLargeCommunities)
		for ; len(v) >= 12; v = v[12:] {
			l := wire.LargeCommunity{
				GlobalAdmin: binary.BigEndian.Uint32(v),
				LocalData1:  binary.BigEndian.Uint32(v[4:]),
				LocalData2:  binary.BigEndian.Uint32(v[8:]),
			}
			if !yield(l) {
				return
			}
		}
	}
}

// record is one attribute of a canonical encoding.
type record struct {
	typ   wire.AttrType
	flags wire.AttrFlags
	value []byte
}

// records walks a canonical encoding.
func records(b []byte) iter.Seq[record] {
	return func(yield func(record) bool) {
		for len(b) >= 4 {
			n := int(binary.BigEndian.Uint16(b[2:]))
			if len(b) < 4+n {
				return
			}
			if !yield(record{wire.AttrType(b[0]), wire.AttrFlags(b[1]), b[4 : 4+n]}) {
				return
			}
			b = b[4+n:]
		}
	}
}
