package vswitch

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// HostPortConfig describes the port of the host's own network stack: the
// source of the load balancer's health probes (Azure's 168.63.129.16),
// which reaches every local vNIC's CA, in any virtual network, past the
// ACL.
type HostPortConfig struct {
	Name string
	Port *netsim.Port // the switch's end of the wire to the host's stack
	MAC  net.HardwareAddr
	Addr netip.Addr
}

// HostPort is the port of the host's own stack.
type HostPort struct {
	s    *Switch
	name string
	port *netsim.Port
	mac  header.MAC
	addr netip.Addr
	buf  []byte
	pkt  packet
}

// AddHostPort attaches the host's own stack. A switch has at most one.
func (s *Switch) AddHostPort(cfg HostPortConfig) (*HostPort, error) {
	if cfg.Port == nil || len(cfg.MAC) != 6 || !cfg.Addr.Is4() {
		return nil, fmt.Errorf("%w: host port %q needs a port, a MAC and an IPv4 address", ErrConfig, cfg.Name)
	}
	if cfg.Name == "" {
		cfg.Name = "host"
	}
	h := &HostPort{s: s, name: cfg.Name, port: cfg.Port, mac: header.MAC(cfg.MAC), addr: cfg.Addr,
		buf: make([]byte, 0, header.EthernetMinSize+header.ARPSize)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.host.CompareAndSwap(nil, h) {
		return nil, fmt.Errorf("%w: the switch is closed or has a host port", ErrConfig)
	}
	h.port.SetReceiver(h.fromHost)
	return h, nil
}

// fromHost handles a frame of the host's stack: ARP is answered with the
// gateway MAC; IPv4 goes to the local vNIC with the destination CA.
func (h *HostPort) fromHost(frame []byte) {
	s := h.s
	if len(frame) >= header.EthernetMinSize && etherType(frame) == header.EtherTypeARP {
		req, err := header.ParseARP(frame[header.EthernetMinSize:])
		if err != nil || req.Op() != header.ARPRequest || req.TargetIP() == h.addr || req.IsProbe() {
			return
		}
		s.event(h.name, Out, LayerPort, ActionARPReply, "proxy-arp", nil)
		h.port.Send(arpReply(h.buf, req, s.gwMAC))
		return
	}
	p := &h.pkt
	if err := p.parse(frame); err != nil {
		s.event(h.name, Out, LayerPort, ActionDrop, dropReason(atPort, err), nil)
		return
	}
	v := s.vnics.Load().byCA[p.dst()]
	if v == nil {
		s.event(h.name, Out, LayerVNet, ActionDrop, "no local vnic", p)
		return
	}
	s.event(h.name, Out, LayerVNet, ActionLocal, "host", p)
	v.toGuest(p, false)
}

// toHost delivers a guest's packet to the host's stack.
func (h *HostPort) toHost(p *packet) {
	p.setEth(h.mac, h.s.gwMAC)
	h.s.event(h.name, In, LayerPort, ActionDeliver, "", p) // before the stack may run (see toGuest)
	h.port.SendSuper(p.frame, p.mss)
}
