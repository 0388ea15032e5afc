package router

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Input processes one Ethernet frame received on interface ifIndex:
// it forwards IP packets (rewriting frame in place and handing it to the
// Output), answers ARP, Neighbor Discovery and echo requests for the
// router's addresses, and generates ICMP errors. frame is not retained
// after Input returns (a packet waiting for neighbor resolution is copied).
//
// Input returns an error only for a frame that does not parse (a
// *header.Error saying where) or an unknown interface; every other drop is
// counted (see Counter). It never panics, whatever frame holds.
func (r *Router) Input(ifIndex int, frame []byte) error { return r.input(ifIndex, frame, 0) }

// input is Input of a frame, or of a super-frame with its mss (InputSuper).
func (r *Router) input(ifIndex int, frame []byte, mss int) error {
	s := r.ifs.Load()
	in := s.get(ifIndex)
	if in == nil {
		r.global[RxFrames].Add(1)
		return ErrUnknownInterface
	}
	r.count(in, RxFrames)
	eth, err := header.ParseEthernet(frame)
	if err != nil {
		r.count(in, DropMalformed)
		return err
	}
	if eth.Tags() != 0 {
		r.count(in, DropUnsupported)
		return nil
	}
	dst := eth.Destination()
	bcast := dst.IsBroadcast()
	if dst != in.MAC && !dst.IsMulticast() {
		r.count(in, DropNotForUs)
		return nil
	}
	switch eth.EtherType() {
	case header.EtherTypeIPv4:
		if dst.IsMulticast() && !bcast {
			r.count(in, DropNotForUs)
			return nil
		}
		return r.input4(s, in, frame, bcast, mss)
	case header.EtherTypeIPv6:
		if bcast {
			r.count(in, DropNotForUs)
			return nil
		}
		return r.input6(s, in, frame, dst.IsMulticast())
	case header.EtherTypeARP:
		if dst.IsMulticast() && !bcast {
			r.count(in, DropNotForUs)
			return nil
		}
		return r.inputARP(s, in, eth)
	}
	r.count(in, DropUnsupported)
	return nil
}

// martian4 reports whether a cannot be the source of a forwarded packet
// (RFC 1812 section 5.3.7): unspecified (0/8), loopback, multicast, class E
// and limited broadcast.
func martian4(a netip.Addr) bool {
	b := a.As4()
	return b[0] == 0 || b[0] == 127 || b[0] >= 224
}

func (r *Router) input4(s *ifaceSet, in *iface, frame []byte, bcast bool, mss int) error {
	const eh = header.EthernetMinSize
	ip, err := header.ParseIPv4(frame[eh:])
	if err != nil {
		r.count(in, DropMalformed)
		return err
	}
	if !ip.ValidChecksum() {
		r.count(in, DropBadChecksum)
		return nil
	}
	frame = frame[:eh+len(ip)]
	translated := false
	if r.cfg.NAT != nil && in.NAT != NATNone {
		var consumed bool
		if translated, consumed = r.natIngress(s, in, ip); consumed {
			return nil
		}
	}
	dst := ip.Destination()
	if _, ok := s.localIndex(dst); ok {
		r.local4(s, in, frame, ip)
		return nil
	}
	if bcast || martian4(dst) {
		// Link-layer broadcasts are never forwarded (RFC 1812 section
		// 5.3.4), nor are multicast or broadcast destinations.
		r.count(in, DropNotForUs)
		return nil
	}
	if _, own := s.localIndex(ip.Source()); own && !translated || martian4(ip.Source()) {
		// (A hairpinned packet's source is the NAT's external address,
		// which may be the router's own.)
		r.count(in, DropMartian)
		return nil
	}
	if ip.TTL() <= 1 {
		r.count(in, DropTTLExceeded)
		r.icmpError4(s, in, ip, header.ICMPv4TimeExceeded, 0, 0)
		return nil
	}
	p, set, ok := r.fib.LookupPrefix(dst)
	if !ok {
		r.count(in, DropNoRoute)
		r.icmpError4(s, in, ip, header.ICMPv4DestUnreach, 0, 0)
		return nil
	}
	hi := set.pick(FlowHash4(ip, r.cfg.HashSeed))
	hop := set.Hops[hi]
	if !hop.Addr.IsValid() && directedBroadcast(p, dst) {
		// Directed broadcasts are not forwarded (RFC 2644).
		r.count(in, DropNotForUs)
		return nil
	}
	out, nh := r.nextHop(s, hop, dst)
	if out == nil {
		r.count(in, DropNoRoute)
		r.icmpError4(s, in, ip, header.ICMPv4DestUnreach, 1, 0)
		return nil
	}
	size := len(ip)
	if mss > 0 {
		size, mss = superSegmentLen(ip, mss)
	}
	if size > out.MTU && ip.DontFragment() {
		r.count(in, DropTooBig)
		r.icmpError4(s, in, ip, header.ICMPv4DestUnreach, header.ICMPv4FragNeededCode, uint16(out.MTU))
		return nil
	}
	if r.cfg.NAT != nil && !r.natEgress(s, in, out, ip) {
		return nil
	}
	if size > out.MTU {
		ip.DecrementTTL()
		r.count(in, Forwarded)
		r.fragment4(out, nh, ip, in.Index)
		return nil
	}
	ip.DecrementTTL()
	r.count(in, Forwarded)
	r.transmitCached(out, nh, frame, in.Index, set, hi, mss)
	return nil
}

