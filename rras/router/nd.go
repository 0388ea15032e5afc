package router

import (
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

var (
	allNodes            = netip.MustParseAddr("ff02::1")
	allRouters          = netip.MustParseAddr("ff02::2")
	solicitedNodePrefix = netip.MustParseAddr("ff02::1:ff00:0")
)

// solicitedNode returns the solicited-node multicast address of a (RFC 4291
// section 2.7.1).
func solicitedNode(a netip.Addr) netip.Addr {
	b := solicitedNodePrefix.As16()
	t := a.As16()
	b[13], b[14], b[15] = t[13], t[14], t[15]
	return netip.AddrFrom16(b)
}

// ipv6MulticastMAC maps an IPv6 multicast group to its Ethernet address
// (RFC 2464 section 7).
func ipv6MulticastMAC(g netip.Addr) header.MAC {
	b := g.As16()
	return header.MAC{0x33, 0x33, b[12], b[13], b[14], b[15]}
}

// ndValid checks what RFC 4861 sections 7.1.1 and 7.1.2 require of every
// received NS and NA: hop limit 255 and code 0 (the checksum and length are
// checked by the caller and the parser).
func ndValid(ip header.IPv6, m header.ICMPv6) bool {
	return ip.HopLimit() == 255 && m.Code() == 0 && !m.Target().IsMulticast() && m.Target().IsValid()
}

// linkAddrOption returns the link-layer address option of type typ, and
// false if the options are malformed (the message must then be dropped).
func linkAddrOption(m header.ICMPv6, typ uint8) (mac header.MAC, found, ok bool) {
	for o, err := range m.NDPOptions() {
		if err != nil {
			return mac, false, false
		}
		if o.Type == typ {
			if mac, found = o.LinkAddr(); !found {
				return mac, false, false
			}
		}
	}
	return mac, found, true
}

// inputNS handles a Neighbor Solicitation (RFC 4861 section 7.2.3): for one
// of the router's addresses on this interface it learns the sender and
// answers with a solicited Neighbor Advertisement.
func (r *Router) inputNS(s *ifaceSet, in *iface, frame []byte, ip header.IPv6, m header.ICMPv6) error {
	r.count(in, NDReceived)
	src, dst, target := ip.Source(), ip.Destination(), m.Target()
	slla, hasSLLA, ok := linkAddrOption(m, header.NDPOptionSourceLinkAddr)
	if !ndValid(ip, m) || !ok || src.IsUnspecified() && (hasSLLA || dst != solicitedNode(target)) {
		r.count(in, DropMalformed)
		return nil
	}
	if idx, mine := s.localIndex(target); !mine || idx != in.Index {
		return nil
	}
	if src.IsUnspecified() {
		// Duplicate address detection by another node: defend the
		// address to all nodes (section 7.2.4).
		r.sendNA(in, target, allNodes, ipv6MulticastMAC(allNodes), target, header.NDPFlagRouter|header.NDPFlagOverride)
		return nil
	}
	if hasSLLA {
		r.neigh.learn(in, src, slla, false, true, true)
	} else {
		slla = header.Ethernet(frame).Source()
	}
	r.sendNA(in, target, src, slla, target, header.NDPFlagRouter|header.NDPFlagSolicited|header.NDPFlagOverride)
	return nil
}

// inputNA handles a Neighbor Advertisement (RFC 4861 section 7.2.5).
func (r *Router) inputNA(s *ifaceSet, in *iface, ip header.IPv6, m header.ICMPv6) error {
	r.count(in, NDReceived)
	flags := m.NDPFlags()
	solicited := flags&header.NDPFlagSolicited != 0
	tlla, hasTLLA, ok := linkAddrOption(m, header.NDPOptionTargetLinkAddr)
	if !ndValid(ip, m) || !ok || ip.Destination().IsMulticast() && solicited {
		r.count(in, DropMalformed)
		return nil
	}
	target := m.Target()
	if idx, mine := s.localIndex(target); mine {
		r.cfg.Logger.Warn("neighbor advertisement for our address", "interface", in.Name, "addr", target, "mac", tlla, "owner", idx)
		return nil
	}
	if !hasTLLA {
		n := r.neigh.get(neighborKey{in.Index, target})
		if n == nil || NeighborState(n.state.Load()) == StateIncomplete {
			return nil
		}
		tlla = n.macAddr()
	}
	r.neigh.learn(in, target, tlla, solicited, flags&header.NDPFlagOverride != 0, false)
	return nil
}

// sendNS sends a Neighbor Solicitation for target from src, to its
// solicited-node group or, when unicast is set, to target itself.
func (r *Router) sendNS(out *iface, src, target netip.Addr, unicast header.MAC) {
	dst, mac := solicitedNode(target), ipv6MulticastMAC(solicitedNode(target))
	if !unicast.IsZero() {
		dst, mac = target, unicast
	}
	r.sendND(out, header.ICMPv6NeighborSolicitation, src, dst, mac, target, 0, header.NDPOptionSourceLinkAddr)
}

// sendNA sends a Neighbor Advertisement for target with the given flags and
// a Target Link-Layer Address option.
func (r *Router) sendNA(out *iface, src, dst netip.Addr, mac header.MAC, target netip.Addr, flags uint8) {
	r.sendND(out, header.ICMPv6NeighborAdvert, src, dst, mac, target, flags, header.NDPOptionTargetLinkAddr)
}

func (r *Router) sendND(out *iface, typ uint8, src, dst netip.Addr, mac header.MAC, target netip.Addr, flags, opt uint8) {
	bp := r.scratch()
	defer r.bufs.Put(bp)
	const mlen = header.NDPNSSize + 8
	b := (*bp)[:header.EthernetMinSize+header.IPv6Size+mlen]
	if _, err := header.InitEthernet(b, mac, out.MAC, header.EtherTypeIPv6); err != nil {
		return
	}
	ip, err := header.InitIPv6(b[header.EthernetMinSize:])
	if err != nil {
		return
	}
	ip.SetNextHeader(header.ProtocolICMPv6)
	ip.SetHopLimit(255)
	ip.SetSource(src)
	ip.SetDestination(dst)
	m, err := header.InitICMPv6(ip[header.IPv6Size:], typ, 0)
	if err != nil {
		return
	}
	m.SetTarget(target)
	if typ == header.ICMPv6NeighborAdvert {
		m.SetNDPFlags(flags)
	}
	header.AppendLinkAddrOption(m[:header.NDPNSSize], opt, out.MAC)
	m.SetChecksum(m.ComputeChecksum(checksum.PseudoHeader(src, dst, header.ProtocolICMPv6, len(m))))
	r.count(out, ICMPSent)
	r.send(out, b)
}
