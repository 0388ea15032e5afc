package bgp

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// syncRoutes sends the peer the difference between the speaker's
// announced prefixes and what it already has from us (c.sent, the
// Adj-RIB-Out of this session).
func (p *peer) syncRoutes(c *conn) {
	fams := c.families(p)
	p.s.mu.RLock()
	type group struct {
		fam   wire.Family
		attrs *wire.Attributes
	}
	announce := map[group][]wire.NLRI{}
	for pfx, a := range p.s.table {
		fam := familyOf(pfx)
		if !slices.Contains(fams, fam) || c.sent[pfx] == a {
			continue
		}
		g := group{fam, a}
		announce[g] = append(announce[g], wire.NLRI{Prefix: pfx, PathID: c.pathID(fam)})
	}
	withdraw := map[wire.Family][]wire.NLRI{}
	for pfx := range c.sent {
		if _, ok := p.s.table[pfx]; !ok {
			fam := familyOf(pfx)
			withdraw[fam] = append(withdraw[fam], wire.NLRI{Prefix: pfx, PathID: c.pathID(fam)})
		}
	}
	p.s.mu.RUnlock()

	// Every UPDATE of one sync goes into one batch, so a large table
	// takes one slot of the send queue, not one per attribute set.
	var batch []byte
	for fam, nlri := range withdraw {
		b := wire.UpdateBuilder{Family: fam, Withdrawn: nlri}
		out, _, err := b.Append(batch, &c.enc)
		if err != nil {
			p.log.Error("encoding withdrawal", "family", fam, "err", err)
			continue
		}
		batch = out
		for _, n := range nlri {
			delete(c.sent, n.Prefix)
		}
	}
	for g, nlri := range announce {
		attrs, ok := p.exportAttrs(c, g.fam, g.attrs)
		if !ok {
			p.log.Warn("no next hop of the prefix's family on this session; not announced", "family", g.fam, "prefixes", len(nlri))
			continue
		}
		if p.cfg.Export != nil {
			batch = p.announceEach(c, batch, g.fam, g.attrs, attrs, nlri)
			continue
		}
		b := wire.UpdateBuilder{Family: g.fam, Attrs: &attrs, NLRI: nlri}
		out, _, err := b.Append(batch, &c.enc)
		if err != nil {
			p.log.Error("encoding announcement", "family", g.fam, "err", err)
			continue
		}
		batch = out
		for _, n := range nlri {
			c.sent[n.Prefix] = g.attrs
		}
	}
	if p.s.cfg.AdvertiseLearned && p.s.cfg.RIB != nil {
		batch = p.syncLearned(c, batch)
	}
	if len(batch) > 0 {
		c.send(p, batch)
	}
}

// announceEach appends the UPDATEs of nlri one prefix at a time through
// the peer's export policy: a prefix the policy rejects is withdrawn if
// the peer has it, the others go with the policy's changes.
func (p *peer) announceEach(c *conn, batch []byte, fam wire.Family, base *wire.Attributes, attrs wire.Attributes, nlri []wire.NLRI) []byte {
	for _, n := range nlri {
		out, ok := p.exportPolicy(n.Prefix, attrs)
		b := wire.UpdateBuilder{Family: fam, Attrs: &out, NLRI: []wire.NLRI{n}}
		if !ok {
			if _, had := c.sent[n.Prefix]; !had {
				continue
			}
			b = wire.UpdateBuilder{Family: fam, Withdrawn: []wire.NLRI{n}}
		}
		next, _, err := b.Append(batch, &c.enc)
		if err != nil {
			p.log.Error("encoding an UPDATE after the export policy", "prefix", n.Prefix, "err", err)
			continue
		}
		batch = next
		if ok {
			c.sent[n.Prefix] = base
		} else {
			delete(c.sent, n.Prefix)
		}
	}
	return batch
}

// pathID is the ADD-PATH path identifier of our routes of fam on c: we
// announce one path per prefix, as path 1 where the peer takes path
// identifiers (RFC 7911), and without one elsewhere.
func (c *conn) pathID(fam wire.Family) uint32 {
	if c.enc.AddPath.Has(fam) {
		return 1
	}
	return 0
}

func familyOf(p netip.Prefix) wire.Family {
	if p.Addr().Is4() {
		return wire.IPv4Unicast
	}
	return wire.IPv6Unicast
}

