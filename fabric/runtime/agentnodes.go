package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/vswitch"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/rras/router"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/mux"
)

// The runtime's nodes as the fabric agents see them (agent.HostNode,
// agent.MuxNode, agent.GatewayNode). Start programs every node from the
// Topology; an agent then keeps it matching the controller's desired
// state: what a slice changes is applied to the running node, and what
// the running node cannot change (a gateway's interfaces or NAT port
// forwards, a speaker's ASN, a NIC's endpoints) is reported in the
// resource's status message instead.

// agentHost programs a host: the load balancers of its host agent and the
// CA-to-PA mappings of its virtual switch; it attaches the VMs of the
// NICs the controller puts here, moving those on another host of the
// runtime (migrate), and detaches those whose NICs left (see follow).
type agentHost struct {
	rt *Runtime
	h  *hostNode

	mu       sync.Mutex
	mappings map[caKey]paMAC       // programmed into the vswitch
	probes   map[dipKey][]probeRef // local DIP -> the probes that watch it, per the applied load balancers
	ifaces   []agent.HostInterface // the NICs of the last slice
	lbs      []slb.LoadBalancer    // the load balancers of the last slice
	applied  []slb.LoadBalancer    // lbs placed where the VMs are (see Runtime.placed), as the host agent has them
	grace    *time.Timer           // pending end of a drain grace (see configure)
	seq      uint64                // configurations given; a grace ends only the one it began with
	sweeping *time.Timer           // pending detachment of the VMs whose NICs left (see sweepLater)
	stopped  bool                  // the agents stopped: attach and detach no more
}

type caKey struct {
	vni uint32
	ca  netip.Addr
}

type paMAC struct {
	pa  netip.Addr
	mac header.MAC
}

type probeRef struct{ lb, probe string }

func (rt *Runtime) newAgentHost(h *hostNode) *agentHost {
	a := &agentHost{rt: rt, h: h, mappings: map[caKey]paMAC{}, probes: map[dipKey][]probeRef{}}
	pas := map[string]netip.Addr{}
	for _, x := range rt.topo.Hosts {
		pas[x.Name] = x.PA.Addr()
	}
	// What startHost programmed: the topology's load balancers, and every
	// VM's mapping.
	a.lbs, a.applied = rt.topo.LoadBalancers, rt.topo.LoadBalancers
	for _, m := range rt.topo.Machines {
		if m.Host == "" {
			continue
		}
		a.mappings[caKey{m.VNI, m.Addr.Addr()}] = paMAC{pas[m.Host], m.MAC}
	}
	rt.place.register(a, nil)
	return a
}

// ProgramHost implements agent.HostNode: the host agent gets the slice's
// load balancers, the vswitch its mappings (new and moved ones set, those
// no longer in the slice deleted); the VMs of the slice's NICs that are
// on another host of the runtime move here, those that run nowhere here
// are attached, and those here whose NICs left the slice are detached
// after a grace (see follow).
func (a *agentHost) ProgramHost(ctx context.Context, s *agent.HostSlice) error {
	if err := a.program(s); err != nil {
		return err
	}
	var errs []error
	for _, ifc := range s.Interfaces {
		errs = append(errs, a.rt.follow(ctx, ifc, a))
	}
	if a.gone(s) {
		a.sweepLater()
	}
	return errors.Join(errs...)
}

