package wire

import (
	"encoding/binary"
	"fmt"
	"iter"
	"net/netip"
)

// AttrFlags is the flags octet of a path attribute (RFC 4271 section 4.3).
type AttrFlags uint8

// Path attribute flags.
const (
	FlagOptional       AttrFlags = 0x80
	FlagTransitive     AttrFlags = 0x40
	FlagPartial        AttrFlags = 0x20
	FlagExtendedLength AttrFlags = 0x10
)

// AttrType is a path attribute type code.
type AttrType uint8

// Path attribute type codes this package knows.
const (
	AttrOrigin              AttrType = 1  // RFC 4271
	AttrASPath              AttrType = 2  // RFC 4271
	AttrNextHop             AttrType = 3  // RFC 4271
	AttrMED                 AttrType = 4  // RFC 4271 MULTI_EXIT_DISC
	AttrLocalPref           AttrType = 5  // RFC 4271
	AttrAtomicAggregate     AttrType = 6  // RFC 4271
	AttrAggregator          AttrType = 7  // RFC 4271, RFC 6793
	AttrCommunities         AttrType = 8  // RFC 1997
	AttrOriginatorID        AttrType = 9  // RFC 4456
	AttrClusterList         AttrType = 10 // RFC 4456
	AttrMPReachNLRI         AttrType = 14 // RFC 4760
	AttrMPUnreachNLRI       AttrType = 15 // RFC 4760
	AttrExtendedCommunities AttrType = 16 // RFC 4360
	AttrAS4Path             AttrType = 17 // RFC 6793
	AttrAS4Aggregator       AttrType = 18 // RFC 6793
	AttrLargeCommunities    AttrType = 32 // RFC 8092
)

var attrNames = [...]string{
	AttrOrigin: "ORIGIN", AttrASPath: "AS_PATH", AttrNextHop: "NEXT_HOP",
	AttrMED: "MULTI_EXIT_DISC", AttrLocalPref: "LOCAL_PREF",
	AttrAtomicAggregate: "ATOMIC_AGGREGATE", AttrAggregator: "AGGREGATOR",
	AttrCommunities: "COMMUNITIES", AttrOriginatorID: "ORIGINATOR_ID",
	AttrClusterList: "CLUSTER_LIST", AttrMPReachNLRI: "MP_REACH_NLRI",
	AttrMPUnreachNLRI: "MP_UNREACH_NLRI", AttrExtendedCommunities: "EXTENDED_COMMUNITIES",
	AttrAS4Path: "AS4_PATH", AttrAS4Aggregator: "AS4_AGGREGATOR",
	AttrLargeCommunities: "LARGE_COMMUNITY",
}

func (t AttrType) String() string {
	if int(t) < len(attrNames) && attrNames[t] != "" {
		return attrNames[t]
	}
	return fmt.Sprintf("attribute %d", uint8(t))
}

// wantFlags returns the Optional and Transitive bits type t must carry, and
// whether t is known to this package.
func (t AttrType) wantFlags() (AttrFlags, bool) {
	switch t {
	case AttrOrigin, AttrASPath, AttrNextHop, AttrLocalPref, AttrAtomicAggregate:
		return FlagTransitive, true
	case AttrAggregator, AttrCommunities, AttrExtendedCommunities,
		AttrAS4Path, AttrAS4Aggregator, AttrLargeCommunities:
		return FlagOptional | FlagTransitive, true
	case AttrMED, AttrOriginatorID, AttrClusterList, AttrMPReachNLRI, AttrMPUnreachNLRI:
		return FlagOptional, true
	}
	return 0, false
}

// Origin is the value of the ORIGIN attribute.
type Origin uint8

// ORIGIN values.
const (
	OriginIGP        Origin = 0
	OriginEGP        Origin = 1
	OriginIncomplete Origin = 2
)

func (o Origin) String() string {
	switch o {
	case OriginIGP:
		return "igp"
	case OriginEGP:
		return "egp"
	case OriginIncomplete:
		return "incomplete"
	}
	return fmt.Sprintf("origin(%d)", uint8(o))
}

// ASTrans is the 2-octet AS number that stands for a 4-octet one (RFC 6793).
const ASTrans = 23456

