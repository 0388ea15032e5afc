package vswitch

import (
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// SendTCPReset sends a TCP RST that the host agent made
// (hostagent.Config.OnTCPReset: TCP reset on idle, or a connection a SYN
// replaced): one for a local DIP (Deliver) to its vNIC, through the ACL
// as the load balancer's traffic, and one for the remote end (ToRouter)
// to the router, as the DIP's replies go (Direct Server Return); the
// trace shows them as the ACL's and the ports' events of such packets. It
// copies r.Packet and may be called from any goroutine; a RST that is not
// IPv4, or whose DIP has no vNIC here, is dropped, as the SLB layer's
// drop from the port "host agent".
func (s *Switch) SendTCPReset(r hostagent.TCPReset) {
	const port = "host agent"
	frame := make([]byte, header.EthernetMinSize+len(r.Packet))
	copy(frame[header.EthernetMinSize:], r.Packet)
	_, _ = header.InitEthernet(frame, header.MAC{}, s.hostMAC, header.EtherTypeIPv4) // cannot fail: no tags
	var p packet
	if err := p.parse(frame); err != nil {
		s.event(port, Out, LayerSLB, ActionDrop, dropReason(atPort, err), nil)
		return
	}
	switch r.Verdict {
	case hostagent.Deliver:
		v := s.localVNIC(r.VNI, r.DIP)
		if v == nil {
			s.event(port, In, LayerSLB, ActionDrop, "tcp reset: no vNIC of the DIP", &p)
			return
		}
		v.toGuest(&p, true)
	case hostagent.ToRouter:
		s.toRouter(&p, make([]byte, header.EthernetMinSize+header.ARPSize), port)
	default:
		s.event(port, Out, LayerSLB, ActionDrop, "tcp reset: no direction", &p)
	}
}