func (a *agentHost) program(s *agent.HostSlice) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ifaces = s.Interfaces
	if err := a.configure(s.LoadBalancers); err != nil {
		return fmt.Errorf("host agent: %w", err)
	}
	if a.rt.allocated != nil {
		a.rt.allocated.set(s.SNAT)
	}
	a.h.agent.SetInternal(internalPrefixes(s))
	want := map[caKey]paMAC{}
	vnis := map[string]uint32{}
	for _, ifc := range s.Interfaces {
		if v := ifc.Spec.VirtualNetwork; v != "" {
			vnis[v] = ifc.Attachment.VNI
		}
	}
	for vnet, ms := range s.Mappings {
		vni, ok := vnis[vnet]
		if !ok {
			continue
		}
		for _, m := range ms {
			want[caKey{vni, m.CA}] = paMAC{m.HostPA, header.MAC(m.MAC)}
		}
	}
	var errs []error
	for k, v := range want {
		if a.mappings[k] == v {
			continue
		}
		if err := a.h.sw.SetMapping(k.vni, k.ca, v.pa, hw(v.mac)); err != nil {
			errs = append(errs, fmt.Errorf("mapping %s in VNI %d: %w", k.ca, k.vni, err))
			continue
		}
		a.mappings[k] = v
	}
	for k := range a.mappings {
		if _, ok := want[k]; !ok {
			a.h.sw.DeleteMapping(k.vni, k.ca)
			delete(a.mappings, k)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	a.rt.progress(a.h.spec.Name, "agent", "programmed: %d load balancer(s), %d mapping(s)", len(s.LoadBalancers), len(want))
	return nil
}

// internalPrefixes are the east-west destinations of a host's slice, which
// its host agent never SNATs: the address spaces of the virtual networks
// of its NICs, and the NICs' subnets. They follow the slice, so that a NIC
// in a subnet or virtual network added after start reaches its peers, and
// they it, with the addresses they have.
func internalPrefixes(s *agent.HostSlice) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range slices.Sorted(maps.Keys(s.AddressSpaces)) {
		out = append(out, s.AddressSpaces[v]...)
	}
	for _, ifc := range s.Interfaces {
		if ifc.Spec.VirtualNetwork != "" && ifc.Attachment.Prefix.IsValid() {
			out = append(out, ifc.Attachment.Prefix.Masked())
		}
	}
	return out
}

// endpointDrift says which NICs of ifaces differ from the vNICs on the
// host: a NIC not attached (yet, or its attachment failed), one attached
// with other endpoints (they are fixed when the VM is attached), and a VM
// still attached whose NIC left (until the detach grace ends).
func (a *agentHost) endpointDrift(ifaces []agent.HostInterface) string {
	var out []string
	seen := map[string]bool{}
	here := a.rt.place.on(a.h.spec.Name)
	for _, ifc := range ifaces {
		seen[ifc.Name] = true
		eps, ok := here[ifc.Name]
		if !ok {
			out = append(out, ifc.Name+" is not attached")
			continue
		}
		if !slices.Equal(endpointsOf(ifc.Spec), eps) {
			out = append(out, ifc.Name+"'s endpoints differ from those it was attached with")
		}
	}
	for _, n := range slices.Sorted(maps.Keys(here)) {
		if !seen[n] {
			out = append(out, n+" is still attached")
		}
	}
	return strings.Join(out, "; ")
}

// probedDIPs returns the DIPs of host pa in lb that a rule probes, and
// the probe's name.
func probedDIPs(lb slb.LoadBalancer, pa netip.Addr) map[dipKey]string {
	probe := map[string]string{} // pool -> probe
	for _, r := range lb.LoadBalancingRules {
		if r.Probe != "" {
			probe[r.BackendPool] = r.Probe
		}
	}
	out := map[dipKey]string{}
	for _, p := range lb.BackendAddressPools {
		for _, b := range p.Backends {
			if pr, ok := probe[p.Name]; ok && b.HostPA == pa {
				out[dipKey{p.VNI, b.DIP}] = pr
			}
		}
	}
	return out
}

// HostStatus implements agent.HostNode: the probes' verdicts, the vswitch
// and host agent counters; ready once every probed DIP passed its probe.
func (a *agentHost) HostStatus(context.Context) (model.HostStatus, error) {
	a.mu.Lock()
	probes := maps.Clone(a.probes)
	ifaces := a.ifaces
	a.mu.Unlock()
	drift := a.endpointDrift(ifaces)
	st := model.HostStatus{Counters: map[string]uint64{}}
	agentStats := a.h.agent.Stats()
	probed := agentStats.Probes >= uint64(len(probes))
	a.h.health.mu.Lock()
	for _, dip := range slices.SortedFunc(maps.Keys(probes), dipKey.compare) {
		up, busy := a.h.health.up[dip], a.h.health.busy[dip]
		for _, p := range probes[dip] {
			st.Probes = append(st.Probes, model.ProbeStatus{LoadBalancer: p.lb, Probe: p.probe, VNI: dip.vni, DIP: dip.dip,
				Healthy: up && probed, Busy: busy})
		}
	}
	a.h.health.mu.Unlock()
	st.Ready = true
	for _, p := range st.Probes {
		if !p.Healthy && !p.Busy {
			st.Ready = false
		}
	}
	st.Health = a.rt.published(a.h)
	vs := a.h.sw.Stats()
	for l := vswitch.LayerPort; l <= vswitch.LayerVNet; l++ {
		for x := vswitch.ActionAllow; x <= vswitch.ActionDrop; x++ {
			if n := vs.Get(l, x); n > 0 {
				st.Counters[l.String()+"."+x.String()] = n
			}
		}
	}
	st.Counters["slb.flows"] = uint64(agentStats.Flows)
	st.Counters["slb.snatBlocks"] = uint64(agentStats.SNATBlocks)
	st.Counters["slb.probes"] = agentStats.Probes
	if drift != "" {
		st.Message = "not applied: " + drift
	}
	return st, nil
}

