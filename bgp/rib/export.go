package rib

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// ExportConfig is what the export rules need to know of the session a
// path goes out on.
type ExportConfig struct {
	// LocalAddr is our address on the session: the next hop of paths sent
	// to an eBGP peer, and to an iBGP peer with NextHopSelf.
	LocalAddr   netip.Addr
	NextHopSelf bool // rewrite the next hop of paths sent to an iBGP peer too
}

// Export returns the attributes of path p as they would be sent to peer
// to (its Adj-RIB-Out entry for the prefix), or ok false when the iBGP,
// route reflection (RFC 4456 section 6) or well-known community rules
// (RFC 1997) forbid sending it:
//
//   - never back to the peer it came from; NO_ADVERTISE to nobody;
//     NO_EXPORT not to eBGP peers;
//   - to an eBGP peer: our AS prepended, next hop LocalAddr, LOCAL_PREF,
//     ORIGINATOR_ID and CLUSTER_LIST removed, MED removed when it came from
//     another AS (RFC 4271 section 5.1.4);
//   - to an iBGP peer: a path learned over eBGP carries the LOCAL_PREF the
//     decision process used; a path learned over iBGP goes out only if
//     reflection allows it (from a client to every iBGP peer, from a
//     non-client only to clients), with ORIGINATOR_ID set to the source's
//     router ID if absent and our cluster ID prepended to CLUSTER_LIST;
//     the next hop is kept unless NextHopSelf.
//
// Export allocates: it builds the Attributes an UpdateBuilder encodes.
func (r *RIB) Export(to PeerID, p Path, cfg ExportConfig) (attrs wire.Attributes, ok bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if int(to) >= len(r.peers) || int(p.Peer) >= len(r.peers) || to == p.Peer {
		return wire.Attributes{}, false
	}
	dst, src := &r.peers[to], &r.peers[p.Peer]
	a := p.Attrs.Attributes()
	if slices.Contains(a.Communities, wire.CommunityNoAdvertise) {
		return wire.Attributes{}, false
	}
	if dst.ebgp {
		if slices.Contains(a.Communities, wire.CommunityNoExport) {
			return wire.Attributes{}, false
		}
		a.ASPath = prepend(a.ASPath, r.opts.LocalASN)
		a.NextHop, a.LinkLocal = cfg.LocalAddr, netip.Addr{}
		a.HasLocalPref, a.LocalPref = false, 0
		a.OriginatorID, a.ClusterList = netip.Addr{}, nil
		if src.ebgp {
			a.HasMED, a.MED = false, 0
		}
		return a, true
	}
	if src.ebgp {
		a.HasLocalPref, a.LocalPref = true, r.localPref(candidate{p: &path{attrs: p.Attrs}, peer: src})
	} else {
		if !src.cfg.RRClient && !dst.cfg.RRClient {
			return wire.Attributes{}, false // iBGP split horizon (RFC 4271 section 9.2)
		}
		if !a.OriginatorID.IsValid() {
			a.OriginatorID = src.cfg.RouterID
		}
		a.ClusterList = append([]netip.Addr{r.opts.ClusterID}, a.ClusterList...)
	}
	if cfg.NextHopSelf {
		a.NextHop, a.LinkLocal = cfg.LocalAddr, netip.Addr{}
	}
	return a, true
}

// prepend puts asn in front of the path's first AS_SEQUENCE, or in a new
// one, as an AS does when it sends a path to an eBGP peer.
func prepend(path []wire.Segment, asn uint32) []wire.Segment {
	if len(path) > 0 && path[0].Type == wire.ASSequence && len(path[0].ASNs) < 255 {
		out := slices.Clone(path)
		out[0].ASNs = append([]uint32{asn}, path[0].ASNs...)
		return out
	}
	return append([]wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{asn}}}, path...)
}

// Attributes copies the set into values, as an UpdateBuilder encodes them.
func (s *AttrSet) Attributes() wire.Attributes {
	var a wire.Attributes
	for rec := range records(s.raw) {
		v := rec.value
		switch rec.typ {
		case wire.AttrOrigin:
			a.Origin = s.origin
		case wire.AttrASPath:
			for seg := range wire.ASPathFrom(v, true).Segments() {
				a.ASPath = append(a.ASPath, seg.Value())
			}
		case wire.AttrNextHop:
			a.NextHop = s.nextHop
			if len(v) == 32 {
				a.LinkLocal = netip.AddrFrom16([16]byte(v[16:]))
			}
		case wire.AttrMED:
			a.MED, a.HasMED = s.med, s.hasMED
		case wire.AttrLocalPref:
			a.LocalPref, a.HasLocalPref = s.localPref, s.hasLocalPref
		case wire.AttrAtomicAggregate:
			a.AtomicAggregate = true
		case wire.AttrAggregator:
			if len(v) == 8 {
				a.Aggregator = wire.Aggregator{ASN: binary.BigEndian.Uint32(v), Addr: netip.AddrFrom4([4]byte(v[4:]))}
			}
		case wire.AttrCommunities:
			a.Communities = slices.Collect(s.Communities())
		case wire.AttrOriginatorID:
			a.OriginatorID = s.originatorID
		case wire.AttrClusterList:
			for ; len(v) >= 4; v = v[4:] {
				a.ClusterList = append(a.ClusterList, netip.AddrFrom4([4]byte(v)))
			}
		case wire.AttrExtendedCommunities:
			for ; len(v) >= 8; v = v[8:] {
				a.ExtendedCommunities = append(a.ExtendedCommunities, wire.ExtendedCommunity(v))
			}
		case wire.AttrLargeCommunities:
			a.LargeCommunities = slices.Collect(s.LargeCommunities())
		default:
			a.Unknown = append(a.Unknown, wire.RawAttr{Flags: rec.flags, Type: rec.typ, Value: slices.Clone(v)})
		}
	}
	return a
}