// directedBroadcast reports whether dst is the broadcast address of the
// connected subnet p (all host bits set, for subnets shorter than /31).
func directedBroadcast(p netip.Prefix, dst netip.Addr) bool {
	if p.Bits() >= 31 {
		return false
	}
	b := dst.As4()
	a := binary.BigEndian.Uint32(b[:])
	return a|(1<<(32-p.Bits())-1) == a
}

func (r *Router) input6(s *ifaceSet, in *iface, frame []byte, mcast bool) error {
	const eh = header.EthernetMinSize
	ip, err := header.ParseIPv6(frame[eh:])
	if err != nil {
		r.count(in, DropMalformed)
		return err
	}
	frame = frame[:eh+len(ip)]
	src, dst := ip.Source(), ip.Destination()
	if src.IsMulticast() {
		r.count(in, DropMartian)
		return nil
	}
	if dst.IsMulticast() {
		if r.listening6(s, in, dst) {
			return r.local6(s, in, frame, ip)
		}
		r.count(in, DropNotForUs)
		return nil
	}
	if _, ok := s.localIndex(dst); ok {
		return r.local6(s, in, frame, ip)
	}
	if mcast {
		r.count(in, DropNotForUs)
		return nil
	}
	if _, own := s.localIndex(src); own || src.IsUnspecified() || src.IsLoopback() || dst.IsLoopback() || dst.IsUnspecified() || dst.IsLinkLocalUnicast() || dst.Is4In6() {
		r.count(in, DropMartian)
		return nil
	}
	if src.IsLinkLocalUnicast() {
		// A link-local source must not leave its link (RFC 4291 section
		// 2.5.6): destination unreachable, beyond scope of source address.
		r.count(in, DropMartian)
		r.icmpError6(s, in, ip, header.ICMPv6DestUnreach, 2, 0)
		return nil
	}
	if ip.HopLimit() <= 1 {
		r.count(in, DropTTLExceeded)
		r.icmpError6(s, in, ip, header.ICMPv6TimeExceeded, 0, 0)
		return nil
	}
	set, ok := r.fib.Lookup(dst)
	if !ok {
		r.count(in, DropNoRoute)
		r.icmpError6(s, in, ip, header.ICMPv6DestUnreach, 0, 0)
		return nil
	}
	hi := set.pick(FlowHash6(ip, r.cfg.HashSeed))
	out, nh := r.nextHop(s, set.Hops[hi], dst)
	if out == nil {
		r.count(in, DropNoRoute)
		r.icmpError6(s, in, ip, header.ICMPv6DestUnreach, 3, 0)
		return nil
	}
	if len(ip) > out.MTU {
		r.count(in, DropTooBig)
		r.icmpError6(s, in, ip, header.ICMPv6PacketTooBig, 0, uint32(out.MTU))
		return nil
	}
	ip.DecrementHopLimit()
	r.count(in, Forwarded)
	r.transmitCached(out, nh, frame, in.Index, set, hi, 0)
	return nil
}

// nextHop returns the egress interface and the neighbor to send to for hop
// and a packet to dst; nil if the interface is gone. A gateway without an
// interface is resolved through the connected route that covers it.
func (r *Router) nextHop(s *ifaceSet, hop NextHop, dst netip.Addr) (*iface, netip.Addr) {
	nh := hop.Addr
	if !nh.IsValid() {
		nh = dst
	}
	idx := hop.IfIndex
	if idx == 0 {
		set, ok := r.fib.Lookup(nh)
		if !ok || set.Hops[0].Addr.IsValid() {
			return nil, nh
		}
		idx = set.Hops[0].IfIndex
	}
	return s.get(idx), nh
}

// originate routes a packet the router generated (frame is an untagged
// Ethernet frame with its EtherType set) towards dst; a link-local dst is
// on the link of in, the interface that received the packet answered.
func (r *Router) originate(s *ifaceSet, in *iface, frame []byte, dst netip.Addr, hash uint64) {
	if dst.Is6() && dst.IsLinkLocalUnicast() {
		r.transmit(in, dst, frame, 0, 0)
		return
	}
	set, ok := r.fib.Lookup(dst)
	if !ok {
		r.global[DropNoRoute].Add(1)
		return
	}
	out, nh := r.nextHop(s, set.Pick(hash), dst)
	if out == nil {
		r.global[DropNoRoute].Add(1)
		return
	}
	r.transmit(out, nh, frame, 0, 0)
}

// listening6 reports whether the router listens to multicast group g on in:
// all-nodes, all-routers and the solicited-node groups of its addresses.
func (r *Router) listening6(s *ifaceSet, in *iface, g netip.Addr) bool {
	b := g.As16()
	if b[0] != 0xff || b[1] != 0x02 {
		return false
	}
	if g == allNodes || g == allRouters {
		return true
	}
	if netip.PrefixFrom(g, 104).Masked().Addr() != solicitedNodePrefix {
		return false
	}
	for _, p := range in.Addrs {
		if a := p.Addr(); a.Is6() && solicitedNode(a) == g {
			return true
		}
	}
	return false
}