// agentMux programs a Mux: its load balancers, and the SNAT manager and
// leases of every Mux.
type agentMux struct {
	rt   *Runtime
	n    *muxNode
	snat *snatConfig

	mu        sync.Mutex
	peers     bgpPeers
	drift     string
	lbs       []slb.LoadBalancer     // of the last slice
	health    map[agent.DIP]bool     // of the last slice: the DIPs' health as their hosts report it
	allocated map[mux.SNATLease]bool // leases of the controller's allocations programmed (see allocatedSNAT)
}

// snatConfig is the SNAT manager's configuration: the union of the load
// balancers the Muxes serve.
type snatConfig struct {
	mu    sync.Mutex
	byMux map[string][]slb.LoadBalancer
}

// ProgramMux implements agent.MuxNode: the Mux serves the slice's load
// balancers (established flows keep their DIP, a DIP that left drains),
// the SNAT manager leases the ports of their outbound rules, and the Mux
// learns again every lease the manager holds (a Configure may have
// changed which ones fit). The slice's static SNAT allocations are not
// used: the runtime's host agents lease port blocks from its manager as
// they need them (Ananta's scheme), and the Muxes hear of each lease.
func (a *agentMux) ProgramMux(ctx context.Context, s *agent.MuxSlice) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.health = s.Health
	// Where the VMs are: a NIC the controller moved goes on being sent
	// its flows where it is until it has moved.
	if err := a.configure(ctx, s.LoadBalancers); err != nil {
		return fmt.Errorf("mux: %w", err)
	}
	a.lbs = s.LoadBalancers
	leases := 0
	if a.rt.allocated != nil {
		leases = a.programAllocated(s)
	} else {
		if err := a.snat.set(a.rt, a.n.spec.Name, s.LoadBalancers); err != nil {
			return err
		}
		for l := range a.rt.snat.Leases() {
			ml := mux.SNATLease{VIP: l.VIP, Protocol: l.Protocol, Port: l.First, HostPA: l.Host, VNI: l.VNI, DIP: l.DIP}
			if a.n.m.LeaseSNAT(ml) == nil {
				leases++
			}
		}
	}
	err := a.peers.sync(ctx, a.n.sp, s.Mux.Peers, func(p Peer) bgp.PeerConfig {
		return bgp.PeerConfig{Address: p.Addr, PeerASN: p.ASN, HoldTime: a.rt.opts.HoldTime, ConnectTime: time.Second, BFD: a.rt.bfd()}
	})
	if err != nil {
		return err
	}
	a.drift = ""
	if a.n.spec.ASN != s.Mux.ASN {
		a.drift = "not applied: the ASN (fixed at start)"
	}
	a.rt.progress(a.n.spec.Name, "agent", "programmed: %d load balancer(s), %d SNAT lease(s)", len(s.LoadBalancers), leases)
	return nil
}

// SetMuxHealth implements agent.MuxNode: the Mux applies the health of
// its DIPs that the hosts of other processes reported (see muxHealth).
func (a *agentMux) SetMuxHealth(_ context.Context, s *agent.MuxSlice) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.health = s.Health
	if a.lbs == nil {
		return nil // not programmed yet
	}
	a.rt.muxHealth(a.n.m, a.rt.placed(a.lbs), a.health)
	return nil
}

// reconfigure gives the Mux the load balancers of its last slice again,
// placed where the VMs are now (after a migration).
func (a *agentMux) reconfigure(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lbs == nil {
		return nil // not programmed yet: it will be, placed
	}
	if err := a.configure(ctx, a.lbs); err != nil {
		return fmt.Errorf("%s: mux: %w", a.n.spec.Name, err)
	}
	return nil
}

// configure gives the Mux lbs placed where the VMs are, and then the
// health of their DIPs (see muxHealth): a DIP new to the Mux is out of
// rotation until then (mux.Config.HoldNewDIPs).
func (a *agentMux) configure(ctx context.Context, lbs []slb.LoadBalancer) error {
	placed := a.rt.placed(lbs)
	if err := a.n.m.Configure(ctx, placed...); err != nil {
		return err
	}
	a.rt.muxHealth(a.n.m, placed, a.health)
	return nil
}

