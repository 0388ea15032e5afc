package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Attributes is the set of path attributes of a route as plain values: what
// an UpdateBuilder encodes and what Update.Attributes copies out of a view
// (for a RIB to keep). Absent optional attributes are zero: a nil slice, an
// invalid netip.Addr, or a false Has* flag.
type Attributes struct {
	Origin Origin
	// ASPath holds 4-octet AS numbers; on a 2-octet session it is sent as
	// AS_PATH with AS_TRANS plus AS4_PATH (RFC 6793 section 4.2.2).
	ASPath []Segment
	// NextHop is the next hop of the announced prefixes: the NEXT_HOP
	// attribute for IPv4 unicast over an IPv4 next hop, the next hop
	// field of MP_REACH_NLRI otherwise. LinkLocal is the optional IPv6
	// link-local next hop beside a global IPv6 NextHop (RFC 2545).
	NextHop, LinkLocal netip.Addr
	MED                uint32
	HasMED             bool
	LocalPref          uint32
	HasLocalPref       bool
	AtomicAggregate    bool
	// Aggregator is present when Aggregator.Addr is valid.
	Aggregator          Aggregator
	Communities         []Community
	OriginatorID        netip.Addr
	ClusterList         []netip.Addr
	ExtendedCommunities []ExtendedCommunity
	LargeCommunities    []LargeCommunity
	// Unknown holds optional transitive attributes this package does not
	// know, passed on with the Partial bit set (RFC 4271 section 5).
	// Unknown optional non-transitive attributes are dropped.
	Unknown []RawAttr
}

// Attributes copies the attributes of the UPDATE into values (this
// allocates; the hot path uses the views). The AS path and aggregator are
// in 4-octet form (Update.ASPath, Update.Aggregator); NextHop comes from
// MP_REACH_NLRI when present, else from NEXT_HOP. Unknown attributes keep
// their flags, with the Partial bit set as they are now passed on.
func (u *Update) Attributes() Attributes {
	var at Attributes
	for a := range u.Attrs() {
		switch a.Type {
		case AttrOrigin:
			at.Origin = a.Origin()
		case AttrNextHop:
			if !at.NextHop.IsValid() {
				at.NextHop = a.NextHop()
			}
		case AttrMED:
			at.MED, at.HasMED = a.Uint32(), true
		case AttrLocalPref:
			at.LocalPref, at.HasLocalPref = a.Uint32(), true
		case AttrAtomicAggregate:
			at.AtomicAggregate = true
		case AttrCommunities:
			for c := range a.Communities().All() {
				at.Communities = append(at.Communities, c)
			}
		case AttrOriginatorID:
			at.OriginatorID = a.OriginatorID()
		case AttrClusterList:
			for c := range a.ClusterList().All() {
				at.ClusterList = append(at.ClusterList, c)
			}
		case AttrMPReachNLRI:
			if m, ok := a.MPReach(); ok && m.NextHop.IsValid() {
				at.NextHop, at.LinkLocal = m.NextHop, m.LinkLocal
			}
		case AttrExtendedCommunities:
			for c := range a.ExtendedCommunities().All() {
				at.ExtendedCommunities = append(at.ExtendedCommunities, c)
			}
		case AttrLargeCommunities:
			for c := range a.LargeCommunities().All() {
				at.LargeCommunities = append(at.LargeCommunities, c)
			}
		case AttrASPath, AttrAggregator, AttrMPUnreachNLRI, AttrAS4Path, AttrAS4Aggregator:
			// below, or not a path attribute of the route
		default:
			if a.Flags&(FlagOptional|FlagTransitive) == FlagOptional|FlagTransitive {
				v := append([]byte(nil), a.Value...)
				at.Unknown = append(at.Unknown, RawAttr{Flags: (a.Flags | FlagPartial) & attrFlagsPassed, Type: a.Type, Value: v})
			}
		}
	}
	if p, _, ok := u.ASPath(nil); ok {
		for s := range p.Segments() {
			at.ASPath = append(at.ASPath, s.Value())
		}
	}
	if agg, ok := u.Aggregator(); ok {
		at.Aggregator = agg
	}
	return at
}

// attrFlagsPassed are the flags an unknown attribute keeps when passed on:
// the length form is chosen anew and the unused low bits are sent as zero
// (RFC 4271 section 4.3).
const attrFlagsPassed = FlagOptional | FlagTransitive | FlagPartial

// EncodeOptions is the negotiated session state encoding depends on.
type EncodeOptions struct {
	AS4             bool      // 4-octet AS numbers (RFC 6793)
	ExtendedMessage bool      // messages up to 65535 bytes (RFC 8654)
	AddPath         FamilySet // families whose sent NLRI carry path identifiers (RFC 7911)
	ExtendedNextHop FamilySet // families the peer accepts an IPv6 next hop for (RFC 8950)
}

func (o *EncodeOptions) maxLen() int {
	if o.ExtendedMessage {
		return MaxExtendedMessageLen
	}
	return MaxMessageLen
}

