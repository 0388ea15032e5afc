package vswitch

import (
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// fromUplink handles a frame from the provider network as the uplink's
// receiver. It never panics on any input (FuzzUplink).
func (s *Switch) fromUplink(frame []byte) { s.fromUplinkSuper(frame, 0) }

// fromUplinkSuper is fromUplink of a frame, or of a VXLAN super-frame with
// its mss (from a Mux, netsim): decapsulated, translated by the host agent
// and admitted by the ACL once, its inner TCP super-frame goes to the vNIC
// whole with its mss.
func (s *Switch) fromUplinkSuper(frame []byte, mss int) {
	if len(frame) < header.EthernetMinSize {
		s.event("uplink", In, LayerPort, ActionDrop, "runt", nil)
		return
	}
	switch etherType(frame) {
	case header.EtherTypeARP:
		s.uplinkARP(frame)
		return
	case header.EtherTypeIPv4:
	default:
		s.event("uplink", In, LayerPort, ActionDrop, "not ipv4", nil)
		return
	}
	pk, err := s.decap.Decapsulate(frame)
	if err != nil {
		s.event("uplink", In, LayerVNet, ActionDrop, "not vxlan", nil)
		return
	}
	if pk.Dst.Addr() != s.cfg.HostPA {
		s.event("uplink", In, LayerVNet, ActionDrop, "not for this host", nil)
		return
	}
	vni := uint32(pk.Header.VNI)
	var p packet
	if err := p.parse(pk.Frame); err != nil {
		s.event("uplink", In, LayerVNet, ActionDrop, dropReason(atInner, err), nil)
		return
	}
	if mss != 0 {
		if p.proto != header.ProtocolTCP || !p.first {
			s.event("uplink", In, LayerVNet, ActionDrop, "super-frame not TCP", nil)
			return
		}
		p.mss = mss
	}
	s.neighbors.learn(pk.Src.Addr(), header.Ethernet(frame).Source())
	s.encapEvent("uplink", In, ActionDecap, &p, p.frame, vni, pk.Src.Addr(), pk.Dst.Addr())

	// SLB: traffic for a VIP (from a Mux) or SNAT return traffic.
	viaSLB := false
	dst := p.dst()
	if s.cfg.SLB != nil {
		// The Mux addresses the inner frame to the DIP's vNIC when it
		// knows its MAC; that names the DIP for the host agent.
		var dip netip.Addr
		if v := s.vnics.Load().byMAC[header.Ethernet(p.frame).Destination()]; v != nil && v.cfg.VNI == vni {
			dip = v.cfg.Addr
		}
		r, err := s.cfg.SLB.Inbound(p.ip(), vni, dip)
		switch {
		case err != nil || r.Verdict == SLBDrop:
			s.event("uplink", In, LayerSLB, ActionDrop, r.Rule, &p)
			return
		case r.Verdict == SLBDeliver:
			p.reparse()
			s.event("uplink", In, LayerSLB, ActionNAT, r.Rule, &p)
			viaSLB = true
			if r.DIP.IsValid() {
				dst = r.DIP
			} else {
				dst = p.dst()
			}
			if r.VNI != 0 {
				vni = r.VNI
			}
		default:
			s.event("uplink", In, LayerSLB, ActionPass, r.Rule, &p)
		}
	}
	v := s.localVNIC(vni, dst)
	if v == nil {
		s.event("uplink", In, LayerVNet, ActionDrop, "no local vnic", &p)
		return
	}
	v.toGuest(&p, viaSLB)
}

// uplinkARP answers ARP for the host's PA and learns the provider
// network's addresses.
func (s *Switch) uplinkARP(frame []byte) {
	a, err := header.ParseARP(frame[header.EthernetMinSize:])
	if err != nil {
		s.event("uplink", In, LayerPort, ActionDrop, "malformed arp", nil)
		return
	}
	if s.cfg.ProviderPrefix.Contains(a.SenderIP()) && a.SenderMAC()[0]&1 == 0 {
		if a.TargetIP() == s.cfg.HostPA || a.Op() == header.ARPReply {
			s.neighbors.set(a.SenderIP(), a.SenderMAC(), false)
			if held := s.neighbors.release(a.SenderIP()); held != nil {
				mac := a.SenderMAC()
				copy(held[0:6], mac[:])
				s.event("uplink", Out, LayerPort, ActionDeliver, "held frame, next hop resolved", nil)
				s.uplink.Send(held)
			}
		} else {
			s.neighbors.learn(a.SenderIP(), a.SenderMAC())
		}
	}
	if a.Op() != header.ARPRequest || a.TargetIP() != s.cfg.HostPA {
		return
	}
	s.event("uplink", In, LayerPort, ActionARPReply, "host pa", nil)
	s.uplink.Send(arpReply(s.upBuf, a, s.hostMAC))
}