// programAllocated makes the Mux's SNAT leases those of the slice's
// allocations (a runtime of a part of the topology: see allocatedSNAT),
// releasing those no longer allocated; it returns how many it holds.
func (a *agentMux) programAllocated(s *agent.MuxSlice) int {
	want := muxLeases(s.LoadBalancers, s.SNAT)
	for l := range a.allocated {
		if !want[l] {
			a.n.m.ReleaseSNAT(l)
			delete(a.allocated, l)
		}
	}
	if a.allocated == nil {
		a.allocated = map[mux.SNATLease]bool{}
	}
	for l := range want {
		if !a.allocated[l] && a.n.m.LeaseSNAT(l) == nil {
			a.allocated[l] = true
		}
	}
	return len(a.allocated)
}

func (c *snatConfig) set(rt *Runtime, muxName string, lbs []slb.LoadBalancer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byMux[muxName] = lbs
	var all []slb.LoadBalancer
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(c.byMux)) {
		for _, lb := range c.byMux[name] {
			if !seen[lb.Name] {
				seen[lb.Name] = true
				all = append(all, lb)
			}
		}
	}
	if err := rt.snat.Configure(all...); err != nil {
		return fmt.Errorf("SNAT manager: %w", err)
	}
	return nil
}

// MuxStatus implements agent.MuxNode: the BGP sessions, the VIPs the
// routers have from this Mux, and the data-path counters.
func (a *agentMux) MuxStatus(context.Context) (model.MuxStatus, error) {
	a.mu.Lock()
	st := model.MuxStatus{Peers: a.peers.statuses(a.n.sp), Message: a.drift}
	a.mu.Unlock()
	me := a.n.spec.Addr.Addr()
	seen := map[netip.Prefix]bool{}
	for _, g := range a.rt.sortedGateways() {
		if g.feed == nil {
			continue
		}
		for _, p := range g.feed.prefixes() {
			if !seen[p] && slices.Contains(g.feed.nextHops(p), me) {
				seen[p] = true
				st.Announced = append(st.Announced, p)
			}
		}
	}
	slices.SortFunc(st.Announced, netip.Prefix.Compare)
	s := a.n.m.Stats()
	untrusted, trusted := a.n.m.Flows()
	st.Counters = map[string]uint64{
		"packets": s.Packets(), "bytesOut": s.BytesOut, "flowNew": s.FlowNew, "flowHits": s.FlowHits,
		"snatReturn": s.SNAT, "tableFull": s.TableFull, "flows": uint64(untrusted + trusted),
	}
	return st, nil
}

// agentGateway programs a gateway's static routes and BGP peers.
type agentGateway struct {
	rt   *Runtime
	n    *routerNode
	spec Gateway // as started

	mu     sync.Mutex
	routes map[netip.Prefix]netip.Addr // static routes programmed
	peers  bgpPeers
	drift  string
}

func (rt *Runtime) newAgentGateway(n *routerNode) *agentGateway {
	a := &agentGateway{rt: rt, n: n, routes: map[netip.Prefix]netip.Addr{}}
	for _, g := range rt.topo.Gateways {
		if g.Name == n.name {
			a.spec = g
		}
	}
	for _, r := range a.spec.Routes {
		a.routes[r.Prefix] = r.NextHop
	}
	if a.spec.BGP != nil {
		a.peers = peersOf(a.spec.BGP.Peers)
	}
	return a
}