// appendAttrs appends every attribute except MP_REACH/MP_UNREACH_NLRI, in
// type order (RFC 4271 section 5). withNextHop adds NEXT_HOP.
func (at *Attributes) appendAttrs(dst []byte, o *EncodeOptions, withNextHop bool) ([]byte, error) {
	var err error
	dst = append(dst, byte(FlagTransitive), byte(AttrOrigin), 1, byte(at.Origin))
	dst, err = appendASPathAttr(dst, AttrASPath, FlagTransitive, at.ASPath, o.AS4, false)
	if err != nil {
		return dst, err
	}
	if withNextHop {
		if !at.NextHop.Is4() {
			return dst, fmt.Errorf("bgp: NEXT_HOP %v is not IPv4: %w", at.NextHop, ErrValue)
		}
		a := at.NextHop.As4()
		dst = appendAttr(dst, FlagTransitive, AttrNextHop, a[:])
	}
	if at.HasMED {
		dst = append(dst, byte(FlagOptional), byte(AttrMED), 4)
		dst = binary.BigEndian.AppendUint32(dst, at.MED)
	}
	if at.HasLocalPref {
		dst = append(dst, byte(FlagTransitive), byte(AttrLocalPref), 4)
		dst = binary.BigEndian.AppendUint32(dst, at.LocalPref)
	}
	if at.AtomicAggregate {
		dst = append(dst, byte(FlagTransitive), byte(AttrAtomicAggregate), 0)
	}
	agg := at.Aggregator
	if agg.Addr.IsValid() {
		if !agg.Addr.Is4() {
			return dst, fmt.Errorf("bgp: AGGREGATOR address %v is not IPv4: %w", agg.Addr, ErrValue)
		}
		ip := agg.Addr.As4()
		if o.AS4 {
			dst = append(dst, byte(FlagOptional|FlagTransitive), byte(AttrAggregator), 8)
			dst = binary.BigEndian.AppendUint32(dst, agg.ASN)
		} else {
			as := agg.ASN
			if as > 0xffff {
				as = ASTrans
			}
			dst = append(dst, byte(FlagOptional|FlagTransitive), byte(AttrAggregator), 6)
			dst = binary.BigEndian.AppendUint16(dst, uint16(as))
		}
		dst = append(dst, ip[:]...)
	}
	if len(at.Communities) > 0 {
		dst = appendAttrHeader(dst, FlagOptional|FlagTransitive, AttrCommunities, 4*len(at.Communities))
		for _, c := range at.Communities {
			dst = binary.BigEndian.AppendUint32(dst, uint32(c))
		}
	}
	if at.OriginatorID.IsValid() {
		if !at.OriginatorID.Is4() {
			return dst, fmt.Errorf("bgp: ORIGINATOR_ID %v is not IPv4: %w", at.OriginatorID, ErrValue)
		}
		a := at.OriginatorID.As4()
		dst = appendAttr(dst, FlagOptional, AttrOriginatorID, a[:])
	}
	if len(at.ClusterList) > 0 {
		dst = appendAttrHeader(dst, FlagOptional, AttrClusterList, 4*len(at.ClusterList))
		for _, c := range at.ClusterList {
			if !c.Is4() {
				return dst, fmt.Errorf("bgp: CLUSTER_LIST entry %v is not IPv4: %w", c, ErrValue)
			}
			a := c.As4()
			dst = append(dst, a[:]...)
		}
	}
	if len(at.ExtendedCommunities) > 0 {
		dst = appendAttrHeader(dst, FlagOptional|FlagTransitive, AttrExtendedCommunities, 8*len(at.ExtendedCommunities))
		for _, c := range at.ExtendedCommunities {
			dst = append(dst, c[:]...)
		}
	}
	if !o.AS4 && needsAS4Path(at.ASPath) {
		dst, err = appendASPathAttr(dst, AttrAS4Path, FlagOptional|FlagTransitive, at.ASPath, true, true)
		if err != nil {
			return dst, err
		}
	}
	if !o.AS4 && agg.Addr.IsValid() && agg.ASN > 0xffff {
		ip := agg.Addr.As4()
		dst = append(dst, byte(FlagOptional|FlagTransitive), byte(AttrAS4Aggregator), 8)
		dst = binary.BigEndian.AppendUint32(dst, agg.ASN)
		dst = append(dst, ip[:]...)
	}
	if len(at.LargeCommunities) > 0 {
		dst = appendAttrHeader(dst, FlagOptional|FlagTransitive, AttrLargeCommunities, 12*len(at.LargeCommunities))
		for _, c := range at.LargeCommunities {
			dst = binary.BigEndian.AppendUint32(dst, c.GlobalAdmin)
			dst = binary.BigEndian.AppendUint32(dst, c.LocalData1)
			dst = binary.BigEndian.AppendUint32(dst, c.LocalData2)
		}
	}
	for _, r := range at.Unknown {
		if _, known := r.Type.wantFlags(); known || r.Flags&(FlagOptional|FlagTransitive) != FlagOptional|FlagTransitive {
			return dst, fmt.Errorf("bgp: %v with flags %#x cannot be passed on as unknown: %w", r.Type, uint8(r.Flags), ErrValue)
		}
		if len(r.Value) > 0xffff {
			return dst, fmt.Errorf("bgp: %v of %d bytes: %w", r.Type, len(r.Value), ErrTooLarge)
		}
		dst = appendAttr(dst, (r.Flags|FlagPartial)&attrFlagsPassed, r.Type, r.Value)
	}
	return dst, nil
}

// appendASPathAttr appends an AS_PATH or AS4_PATH attribute.
func appendASPathAttr(dst []byte, t AttrType, flags AttrFlags, segs []Segment, as4, skipConfed bool) ([]byte, error) {
	start := len(dst)
	dst = append(dst, byte(flags|FlagExtendedLength), byte(t), 0, 0)
	dst, err := appendSegments(dst, segs, as4, skipConfed)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - start - 4
	if n > 0xffff {
		return dst[:start], fmt.Errorf("bgp: %v of %d bytes: %w", t, n, ErrTooLarge)
	}
	if n <= 255 { // use the short form: shift the value left one octet
		copy(dst[start+3:], dst[start+4:])
		dst = dst[:len(dst)-1]
		dst[start] = byte(flags)
		dst[start+2] = byte(n)
		return dst, nil
	}
	binary.BigEndian.PutUint16(dst[start+2:], uint16(n))
	return dst, nil
}
