package runtime

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/vswitch"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// hostNode is a hypervisor host: a vswitch (VFP-like layers offload -> ACL
// -> SLB -> VNet) with its uplink on the provider network, the SLB host
// agent as its SLB layer, a vNIC per VM, and the host's own stack on the
// switch's host port for the load balancer's probes.
type hostNode struct {
	spec   Host
	sw     *vswitch.Switch
	agent  *hostagent.Agent
	stack  *guest.Guest // the host's own stack: probes, the WireServer
	health health
}

func (rt *Runtime) startHosts() error {
	for _, spec := range rt.topo.Hosts {
		if !rt.local(spec.Name) {
			continue
		}
		if err := rt.startHost(spec); err != nil {
			return err
		}
	}
	return nil
}

func (rt *Runtime) startHost(spec Host) error {
	seg, err := rt.network(spec.Network, spec.Name)
	if err != nil {
		return err
	}
	h := &hostNode{spec: spec}
	h.health.dips = rt.localDIPs(spec.PA.Addr())
	h.health.up, h.health.busy, h.health.since = map[dipKey]bool{}, map[dipKey]bool{}, map[dipKey]time.Time{}
	for _, d := range h.health.dips {
		h.health.up[d] = true // as the agent starts them
	}
	// The host's stack is set up once the switch exists; the agent dials
	// through it.
	var stack hostDialer
	// The agent's RSTs (TCP reset on idle, a connection a SYN replaced)
	// leave through the switch, which exists once the agent does.
	var resetVia atomic.Pointer[vswitch.Switch]
	agent, err := hostagent.New(hostagent.Config{
		HostPA:   spec.PA.Addr(),
		Logger:   rt.log.With("node", spec.Name),
		Leaser:   rt.leaser(),
		Internal: rt.tenantPrefixes(),
		Dialer:   &stack,
		OnHealth: func(vni uint32, dip netip.Addr, up bool) { rt.onHealth(h, vni, dip, up) },
		OnTCPReset: func(r hostagent.TCPReset) {
			if sw := resetVia.Load(); sw != nil {
				sw.SendTCPReset(r)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", spec.Name, err)
	}
	if err := agent.Configure(rt.topo.LoadBalancers...); err != nil {
		return fmt.Errorf("%s: configure host agent: %w", spec.Name, err)
	}
	h.agent = agent
	neighbors := rt.providerNeighbors(spec.Network)
	cfg := vswitch.Config{
		Name:           spec.Name,
		Uplink:         seg.Port(spec.Name),
		HostPA:         spec.PA.Addr(),
		HostMAC:        hw(spec.MAC),
		ProviderPrefix: spec.PA.Masked(),
		RouterPA:       spec.Gateway,
		SLB:            vswitch.HostAgent(agent),
	}
	if rec := rt.opts.Trace; rec != nil {
		cfg.Trace = func(e vswitch.Event) {
			if rec.WantsFrame(e.Frame) {
				rec.Record(e.TraceEvent())
			}
		}
	}
	sw, err := vswitch.New(cfg)
	if err != nil {
		cfg.Uplink.Close()
		return fmt.Errorf("%s: %w", spec.Name, err)
	}
	resetVia.Store(sw)
	rt.closers = append(rt.closers, sw.Close)
	// The controller's programming: provider MACs (static ARP) and where
	// every customer address of the fabric lives.
	for pa, mac := range neighbors {
		if pa != spec.PA.Addr() {
			if err := sw.SetNeighbor(pa, hw(mac)); err != nil {
				return fmt.Errorf("%s: neighbour %s: %w", spec.Name, pa, err)
			}
		}
	}
	pas := map[string]netip.Addr{}
	for _, h := range rt.topo.Hosts {
		pas[h.Name] = h.PA.Addr()
	}
	for _, m := range rt.topo.Machines {
		if m.Host == "" {
			continue
		}
		if err := sw.SetMapping(m.VNI, m.Addr.Addr(), pas[m.Host], hw(m.MAC)); err != nil {
			return fmt.Errorf("%s: mapping of %s: %w", spec.Name, m.Name, err)
		}
	}
	h.sw = sw
	rt.hosts[spec.Name] = h
	stk, err := rt.startHostStack(h)
	if err != nil {
		return err
	}
	stack.g, h.stack = stk, stk
	rt.closers = append(rt.closers, stk.Close)
	ln, err := stk.Listen("tcp", ":80")
	if err != nil {
		return fmt.Errorf("%s: host stack: the WireServer: %w", spec.Name, err)
	}
	rt.serveWireServer(h, ln) // closed before the stack
	rt.progress(spec.Name, "started", "vswitch with PA %s: layers offload, acl, slb (host agent), vnet (VXLAN)", spec.PA.Addr())
	return nil
}

// runAgents starts the host agents' probes and SNAT lease upkeep, once the
// VMs are attached.
func (rt *Runtime) runAgents() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, h := range rt.sortedHosts() {
		wg.Go(func() {
			h.agent.Tick(ctx) // probe at once
			_ = h.agent.Run(ctx)
		})
	}
	rt.closers = append(rt.closers, func() {
		cancel()
		wg.Wait()
	})
}

// hostDialer dials through a host's own stack once it exists.
type hostDialer struct{ g *guest.Guest }

func (d *hostDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.g.DialContext(ctx, network, addr)
}

// tenantPrefixes are the virtual networks' subnets: east-west
// destinations the host agents never SNAT, until an agent programs the
// host (see internalPrefixes).
func (rt *Runtime) tenantPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, m := range rt.topo.Machines {
		if p := m.Addr.Masked(); m.Host != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// attachToHost plugs a VM of the topology into its host's virtual switch
// at start; Close detaches it.
func (rt *Runtime) attachToHost(ctx context.Context, m Machine) error {
	h, ok := rt.hosts[m.Host]
	if !ok {
		return fmt.Errorf("%s: host %q does not exist", m.Name, m.Host)
	}
	detach, err := rt.plug(ctx, m, h, false)
	if err != nil {
		return err
	}
	rt.closers = append(rt.closers, detach)
	return nil
}

// plug attaches VM m to a vNIC of host h's virtual switch and records
// where it is (late: attached by h's agent after start). It returns the
// VM's detach function (see addMachine); on error it leaves nothing
// behind.
func (rt *Runtime) plug(ctx context.Context, m Machine, h *hostNode, late bool) (detach func(), err error) {
	switchSide, vmSide := netsim.NewWire(m.Host+"."+m.Name, netsim.WireConfig{Queue: rt.opts.queue()})
	if _, err := h.sw.AddVNIC(vnicConfig(m, switchSide)); err != nil {
		switchSide.Close()
		vmSide.Close()
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	detach, err = rt.addMachine(ctx, m, vmSide)
	if err != nil {
		h.sw.RemoveVNIC(m.Name)
		vmSide.Close()
		return nil, err
	}
	rt.place.add(m, h.spec.PA.Addr(), vmSide, detach, late)
	return detach, nil
}

func (rt *Runtime) sortedHosts() []*hostNode {
	var out []*hostNode
	for _, name := range slices.Sorted(maps.Keys(rt.hosts)) {
		out = append(out, rt.hosts[name])
	}
	return out
}

func hw(m header.MAC) net.HardwareAddr { return net.HardwareAddr(m[:]) }
