package wire

import (
	"encoding/binary"
	"iter"
	"net/netip"
)

// MPReach is a view of an MP_REACH_NLRI value (RFC 4760 section 3).
//
// NextHop is the global next hop; LinkLocal is the IPv6 link-local next hop
// when the next hop field holds two addresses (RFC 2545). An IPv4 unicast
// MP_REACH may carry an IPv6 next hop (RFC 8950). For families this package
// does not decode (Family.Known is false), NextHop is invalid and NLRI yields
// nothing; RawNextHop and RawNLRI still give the bytes.
type MPReach struct {
	Family     Family
	NextHop    netip.Addr
	LinkLocal  netip.Addr
	RawNextHop []byte
	RawNLRI    []byte
	addPath    bool
}

// MPUnreach is a view of an MP_UNREACH_NLRI value (RFC 4760 section 4).
type MPUnreach struct {
	Family  Family
	RawNLRI []byte
	addPath bool
}

// MPReach reads MP_REACH_NLRI. ok is false if the value is too short for
// its own next hop field.
func (a Attr) MPReach() (m MPReach, ok bool) {
	v := a.Value
	if len(v) < 5 {
		return MPReach{}, false
	}
	m.Family = Family{AFI(binary.BigEndian.Uint16(v)), SAFI(v[2])}
	nhl := int(v[3])
	if 4+nhl+1 > len(v) {
		return MPReach{}, false
	}
	m.RawNextHop = v[4 : 4+nhl]
	m.RawNLRI = v[4+nhl+1:] // one reserved octet (formerly SNPAs) skipped
	m.addPath = a.addPath.Has(m.Family)
	if m.Family.Known() {
		switch nhl {
		case 4:
			m.NextHop = netip.AddrFrom4([4]byte(m.RawNextHop))
		case 16:
			m.NextHop = netip.AddrFrom16([16]byte(m.RawNextHop))
		case 32:
			m.NextHop = netip.AddrFrom16([16]byte(m.RawNextHop))
			m.LinkLocal = netip.AddrFrom16([16]byte(m.RawNextHop[16:]))
		}
	}
	return m, true
}

// MPUnreach reads MP_UNREACH_NLRI. ok is false if the value is shorter than
// its AFI and SAFI.
func (a Attr) MPUnreach() (m MPUnreach, ok bool) {
	v := a.Value
	if len(v) < 3 {
		return MPUnreach{}, false
	}
	m.Family = Family{AFI(binary.BigEndian.Uint16(v)), SAFI(v[2])}
	m.RawNLRI = v[3:]
	m.addPath = a.addPath.Has(m.Family)
	return m, true
}

// NLRI yields the reachable prefixes.
func (m MPReach) NLRI() iter.Seq[NLRI] {
	return prefixes(m.RawNLRI, m.Family, m.addPath)
}

// NLRI yields the withdrawn prefixes.
func (m MPUnreach) NLRI() iter.Seq[NLRI] {
	return prefixes(m.RawNLRI, m.Family, m.addPath)
}

// nextHopOK reports whether the next hop length suits the family: 4 for
// IPv4, 16 or 32 for IPv6, and 16 or 32 for IPv4 when the extended next hop
// capability allows it (RFC 8950). Unknown families are not checked.
func (m MPReach) nextHopOK(extNH FamilySet) bool {
	if !m.Family.Known() {
		return true
	}
	l := len(m.RawNextHop)
	if m.Family.AFI == AFIIPv4 {
		return l == 4 || (extNH.Has(m.Family) && (l == 16 || l == 32))
	}
	return l == 16 || l == 32
}
