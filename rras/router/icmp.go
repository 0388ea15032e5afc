package router

import (
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Sizes of ICMP error messages: an ICMPv4 error quotes as much of the
// offending datagram as fits in 576 bytes (RFC 1812 section 4.3.2.3), an
// ICMPv6 error as much as fits in the IPv6 minimum MTU of 1280 (RFC 4443
// section 2.4(c)).
const (
	icmp4ErrorMax = 576
	icmp6ErrorMax = 1280
)

func (r *Router) scratch() *[]byte { return r.bufs.Get().(*[]byte) }

// isICMPv4Error reports whether ip carries an ICMP error message (or an
// ICMP message too short to tell), about which no error may be sent
// (RFC 1812 section 4.3.2.7).
func isICMPv4Error(ip header.IPv4) bool {
	if ip.Protocol() != header.ProtocolICMPv4 {
		return false
	}
	p := ip.Payload()
	if len(p) < 1 {
		return true
	}
	switch p[0] {
	case header.ICMPv4EchoReply, header.ICMPv4Echo, 13, 14, 15, 16, 17, 18:
		return false
	}
	return true
}

// icmpError4 sends an ICMP error about orig (as received, before the TTL
// decrement) back to its source, unless RFC 1812 section 4.3.2.7 forbids it
// or the rate limit is reached.
func (r *Router) icmpError4(s *ifaceSet, in *iface, orig header.IPv4, typ, code uint8, mtu uint16) {
	dst := orig.Source()
	if _, own := s.localIndex(dst); own || martian4(dst) || martian4(orig.Destination()) || orig.FragmentOffset() != 0 || isICMPv4Error(orig) || !in.addr4.IsValid() {
		return
	}
	if !r.icmp4.allow(r.cfg.Now()) {
		r.count(in, ICMPRateLimited)
		return
	}
	bp := r.scratch()
	defer r.bufs.Put(bp)
	q := min(len(orig), icmp4ErrorMax-header.IPv4MinSize-header.ICMPv4Size)
	b := (*bp)[:header.EthernetMinSize+header.IPv4MinSize+header.ICMPv4Size+q]
	if _, err := header.InitEthernet(b, header.MAC{}, in.MAC, header.EtherTypeIPv4); err != nil {
		return
	}
	ip, err := header.InitIPv4(b[header.EthernetMinSize:], header.IPv4MinSize)
	if err != nil {
		return
	}
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolICMPv4)
	ip.SetID(uint16(r.ipID.Add(1)))
	ip.SetSource(in.addr4)
	ip.SetDestination(dst)
	ip.SetChecksum(ip.ComputeChecksum())
	m, err := header.InitICMPv4(ip[header.IPv4MinSize:], typ, code)
	if err != nil {
		return
	}
	if mtu != 0 {
		m.SetMTU(mtu)
	}
	copy(m[header.ICMPv4Size:], orig[:q])
	m.SetChecksum(m.ComputeChecksum())
	r.count(in, ICMPSent)
	r.originate(s, in, b, dst, FlowHash4(ip, r.cfg.HashSeed))
}

// isICMPv6Error reports whether ip carries an ICMPv6 error message (or one
// whose type cannot be read), about which no error may be sent (RFC 4443
// section 2.4(e)).
func isICMPv6Error(ip header.IPv6) bool {
	proto, off, err := ip.Transport()
	if err != nil {
		return true
	}
	if proto != header.ProtocolICMPv6 {
		return false
	}
	return off >= len(ip) || ip[off] < 128
}

