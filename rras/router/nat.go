package router

import (
	"errors"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/rras/nat"
)

// NATSide says which side of the router's NAT44 an interface is on.
type NATSide uint8

const (
	// NATNone: packets through this interface are not translated.
	NATNone NATSide = iota
	// NATInside: the private network; packets from it leaving through a
	// NATOutside interface get their source translated.
	NATInside
	// NATOutside: the public network; packets from it addressed to an
	// external address of the NAT get their destination translated.
	NATOutside
)

// Translator is the NAT44 a router applies between its NATInside and
// NATOutside interfaces; *nat.NAT implements it. The router calls it under
// a mutex (a nat.NAT is single-threaded), so one Translator serialises the
// translated traffic of one router: shard across routers to scale.
//
// Where the calls sit in the data path, as a kernel's prerouting and
// postrouting hooks:
//   - from a NATOutside interface, Inbound runs before the routing
//     decision (Forward: route the packet to its new, internal
//     destination; Pass: not the NAT's, route as usual; Drop of a packet
//     to one of the router's own addresses that matches no mapping: the
//     router answers it as its own, echo replies and port unreachable
//     included, as a Linux masquerading router does);
//   - from a NATInside interface to an external address of the NAT
//     (IsExternal), Outbound runs before the routing decision too, so a
//     Hairpin verdict routes the packet back inside (echo requests to the
//     router's own addresses are answered by the router instead);
//   - from a NATInside interface routed out of a NATOutside interface,
//     Outbound runs after the routing decision and the MTU check, just
//     before the TTL decrement, so ICMP errors about the packet quote it
//     as the inside host sent it. ReplyICMP makes the router send ICMP
//     destination unreachable, code 13, subject to its rate limit.
//
// Fragments: after the first fragment of a datagram was translated, the
// router takes the fragments of that datagram the Translator held because
// they came first (Released) and passes each through Input again, as
// received on the same interface.
type Translator interface {
	Outbound(pkt []byte) (nat.Verdict, error)
	Inbound(pkt []byte) (nat.Verdict, error)
	IsExternal(a netip.Addr) bool
	Released(dst []byte) (pkt []byte, outbound, ok bool)
}

// natIngress runs the prerouting part of the NAT for a packet received on
// in; it reports whether the packet was translated, and whether it was
// consumed (dropped or refused).
func (r *Router) natIngress(s *ifaceSet, in *iface, ip header.IPv4) (translated, consumed bool) {
	t := r.cfg.NAT
	switch in.NAT {
	case NATOutside:
		// A packet whose TTL runs out here gets its time exceeded quoting
		// it as it arrived, with the NAT's external address, not the
		// internal one it is translated to (what a kernel's conntrack does
		// by translating the ICMP error back).
		var orig []byte
		if ip.TTL() <= 1 {
			var b [icmp4ErrorMax - header.IPv4MinSize - header.ICMPv4Size]byte
			orig = b[:copy(b[:], ip)]
		}
		r.natMu.Lock()
		v, err := t.Inbound(ip)
		r.natMu.Unlock()
		switch v {
		case nat.Forward:
			r.count(in, NATTranslated)
			if orig != nil {
				r.count(in, DropTTLExceeded)
				r.icmpError4(s, in, header.IPv4(orig), header.ICMPv4TimeExceeded, 0, 0)
				return true, true
			}
			r.releaseFragments(s, in, ip)
			return true, false
		case nat.Pass:
			return false, false
		}
		if _, local := s.localIndex(ip.Destination()); local &&
			(errors.Is(err, nat.ErrNoMapping) || errors.Is(err, nat.ErrUnsupportedICMP)) {
			return false, false // the router's own traffic (the packet is unchanged)
		}
		r.count(in, DropNAT)
		return false, true
	case NATInside:
		if isEcho4(ip) || !t.IsExternal(ip.Destination()) {
			return false, false
		}
		r.natMu.Lock()
		v, _ := t.Outbound(ip)
		r.natMu.Unlock()
		switch v {
		case nat.Hairpin, nat.Forward:
			r.count(in, NATTranslated)
			r.releaseFragments(s, in, ip)
			return true, false
		case nat.ReplyICMP:
			r.icmpError4(s, in, ip, header.ICMPv4DestUnreach, icmpProhibited, 0)
		}
		r.count(in, DropNAT)
		return false, true
	}
	return false, false
}

// natEgress translates the source of a packet from in leaving through
// out, if in is inside and out is outside; it reports whether the packet
// may be sent.
func (r *Router) natEgress(s *ifaceSet, in, out *iface, ip header.IPv4) bool {
	if in.NAT != NATInside || out.NAT != NATOutside {
		return true
	}
	r.natMu.Lock()
	v, _ := r.cfg.NAT.Outbound(ip)
	r.natMu.Unlock()
	switch v {
	case nat.Forward:
		r.count(in, NATTranslated)
		r.releaseFragments(s, in, ip)
		return true
	case nat.ReplyICMP:
		r.icmpError4(s, in, ip, header.ICMPv4DestUnreach, icmpProhibited, 0)
	}
	r.count(in, DropNAT)
	return false
}

// releaseFragments forwards the fragments the NAT held until ip, the
// first fragment of their datagram, was translated.
func (r *Router) releaseFragments(s *ifaceSet, in *iface, ip header.IPv4) {
	if !ip.MoreFragments() || ip.FragmentOffset() != 0 {
		return
	}
	bp := r.fragBufs.Get().(*[]byte)
	defer r.fragBufs.Put(bp)
	for {
		r.natMu.Lock()
		frame, _, ok := r.cfg.NAT.Released((*bp)[:header.EthernetMinSize])
		r.natMu.Unlock()
		if !ok {
			return
		}
		*bp = frame[:0]
		header.InitEthernet(frame, in.MAC, in.MAC, header.EtherTypeIPv4)
		r.input4(s, in, frame, false, 0)
	}
}

// icmpProhibited is destination unreachable code 13, communication
// administratively prohibited (RFC 1812 section 5.2.7.1).
const icmpProhibited = 13

// isEcho4 reports whether ip carries an ICMP echo request.
func isEcho4(ip header.IPv4) bool {
	p := ip.Payload()
	return ip.Protocol() == header.ProtocolICMPv4 && !ip.IsFragment() && len(p) > 0 && p[0] == header.ICMPv4Echo
}

var _ Translator = (*nat.NAT)(nil)
