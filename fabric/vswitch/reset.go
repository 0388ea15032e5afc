package vswitch

import (
	"sync"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// SendTCPReset sends a TCP RST that the host agent made
// (hostagent.Config.OnTCPReset: TCP reset on idle, or a connection a SYN
// replaced): one for a local DIP (Deliver) to its vNIC, through the ACL
// as the load balancer's traffic, and one for the remote end (ToRouter)
// to the router, as the DIP's replies go (Direct Server Return); the
// trace shows them as the ACL's and the ports' events of such packets. It
// copies r.Packet and may be called from any goroutine, without
// allocating (the agent may call it from its packet path: a SYN that
// replaces a connection); a RST that is not IPv4, or whose DIP has no
// vNIC here, is dropped, as the SLB layer's drop from the port "host
// agent".
func (s *Switch) SendTCPReset(r hostagent.TCPReset) {
	const port = "host agent"
	if len(r.Packet) > resetMax {
		s.event(port, Out, LayerSLB, ActionDrop, "tcp reset: too long", nil)
		return
	}
	buf := resetBuffers.Get().(*[header.EthernetMinSize + resetMax + header.EthernetMinSize + header.ARPSize]byte)
	defer resetBuffers.Put(buf)
	frame := buf[:header.EthernetMinSize+len(r.Packet)]
	scratch := buf[header.EthernetMinSize+resetMax:]
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
		s.toRouter(&p, scratch, port)
	default:
		s.event(port, Out, LayerSLB, ActionDrop, "tcp reset: no direction", &p)
	}
}

// resetMax is the longest RST packet SendTCPReset takes: an IPv6 header
// and a TCP header with options (the agent's have none).
const resetMax = header.IPv6Size + header.TCPMaxSize

// resetBuffers holds SendTCPReset's buffers: the frame, then the scratch
// of an ARP request for the router. The receiving port may run in the
// caller's goroutine (netsim's run to completion) and is done with the
// frame when SendTCPReset returns; a frame held for an unresolved next
// hop is copied.
var resetBuffers = sync.Pool{New: func() any {
	return new([header.EthernetMinSize + resetMax + header.EthernetMinSize + header.ARPSize]byte)
}}
