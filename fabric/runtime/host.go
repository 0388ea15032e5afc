package runtime

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/trace"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

// gatewayMAC is the MAC the virtual switch answers for the tenant
// subnets' gateway address (Hyper-V's virtual gateway).
var gatewayMAC = header.MAC{0x02, 0x5d, 0xff, 0xff, 0xff, 0x01}

// hostNode is a hypervisor host: a virtual switch with an uplink on the
// provider network and one port per VM, and VFP-like ordered layers.
// Packets from the uplink: VNet (VXLAN decapsulation) -> SLB (host agent:
// VIP to DIP) -> ACL (the VM's endpoints) -> VM. Packets from a VM: ACL
// (remember its connections) -> SLB (replies leave for the router straight,
// Direct Server Return; new outbound flows are SNATed) -> VNet (VXLAN to
// the peer VM's host).
type hostNode struct {
	spec      Host
	uplink    *netsim.Port
	agent     *hostagent.Agent
	neighbors map[netip.Addr]header.MAC // provider addresses
	vnet      map[vnetKey]vnetEntry     // every VM of the fabric, by (VNI, customer address)
	rec       *trace.Recorder

	prober *prober // nil without local DIPs

	mu        sync.Mutex
	vms       map[netip.Addr]*vmPort // local VMs (and the probe stack) by address
	probeAddr netip.Addr
	bufs      sync.Pool
}

type vnetKey struct {
	vni uint32
	ca  netip.Addr
}

type vnetEntry struct {
	pa  netip.Addr // the host of the VM
	mac header.MAC
}

// vmPort is a VM's port on the virtual switch and its ACL.
type vmPort struct {
	spec Machine
	port *netsim.Port
	acl  *acl
}

func (rt *Runtime) startHosts(ctx context.Context) error {
	vnet := map[vnetKey]vnetEntry{}
	pas := map[string]netip.Addr{}
	for _, h := range rt.topo.Hosts {
		pas[h.Name] = h.PA.Addr()
	}
	for _, m := range rt.topo.Machines {
		if m.Host != "" {
			vnet[vnetKey{m.VNI, m.Addr.Addr()}] = vnetEntry{pa: pas[m.Host], mac: m.MAC}
		}
	}
	for _, spec := range rt.topo.Hosts {
		sw, err := rt.network(spec.Network, spec.Name)
		if err != nil {
			return err
		}
		agent, err := hostagent.New(hostagent.Config{HostPA: spec.PA.Addr(), Logger: rt.log.With("node", spec.Name)})
		if err != nil {
			return fmt.Errorf("%s: %w", spec.Name, err)
		}
		if err := agent.Configure(rt.topo.LoadBalancers...); err != nil {
			return fmt.Errorf("%s: configure host agent: %w", spec.Name, err)
		}
		h := &hostNode{spec: spec, uplink: sw.Port(spec.Name), agent: agent, neighbors: rt.providerNeighbors(spec.Network),
			vnet: vnet, rec: rt.opts.Trace, vms: map[netip.Addr]*vmPort{}}
		h.bufs.New = func() any { b := make([]byte, 0, 64*1024); return &b }
		h.uplink.SetReceiver(h.fromUplink)
		h.uplink.Send(gratuitousARP(spec.MAC, spec.PA.Addr())) // the provider switch learns the host
		rt.hosts[spec.Name] = h
		rt.closers = append(rt.closers, h.uplink.Close)
		rt.progress(spec.Name, "started", "vswitch with PA %s: layers acl, slb, vnet", spec.PA.Addr())
	}
	return nil
}

// attachToHost plugs a VM into its host's virtual switch.
func (rt *Runtime) attachToHost(m Machine) error {
	h, ok := rt.hosts[m.Host]
	if !ok {
		return fmt.Errorf("%s: host %q does not exist", m.Name, m.Host)
	}
	hostSide, vmSide := netsim.NewWire(m.Host+"."+m.Name, netsim.WireConfig{Queue: rt.opts.queue()})
	vm := &vmPort{spec: m, port: hostSide, acl: newACL(m.Endpoints)}
	h.mu.Lock()
	h.vms[m.Addr.Addr()] = vm
	h.mu.Unlock()
	hostSide.SetReceiver(func(f []byte) { h.fromVM(vm, f) })
	return rt.addMachine(m, vmSide, hostSide)
}

func (rt *Runtime) sortedHosts() []*hostNode {
	var out []*hostNode
	for _, name := range slices.Sorted(maps.Keys(rt.hosts)) {
		out = append(out, rt.hosts[name])
	}
	return out
}