// icmpError6 sends an ICMPv6 error about orig to its source, unless RFC 4443
// section 2.4(e) forbids it or the rate limit is reached. param is the MTU of
// a Packet Too Big or the pointer of a Parameter Problem.
func (r *Router) icmpError6(s *ifaceSet, in *iface, orig header.IPv6, typ, code uint8, param uint32) {
	dst := orig.Source()
	if _, own := s.localIndex(dst); own || dst.IsUnspecified() || dst.IsMulticast() || (orig.Destination().IsMulticast() && typ != header.ICMPv6PacketTooBig) || isICMPv6Error(orig) {
		return
	}
	src := in.addr6
	if dst.IsLinkLocalUnicast() {
		src = in.linkLocal
	}
	if !src.IsValid() {
		return
	}
	if !r.icmp6.allow(r.cfg.Now()) {
		r.count(in, ICMPRateLimited)
		return
	}
	bp := r.scratch()
	defer r.bufs.Put(bp)
	q := min(len(orig), icmp6ErrorMax-header.IPv6Size-header.ICMPv6Size)
	b := (*bp)[:header.EthernetMinSize+header.IPv6Size+header.ICMPv6Size+q]
	if _, err := header.InitEthernet(b, header.MAC{}, in.MAC, header.EtherTypeIPv6); err != nil {
		return
	}
	ip, err := header.InitIPv6(b[header.EthernetMinSize:])
	if err != nil {
		return
	}
	ip.SetNextHeader(header.ProtocolICMPv6)
	ip.SetHopLimit(64)
	ip.SetSource(src)
	ip.SetDestination(dst)
	m, err := header.InitICMPv6(ip[header.IPv6Size:], typ, code)
	if err != nil {
		return
	}
	m.SetMTU(param)
	copy(m[header.ICMPv6Size:], orig[:q])
	m.SetChecksum(m.ComputeChecksum(checksum.PseudoHeader(src, dst, header.ProtocolICMPv6, len(m))))
	r.count(in, ICMPSent)
	r.originate(s, in, b, dst, FlowHash6(ip, r.cfg.HashSeed))
}

// hostUnreachable answers a packet whose next hop could not be resolved
// (RFC 1812 section 5.2.7.1, RFC 4861 section 7.2.2).
func (r *Router) hostUnreachable(pkt []byte, inIndex int) {
	s := r.ifs.Load()
	in := s.get(inIndex)
	if in == nil || len(pkt) == 0 {
		return
	}
	switch pkt[0] >> 4 {
	case 4:
		if ip, err := header.ParseIPv4(pkt); err == nil {
			r.icmpError4(s, in, ip, header.ICMPv4DestUnreach, 1, 0)
		}
	case 6:
		if ip, err := header.ParseIPv6(pkt); err == nil {
			r.icmpError6(s, in, ip, header.ICMPv6DestUnreach, 3, 0)
		}
	}
}

// local4 handles an IPv4 packet addressed to the router: echo requests are
// answered, UDP gets port unreachable, unknown protocols protocol
// unreachable (RFC 1812 section 4.3.2.2 / RFC 1122 section 3.2.2.1).
func (r *Router) local4(s *ifaceSet, in *iface, frame []byte, ip header.IPv4) {
	r.count(in, LocalDelivered)
	if ip.IsFragment() {
		r.count(in, DropUnsupported) // the router does not reassemble
		return
	}
	switch ip.Protocol() {
	case header.ProtocolICMPv4:
		m, err := header.ParseICMPv4(ip.Payload())
		if err != nil {
			r.count(in, DropMalformed)
			return
		}
		if !m.ValidChecksum() {
			r.count(in, DropBadChecksum)
			return
		}
		if m.Type() != header.ICMPv4Echo || martian4(ip.Source()) {
			return
		}
		// Answer in place: the reply is the request with the addresses
		// swapped and the type changed (RFC 792).
		old := uint16(m.Type())<<8 | uint16(m.Code())
		m.SetType(header.ICMPv4EchoReply)
		m.SetChecksum(checksum.Update16(m.Checksum(), old, uint16(header.ICMPv4EchoReply)<<8|uint16(m.Code())))
		src, dst := ip.Source(), ip.Destination()
		ip.SetSource(dst)
		ip.SetDestination(src)
		ip.SetTTL(64)
		ip.SetChecksum(ip.ComputeChecksum())
		r.count(in, ICMPSent)
		r.originate(s, in, frame, src, FlowHash4(ip, r.cfg.HashSeed))
	case header.ProtocolUDP:
		r.icmpError4(s, in, ip, header.ICMPv4DestUnreach, 3, 0)
	case header.ProtocolTCP:
		// No TCP listener; the packet is dropped.
	default:
		r.icmpError4(s, in, ip, header.ICMPv4DestUnreach, 2, 0)
	}
}