// ProgramGateway implements agent.GatewayNode: the static routes follow
// the slice (ECMP routes of one prefix merged), and so do the BGP
// speaker's peers; interfaces, the ASN and the NAT's port forwards are
// fixed when the gateway starts.
func (a *agentGateway) ProgramGateway(ctx context.Context, s *agent.GatewaySlice) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	want := map[netip.Prefix][]router.NextHop{}
	for _, r := range s.Gateway.Routes {
		want[r.Prefix] = append(want[r.Prefix], router.NextHop{Addr: r.NextHop})
	}
	rib := a.n.r.Routes()
	for p, hops := range want {
		if err := rib.Replace(router.SourceStatic, p, hops); err != nil {
			return fmt.Errorf("route %s: %w", p, err)
		}
		a.routes[p] = hops[0].Addr
	}
	for p := range a.routes {
		if _, ok := want[p]; !ok {
			rib.Withdraw(router.SourceStatic, p)
			delete(a.routes, p)
		}
	}
	var drift []string
	bgpWanted := s.Gateway.BGP != nil && s.Gateway.HasRole(model.RoleRouter)
	switch {
	case a.n.speaker == nil && bgpWanted:
		drift = append(drift, "BGP")
	case a.n.speaker != nil:
		var want []model.BGPPeer
		if bgpWanted {
			want = s.Gateway.BGP.Peers
			if s.Gateway.BGP.ASN != a.spec.BGP.ASN {
				drift = append(drift, "the BGP ASN")
			}
		}
		err := a.peers.sync(ctx, a.n.speaker, want, func(p Peer) bgp.PeerConfig {
			return bgp.PeerConfig{Address: p.Addr, PeerASN: p.ASN, Passive: true, HoldTime: a.rt.opts.HoldTime, BFD: a.rt.bfd()}
		})
		if err != nil {
			return err
		}
	}
	if !slices.Equal(forwardsOf(s.Gateway), startedForwards(a.spec)) {
		drift = append(drift, "NAT port forwards")
	}
	if len(s.Gateway.Interfaces) != len(a.spec.Interfaces) {
		drift = append(drift, "interfaces")
	}
	a.drift = ""
	if len(drift) > 0 {
		a.drift = "not applied: " + strings.Join(drift, ", ") + " (fixed at start)"
	}
	a.rt.progress(a.n.name, "agent", "programmed: %d static route(s)", len(want))
	return nil
}

func startedForwards(g Gateway) []PortForward {
	if g.NAT == nil {
		return nil
	}
	return g.NAT.Forwards
}

// forwardsOf returns the port forwards of g's NAT as the runtime runs
// them: TCP only (its machines speak HTTP), the pool's first address
// where a forward names none.
func forwardsOf(g model.GatewaySpec) []PortForward {
	if g.NAT == nil || !g.HasRole(model.RoleNAT) {
		return nil
	}
	var out []PortForward
	pool := g.NAT.Pool(g.Interfaces)
	for _, f := range g.NAT.PortForwards {
		if f.Protocol != slb.ProtocolTCP {
			continue
		}
		ext := f.ExternalAddress
		if !ext.IsValid() && len(pool) > 0 {
			ext = pool[0]
		}
		out = append(out, PortForward{External: netip.AddrPortFrom(ext, uint16(f.ExternalPort)),
			Internal: netip.AddrPortFrom(f.InternalAddress, uint16(f.InternalPort))})
	}
	return out
}

// GatewayStatus implements agent.GatewayNode: BGP sessions, the
// BGP-learned prefixes and the forwarding counters.
func (a *agentGateway) GatewayStatus(context.Context) (model.GatewayStatus, error) {
	r := a.n.r
	a.mu.Lock()
	defer a.mu.Unlock()
	st := model.GatewayStatus{Message: a.drift, Counters: map[string]uint64{
		"rx": r.Counter(router.RxFrames), "tx": r.Counter(router.TxFrames), "forwarded": r.Counter(router.Forwarded),
		"noRoute": r.Counter(router.DropNoRoute), "unresolved": r.Counter(router.DropUnresolved),
	}}
	if a.n.speaker != nil {
		st.Peers = a.peers.statuses(a.n.speaker)
		st.Routes = a.n.feed.prefixes()
	}
	return st, nil
}

// prefixes returns the prefixes with a route, sorted.
func (f *ribFeed) prefixes() []netip.Prefix {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Collect(maps.Keys(f.paths))
	slices.SortFunc(out, netip.Prefix.Compare)
	return out
}

func (rt *Runtime) sortedGateways() []*routerNode {
	var out []*routerNode
	for _, name := range slices.Sorted(maps.Keys(rt.gateways)) {
		out = append(out, rt.gateways[name])
	}
	return out
}

// endpointsOf returns a NIC's endpoints as the runtime serves them: TCP,
// one per port; port 80 when the NIC declares none.
func endpointsOf(nic model.NetworkInterfaceSpec) []Endpoint {
	var out []Endpoint
	ports := map[uint16]bool{}
	for _, e := range nic.Endpoints {
		if e.Protocol == slb.ProtocolUDP || ports[uint16(e.Port)] {
			continue
		}
		ports[uint16(e.Port)] = true
		out = append(out, Endpoint{Name: e.Name, Proto: header.ProtocolTCP, Port: uint16(e.Port), Internal: e.Type == model.EndpointInternal})
	}
	if len(out) == 0 {
		out = []Endpoint{{Name: "http", Proto: header.ProtocolTCP, Port: 80}}
	}
	return out
}