func (h *hostNode) record(e trace.Event) {
	e.Node = h.spec.Name
	h.rec.Record(e)
}

// fromUplink handles a frame from the provider network: ARP for the PA,
// and VXLAN to the PA.
func (h *hostNode) fromUplink(f []byte) {
	eth, err := header.ParseEthernet(f)
	if err != nil {
		return
	}
	switch eth.EtherType() {
	case header.EtherTypeARP:
		h.answerARP(h.uplink, f, h.spec.PA.Addr(), h.spec.MAC)
		return
	case header.EtherTypeIPv4:
	default:
		return
	}
	ip, err := header.ParseIPv4(eth.Payload())
	if err != nil || ip.Destination() != h.spec.PA.Addr() || ip.Protocol() != header.ProtocolUDP {
		return
	}
	udp := ip.Payload()
	if len(udp) < 8 || udp[2] != vxlan.Port>>8 || udp[3] != vxlan.Port&0xff {
		return
	}
	vh, inner, err := vxlan.DecapsulatePayload(udp[8:])
	if err != nil || len(inner) < header.EthernetMinSize+20 {
		return
	}
	watched := h.rec.WantsFrame(inner)
	if watched {
		h.record(trace.Event{Layer: "vnet", Action: "decap", Packet: trace.Describe(inner), Removed: trace.VXLANHeaders(eth.Payload()),
			Rule: fmt.Sprintf("VTEP %s", h.spec.PA.Addr())})
	}
	vni := uint32(vh.VNI)
	pkt := inner[header.EthernetMinSize:]
	res, err := h.agent.Inbound(pkt, vni, netip.Addr{})
	if watched {
		e := trace.Event{Layer: "slb", Action: "pass", Packet: trace.DescribeIP(pkt), Rule: res.Rule, Note: res.Reason.String()}
		switch res.Verdict {
		case hostagent.Deliver:
			e.Action = "dnat"
			e.Note = fmt.Sprintf("VIP %s -> DIP %s", res.VIP, res.DIP)
		case hostagent.Drop:
			e.Action = "drop"
		}
		h.record(e)
	}
	if err != nil || res.Verdict == hostagent.Drop {
		return
	}
	dst, _ := netip.AddrFromSlice(pkt[16:20])
	h.mu.Lock()
	vm := h.vms[dst]
	h.mu.Unlock()
	if vm == nil || vm.spec.VNI != vni {
		return
	}
	h.deliver(vm, inner, watched)
}

// deliver runs the ACL of vm on an inner frame and sends it to the VM.
func (h *hostNode) deliver(vm *vmPort, frame []byte, watched bool) {
	rule, ok := vm.acl.inbound(frame[header.EthernetMinSize:])
	if watched {
		e := trace.Event{Layer: "acl", Action: "allow", Packet: trace.Describe(frame), Rule: rule}
		if !ok {
			e.Action = "drop"
		}
		h.record(e)
	}
	if !ok {
		return
	}
	eth := header.Ethernet(frame)
	eth.SetDestination(vm.spec.MAC)
	eth.SetSource(gatewayMAC)
	if watched {
		h.record(trace.Event{Layer: "port", Action: "deliver", Packet: trace.Describe(frame), Note: "to " + vm.spec.Name})
	}
	vm.port.Send(frame)
}