// local6 handles an IPv6 packet addressed to the router or to a multicast
// group it listens to: Neighbor Discovery, echo requests, and port
// unreachable for UDP.
func (r *Router) local6(s *ifaceSet, in *iface, frame []byte, ip header.IPv6) error {
	r.count(in, LocalDelivered)
	proto, off, err := ip.Transport()
	if err != nil {
		r.count(in, DropMalformed)
		return err
	}
	unicast := !ip.Destination().IsMulticast()
	switch proto {
	case header.ProtocolICMPv6:
		m, err := header.ParseICMPv6(ip[off:])
		if err != nil {
			r.count(in, DropMalformed)
			return err
		}
		src, dst := ip.Source(), ip.Destination()
		if !m.ValidChecksum(checksum.PseudoHeader(src, dst, header.ProtocolICMPv6, len(m))) {
			r.count(in, DropBadChecksum)
			return nil
		}
		switch m.Type() {
		case header.ICMPv6NeighborSolicitation:
			return r.inputNS(s, in, frame, ip, m)
		case header.ICMPv6NeighborAdvert:
			return r.inputNA(s, in, ip, m)
		case header.ICMPv6EchoRequest:
			if !unicast || off != header.IPv6Size || src.IsUnspecified() {
				return nil
			}
			m.SetType(header.ICMPv6EchoReply)
			ip.SetSource(dst)
			ip.SetDestination(src)
			ip.SetHopLimit(64)
			m.SetChecksum(0)
			m.SetChecksum(m.ComputeChecksum(checksum.PseudoHeader(dst, src, header.ProtocolICMPv6, len(m))))
			r.count(in, ICMPSent)
			r.originate(s, in, frame, src, FlowHash6(ip, r.cfg.HashSeed))
		}
	case header.ProtocolUDP:
		if unicast {
			r.icmpError6(s, in, ip, header.ICMPv6DestUnreach, 4, 0)
		}
	}
	return nil
}

// fragment4 splits a datagram larger than out's MTU whose DF bit is clear
// into fragments (RFC 791; RFC 1812 section 5.2.6). A datagram is
// fragmented only if it has no options or all are marked copied (so every
// fragment carries the same header); otherwise it is dropped.
func (r *Router) fragment4(out *iface, nh netip.Addr, ip header.IPv4, in int) {
	hl := ip.HeaderLen()
	for o, err := range ip.Options() {
		if err != nil || (o.Type != header.IPv4OptionEOL && o.Type != header.IPv4OptionNOP && !o.Copied()) {
			r.count(out, DropTooBig)
			return
		}
	}
	chunk := (out.MTU - hl) &^ 7
	if chunk <= 0 || len(ip)-hl > 65535 {
		r.count(out, DropTooBig)
		return
	}
	payload := ip.Payload()
	base := ip.FragmentOffset()
	more := ip.MoreFragments()
	buf := make([]byte, header.EthernetMinSize+out.MTU) // fragmentation is not a fast path
	for off := 0; off < len(payload); off += chunk {
		n := min(chunk, len(payload)-off)
		f := buf[:header.EthernetMinSize+hl+n]
		copy(f[header.EthernetMinSize:], ip[:hl])
		copy(f[header.EthernetMinSize+hl:], payload[off:off+n])
		fh := header.IPv4(f[header.EthernetMinSize:])
		fh.SetTotalLength(uint16(hl + n))
		fh.SetFragmentOffset(base + off)
		fh.SetMoreFragments(more || off+n < len(payload))
		fh.SetChecksum(fh.ComputeChecksum())
		header.Ethernet(f).SetEtherType(header.EtherTypeIPv4)
		r.transmit(out, nh, f, in, 0)
	}
}