// Attr is a view of one path attribute in a message. Value aliases the
// message bytes. The typed accessors read Value as the attribute named in
// their documentation; they assume the attribute was validated (ParseUpdate
// does that) and return zero values, never panic, on malformed bytes.
type Attr struct {
	Flags AttrFlags
	Type  AttrType
	Value []byte

	as4     bool      // AS numbers in AS_PATH and AGGREGATOR are 4 octets
	addPath FamilySet // families whose NLRI carry path identifiers
}

// readAttr splits the attribute at the start of b. It returns n == 0 if b
// is too short for the header (RFC 7606 section 4 "fewer than three
// octets"), or n < 0 if the value overruns b.
func readAttr(b []byte) (a Attr, n int) {
	if len(b) < 3 {
		return a, 0
	}
	a.Flags, a.Type = AttrFlags(b[0]), AttrType(b[1])
	h, l := 3, int(b[2])
	if a.Flags&FlagExtendedLength != 0 {
		if len(b) < 4 {
			return Attr{}, 0
		}
		h, l = 4, int(binary.BigEndian.Uint16(b[2:]))
	}
	if n = h + l; n > len(b) {
		return a, -1
	}
	a.Value = b[h:n]
	return a, n
}

// Origin reads ORIGIN.
func (a Attr) Origin() Origin {
	if len(a.Value) != 1 {
		return 0
	}
	return Origin(a.Value[0])
}

// ASPath reads AS_PATH (2- or 4-octet AS numbers as negotiated) or AS4_PATH
// (always 4-octet).
func (a Attr) ASPath() ASPath {
	return ASPath{b: a.Value, as4: a.as4 || a.Type == AttrAS4Path}
}

// NextHop reads NEXT_HOP.
func (a Attr) NextHop() netip.Addr { return addr4(a.Value) }

// OriginatorID reads ORIGINATOR_ID (RFC 4456).
func (a Attr) OriginatorID() netip.Addr { return addr4(a.Value) }

// Uint32 reads MULTI_EXIT_DISC or LOCAL_PREF.
func (a Attr) Uint32() uint32 {
	if len(a.Value) != 4 {
		return 0
	}
	return binary.BigEndian.Uint32(a.Value)
}

func addr4(b []byte) netip.Addr {
	if len(b) != 4 {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(b))
}

// Aggregator is the value of AGGREGATOR or AS4_AGGREGATOR.
type Aggregator struct {
	ASN  uint32
	Addr netip.Addr
}

// Aggregator reads AGGREGATOR (2- or 4-octet AS as negotiated) or
// AS4_AGGREGATOR.
func (a Attr) Aggregator() Aggregator {
	switch len(a.Value) {
	case 6:
		return Aggregator{ASN: uint32(binary.BigEndian.Uint16(a.Value)), Addr: addr4(a.Value[2:])}
	case 8:
		return Aggregator{ASN: binary.BigEndian.Uint32(a.Value), Addr: addr4(a.Value[4:])}
	}
	return Aggregator{}
}

// ClusterList reads CLUSTER_LIST (RFC 4456): cluster IDs as IPv4 addresses.
func (a Attr) ClusterList() ClusterList { return ClusterList{b: a.Value} }

// RawAttr is an attribute kept as bytes: one this package does not know,
// passed through as RFC 4271 section 5 says.
type RawAttr struct {
	Flags AttrFlags
	Type  AttrType
	Value []byte
}

// appendAttr appends an attribute header and value, using the extended
// length form when the value needs it.
func appendAttr(dst []byte, flags AttrFlags, t AttrType, value []byte) []byte {
	dst = appendAttrHeader(dst, flags, t, len(value))
	return append(dst, value...)
}

// appendAttrHeader appends flags, type and length for a value of n bytes.
func appendAttrHeader(dst []byte, flags AttrFlags, t AttrType, n int) []byte {
	if n > 255 {
		return append(dst, byte(flags|FlagExtendedLength), byte(t), byte(n>>8), byte(n))
	}
	return append(dst, byte(flags&^FlagExtendedLength), byte(t), byte(n))
}

// ClusterList is a view of a CLUSTER_LIST value.
type ClusterList struct{ b []byte }

// Len is the number of cluster IDs.
func (c ClusterList) Len() int { return len(c.b) / 4 }

// All yields the cluster IDs in order.
func (c ClusterList) All() iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		for i := 0; i+4 <= len(c.b); i += 4 {
			if !yield(netip.AddrFrom4([4]byte(c.b[i : i+4]))) {
				return
			}
		}
	}
}