// fromVM handles a frame a VM sent.
func (h *hostNode) fromVM(vm *vmPort, f []byte) {
	eth, err := header.ParseEthernet(f)
	if err != nil {
		return
	}
	switch eth.EtherType() {
	case header.EtherTypeARP:
		h.proxyARP(vm, f)
		return
	case header.EtherTypeIPv4:
	default:
		return
	}
	pkt := eth.Payload()
	if len(pkt) < 20 {
		return
	}
	watched := h.rec.WantsFrame(f)
	vm.acl.outbound(pkt)
	dst, _ := netip.AddrFromSlice(pkt[16:20])
	if dst == h.probeAddr || vm.spec.Addr.Addr() == h.probeAddr {
		// Health probes and their replies are platform traffic: they
		// stay on the host and skip the load balancer.
		h.mu.Lock()
		local := h.vms[dst]
		h.mu.Unlock()
		if local != nil {
			h.deliver(local, f, watched)
		}
		return
	}
	res, err := h.agent.Outbound(pkt, vm.spec.VNI)
	if err != nil {
		return
	}
	switch res.Verdict {
	case hostagent.Drop:
		if watched {
			h.record(trace.Event{Layer: "slb", Action: "drop", Packet: trace.DescribeIP(pkt), Note: res.Reason.String()})
		}
		return
	case hostagent.ToRouter:
		gw, ok := h.neighbors[h.spec.Gateway]
		if !ok {
			return
		}
		eth.SetDestination(gw)
		eth.SetSource(h.spec.MAC)
		if watched {
			action := "dsr"
			note := "Direct Server Return: straight to the router, not via the Mux"
			if res.Reason == hostagent.ReasonSNAT {
				action, note = "snat", "new outbound flow SNATed to the VIP; to the router"
			}
			h.record(trace.Event{Layer: "slb", Action: action, Packet: trace.DescribeIP(pkt), Rule: res.Rule, Note: note})
		}
		h.uplink.Send(f)
		return
	}
	// Pass: east-west in the virtual network.
	peer, ok := h.vnet[vnetKey{vm.spec.VNI, dst}]
	if !ok {
		if watched {
			h.record(trace.Event{Layer: "vnet", Action: "drop", Packet: trace.DescribeIP(pkt), Note: "no route in the virtual network"})
		}
		return
	}
	if peer.pa == h.spec.PA.Addr() {
		h.mu.Lock()
		local := h.vms[dst]
		h.mu.Unlock()
		if local != nil {
			h.deliver(local, f, watched)
		}
		return
	}
	bp := h.bufs.Get().(*[]byte)
	defer h.bufs.Put(bp)
	o := vxlan.Outer{Ethernet: true, SrcMAC: h.spec.MAC, DstMAC: h.neighbors[peer.pa], Src: h.spec.PA.Addr(), Dst: peer.pa}
	out, err := o.Encapsulate((*bp)[:0], vxlan.Header{VNI: vxlan.VNI(vm.spec.VNI)}, f)
	if err != nil {
		return
	}
	*bp = out[:0]
	if watched {
		h.record(trace.Event{Layer: "vnet", Action: "encap", Packet: trace.DescribeIP(out[14:]), Added: trace.VXLANHeaders(out[14:])})
	}
	h.uplink.Send(out)
}

// proxyARP answers a VM's ARP request: the gateway and the VMs of its
// virtual network are answered by the switch (with the gateway's MAC for
// addresses off the VM's subnet).
func (h *hostNode) proxyARP(vm *vmPort, f []byte) {
	a, err := header.ParseARP(f[header.EthernetMinSize:])
	if err != nil || a.Op() != 1 {
		return
	}
	target := a.TargetIP()
	mac := gatewayMAC
	if peer, ok := h.vnet[vnetKey{vm.spec.VNI, target}]; ok {
		mac = peer.mac
	}
	h.answerARP(vm.port, f, target, mac)
}

// answerARP replies on port to an ARP request for ip with mac.
func (h *hostNode) answerARP(port *netsim.Port, f []byte, ip netip.Addr, mac header.MAC) {
	a, err := header.ParseARP(f[header.EthernetMinSize:])
	if err != nil || a.Op() != 1 || a.TargetIP() != ip {
		return
	}
	reply := make([]byte, len(f))
	copy(reply, f)
	eth := header.Ethernet(reply)
	eth.SetDestination(a.SenderMAC())
	eth.SetSource(mac)
	r := header.ARP(reply[header.EthernetMinSize:])
	r.SetOp(2)
	r.SetTargetMAC(a.SenderMAC())
	r.SetTargetIP(a.SenderIP())
	r.SetSenderMAC(mac)
	r.SetSenderIP(ip)
	port.Send(reply)
}

// unhealthy lists the local DIPs whose probes have not succeeded (busy
// ones aside).
func (h *hostNode) unhealthy() []netip.Addr {
	if h.prober == nil {
		return nil
	}
	return h.prober.unhealthy()
}

// gratuitousARP returns an ARP announcement of ip at mac (RFC 5227).
func gratuitousARP(mac header.MAC, ip netip.Addr) []byte {
	f := make([]byte, header.EthernetMinSize+28)
	eth := header.Ethernet(f)
	eth.SetDestination(header.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	eth.SetSource(mac)
	eth.SetEtherType(header.EtherTypeARP)
	a := header.ARP(f[header.EthernetMinSize:])
	copy(a, []byte{0, 1, 8, 0, 6, 4})
	a.SetOp(1)
	a.SetSenderMAC(mac)
	a.SetSenderIP(ip)
	a.SetTargetIP(ip)
	return f
}
