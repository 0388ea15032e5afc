package router

import (
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// minFrame is the smallest Ethernet frame without its FCS; ARP frames are
// padded to it.
const minFrame = 60

// inputARP handles an ARP packet (RFC 826): it learns the sender when the
// router is the target or already has the sender cached, and answers
// requests for the router's addresses on the receiving interface.
func (r *Router) inputARP(s *ifaceSet, in *iface, eth header.Ethernet) error {
	r.count(in, ARPReceived)
	a, err := header.ParseARP(eth.Payload())
	if err != nil {
		r.count(in, DropMalformed)
		return err
	}
	sip, tip := a.SenderIP(), a.TargetIP()
	if idx, ok := s.localIndex(sip); ok {
		r.cfg.Logger.Warn("ARP from another host claiming our address", "interface", in.Name, "addr", sip, "mac", a.SenderMAC(), "owner", idx)
		return nil
	}
	idx, ok := s.localIndex(tip)
	mine := ok && idx == in.Index
	if sip.IsValid() && !sip.IsUnspecified() && !martian4(sip) {
		r.neigh.learn(in, sip, a.SenderMAC(), a.Op() == header.ARPReply && mine, true, mine)
	}
	if !mine || a.Op() != header.ARPRequest {
		return nil
	}
	bp := r.scratch()
	defer r.bufs.Put(bp)
	b := (*bp)[:minFrame]
	clear(b)
	if _, err := header.InitEthernet(b, a.SenderMAC(), in.MAC, header.EtherTypeARP); err != nil {
		return nil
	}
	if _, err := header.InitARPReply(b[header.EthernetMinSize:], a, in.MAC); err != nil {
		return nil
	}
	r.send(in, b)
	return nil
}

// sourceFor returns the router's address on out to use towards target:
// one whose subnet contains target, else the interface's preferred one.
func sourceFor(out *iface, target netip.Addr) netip.Addr {
	for _, p := range out.Addrs {
		if p.Contains(target) {
			return p.Addr()
		}
	}
	if target.Is4() {
		return out.addr4
	}
	return out.linkLocal
}

// solicit sends an ARP request or Neighbor Solicitation for target out of
// out, broadcast/multicast or, when unicast is set, to that address (PROBE).
func (r *Router) solicit(out *iface, target netip.Addr, unicast header.MAC) {
	src := sourceFor(out, target)
	if !src.IsValid() {
		return
	}
	if target.Is6() {
		r.sendNS(out, src, target, unicast)
		return
	}
	bp := r.scratch()
	defer r.bufs.Put(bp)
	b := (*bp)[:minFrame]
	clear(b)
	dst := unicast
	if dst.IsZero() {
		dst = header.BroadcastMAC
	}
	if _, err := header.InitEthernet(b, dst, out.MAC, header.EtherTypeARP); err != nil {
		return
	}
	if _, err := header.InitARPRequest(b[header.EthernetMinSize:], out.MAC, src, target); err != nil {
		return
	}
	r.send(out, b)
}

// announce tells the link about address a of out: a gratuitous ARP (RFC
// 5227 section 3) or an unsolicited Neighbor Advertisement (RFC 4861 section
// 7.2.6).
func (r *Router) announce(out *iface, a netip.Addr) {
	if a.Is6() {
		r.sendNA(out, a, allNodes, ipv6MulticastMAC(allNodes), a, header.NDPFlagRouter|header.NDPFlagOverride)
		return
	}
	bp := r.scratch()
	defer r.bufs.Put(bp)
	b := (*bp)[:minFrame]
	clear(b)
	if _, err := header.InitEthernet(b, header.BroadcastMAC, out.MAC, header.EtherTypeARP); err != nil {
		return
	}
	if _, err := header.InitGratuitousARP(b[header.EthernetMinSize:], out.MAC, a); err != nil {
		return
	}
	r.send(out, b)
}