// exportAttrs adapts announced attributes to a session (RFC 4271 section
// 5.1): our AS first in the AS path and no LOCAL_PREF, ORIGINATOR_ID or
// CLUSTER_LIST toward eBGP, LOCAL_PREF toward iBGP, and our address as
// next hop when none was given. ok is false when the session has no
// usable next hop for the family.
func (p *peer) exportAttrs(c *conn, fam wire.Family, base *wire.Attributes) (wire.Attributes, bool) {
	a := *base
	if p.cfg.ebgp() {
		a.ASPath = prependAS(p.cfg.LocalASN, base.ASPath)
		a.HasLocalPref, a.LocalPref = false, 0
		a.OriginatorID, a.ClusterList = netip.Addr{}, nil
	} else if !a.HasLocalPref {
		a.HasLocalPref, a.LocalPref = true, 100
	}
	if !a.NextHop.IsValid() {
		nh := c.link.local.Addr()
		switch {
		case fam.AFI == wire.AFIIPv4 && nh.Is4(), fam.AFI == wire.AFIIPv6 && nh.Is6():
		case fam.AFI == wire.AFIIPv4 && nh.Is6() && c.enc.ExtendedNextHop.Has(fam):
		default:
			return a, false
		}
		a.NextHop = nh
	}
	return a, true
}

func prependAS(asn uint32, path []wire.Segment) []wire.Segment {
	if len(path) > 0 && path[0].Type == wire.ASSequence && len(path[0].ASNs) < 255 {
		out := slices.Clone(path)
		out[0].ASNs = append([]uint32{asn}, path[0].ASNs...)
		return out
	}
	return append([]wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{asn}}}, path...)
}

// attrSet is one distinct set of announced attributes with the number of
// prefixes of Speaker.table using it.
type attrSet struct {
	attrs *wire.Attributes
	refs  int
}

// releaseAttrs drops one prefix's use of a, forgetting its set with the
// last. Called with s.mu held.
func (s *Speaker) releaseAttrs(a *wire.Attributes) {
	key := attrsKey(a)
	if set := s.attrSets[key]; set != nil && set.attrs == a {
		if set.refs--; set.refs == 0 {
			delete(s.attrSets, key)
		}
	}
}

// attrsKey encodes every field of a, so that two attribute sets have the
// same key exactly when they are equal.
func attrsKey(a *wire.Attributes) string {
	b := make([]byte, 0, 64)
	u32 := binary.BigEndian.AppendUint32
	n := func(b []byte, l int) []byte { return binary.AppendUvarint(b, uint64(l)) }
	addr := func(b []byte, x netip.Addr) []byte {
		m, _ := x.MarshalBinary() // 0, 4 or 16 octets, then the zone
		return append(n(b, len(m)), m...)
	}
	flag := func(b []byte, f bool) []byte {
		if f {
			return append(b, 1)
		}
		return append(b, 0)
	}
	b = append(b, byte(a.Origin))
	b = n(b, len(a.ASPath))
	for _, s := range a.ASPath {
		b = n(append(b, byte(s.Type)), len(s.ASNs))
		for _, asn := range s.ASNs {
			b = u32(b, asn)
		}
	}
	b = addr(addr(b, a.NextHop), a.LinkLocal)
	b = flag(u32(b, a.MED), a.HasMED)
	b = flag(u32(b, a.LocalPref), a.HasLocalPref)
	b = flag(b, a.AtomicAggregate)
	b = addr(u32(b, a.Aggregator.ASN), a.Aggregator.Addr)
	b = n(b, len(a.Communities))
	for _, c := range a.Communities {
		b = u32(b, uint32(c))
	}
	b = addr(b, a.OriginatorID)
	b = n(b, len(a.ClusterList))
	for _, c := range a.ClusterList {
		b = addr(b, c)
	}
	b = n(b, len(a.ExtendedCommunities))
	for _, c := range a.ExtendedCommunities {
		b = append(b, c[:]...)
	}
	b = n(b, len(a.LargeCommunities))
	for _, c := range a.LargeCommunities {
		b = u32(u32(u32(b, c.GlobalAdmin), c.LocalData1), c.LocalData2)
	}
	b = n(b, len(a.Unknown))
	for _, u := range a.Unknown {
		b = append(n(append(b, byte(u.Flags), byte(u.Type)), len(u.Value)), u.Value...)
	}
	return string(b)
}

// cloneAttrs deep-copies attributes given by the caller.
func cloneAttrs(a wire.Attributes) *wire.Attributes {
	c := a
	c.ASPath = nil
	for _, s := range a.ASPath {
		c.ASPath = append(c.ASPath, wire.Segment{Type: s.Type, ASNs: slices.Clone(s.ASNs)})
	}
	c.Communities = slices.Clone(a.Communities)
	c.ClusterList = slices.Clone(a.ClusterList)
	c.ExtendedCommunities = slices.Clone(a.ExtendedCommunities)
	c.LargeCommunities = slices.Clone(a.LargeCommunities)
	c.Unknown = nil
	for _, u := range a.Unknown {
		c.Unknown = append(c.Unknown, wire.RawAttr{Flags: u.Flags, Type: u.Type, Value: slices.Clone(u.Value)})
	}
	return &c
}
