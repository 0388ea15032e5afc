package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/vswitch"
	"github.com/sdnfabric/sdnfabric/slb"
)

// Live migration. When the controller moves a NetworkInterface to another
// host, the new host's agent moves the VM there (migrate): the VM's end of
// its wire is replugged into a vNIC of the new host's virtual switch, so
// the guest keeps its stack, its addresses and its connections, as a
// live-migrated VM does; the old host forgets the vNIC and maps the VM's
// customer address to the new host; the old host agent's inbound flows of
// the DIP are handed to the new one (slb/hostagent Flows and AddFlows), so
// established connections keep their translation and their DIP; and every
// host agent and Mux is programmed again with the VM where it now is (the
// Muxes keep a moved backend's flows: they go to the new host at once).
//
// Until a VM has moved, the runtime programs the load balancers with the
// VM where it is, whatever the controller says, so that the data plane
// always sends a DIP's traffic to the host that has it.

// attachment is a VM on a host's virtual switch.
type attachment struct {
	m      Machine      // as started (m.Host is where it started)
	host   string       // where it is now
	pa     netip.Addr   // that host's provider address
	vm     *netsim.Port // the VM's end of its wire
	detach func()       // stops the VM and closes vm (see addMachine)
	late   bool         // attached by a host agent after start (see follow)
}

// placement is where the runtime's VMs are, and the agents' nodes that a
// migration programs again.
type placement struct {
	moves sync.Mutex // one migration, attachment or detachment at a time; taken before any agent's lock

	mu       sync.Mutex
	attached map[string]*attachment // by machine name
	hosts    map[string]*agentHost  // by host name, once StartAgents ran
	muxes    []*agentMux
}

func (p *placement) add(m Machine, pa netip.Addr, vm *netsim.Port, detach func(), late bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.attached == nil {
		p.attached = map[string]*attachment{}
	}
	p.attached[m.Name] = &attachment{m: m, host: m.Host, pa: pa, vm: vm, detach: detach, late: late}
}

func (p *placement) remove(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.attached, name)
}

// get returns a copy of a VM's attachment.
func (p *placement) get(name string) (attachment, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.attached[name]
	if !ok {
		return attachment{}, false
	}
	return *at, true
}

// on returns the VMs attached to host now, with their endpoints.
func (p *placement) on(host string) map[string][]Endpoint {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string][]Endpoint{}
	for name, at := range p.attached {
		if at.host == host {
			out[name] = at.m.Endpoints
		}
	}
	return out
}

// machinesOn returns the VMs attached to host now, by name.
func (p *placement) machinesOn(host string) map[string]Machine {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]Machine{}
	for name, at := range p.attached {
		if at.host == host {
			out[name] = at.m
		}
	}
	return out
}

// find returns the name of the VM of DIP k and the host it is on now.
func (p *placement) find(k dipKey) (name, host string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, at := range p.attached {
		if at.m.dipKey() == k {
			return name, at.host, true
		}
	}
	return "", "", false
}

func (p *placement) moveTo(name, host string, pa netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := p.attached[name]
	at.host, at.pa = host, pa
}

func (p *placement) register(h *agentHost, m *agentMux) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h != nil {
		if p.hosts == nil {
			p.hosts = map[string]*agentHost{}
		}
		p.hosts[h.h.spec.Name] = h
	}
	if m != nil {
		p.muxes = append(p.muxes, m)
	}
}

// placed returns lbs with the HostPA of every backend that is a VM of this
// runtime set to the host the VM is on now. lbs is not modified: changed
// load balancers, pools and backend lists are copies.
func (rt *Runtime) placed(lbs []slb.LoadBalancer) []slb.LoadBalancer {
	p := &rt.place
	p.mu.Lock()
	defer p.mu.Unlock()
	at := map[dipKey]netip.Addr{}
	for _, a := range p.attached {
		at[a.m.dipKey()] = a.pa
	}
	out, copied := lbs, false
	for i, lb := range lbs {
		for j, pool := range lb.BackendAddressPools {
			for k, b := range pool.Backends {
				pa, ok := at[dipKey{pool.VNI, b.DIP}]
				if !ok || pa == b.HostPA {
					continue
				}
				if !copied {
					out, copied = cloneBackends(lbs), true
				}
				out[i].BackendAddressPools[j].Backends[k].HostPA = pa
			}
		}
	}
	return out
}

// cloneBackends copies lbs down to their backend lists.
func cloneBackends(lbs []slb.LoadBalancer) []slb.LoadBalancer {
	out := slices.Clone(lbs)
	for i := range out {
		out[i].BackendAddressPools = slices.Clone(out[i].BackendAddressPools)
		for j := range out[i].BackendAddressPools {
			out[i].BackendAddressPools[j].Backends = slices.Clone(out[i].BackendAddressPools[j].Backends)
		}
	}
	return out
}

// migrate moves VM name to the host of dst, if it is attached elsewhere
// in this runtime. Call it holding p.moves and no agent's lock.
func (rt *Runtime) migrate(ctx context.Context, name string, dst *agentHost) error {
	p := &rt.place
	at, ok := p.get(name)
	to := dst.h.spec.Name
	if !ok || at.host == to {
		return nil
	}
	from, ok := rt.hosts[at.host]
	if !ok {
		return fmt.Errorf("migrate %s: its host %s does not run here", name, at.host)
	}
	start := time.Now()
	m := at.m
	dip, pa := m.Addr.Addr(), dst.h.spec.PA.Addr()
	// Cut the VM from the old host: its frames go to the new end (queued
	// until the new vNIC reads them), and the old host's to it nowhere.
	end, err := at.vm.Replug(to)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	from.sw.RemoveVNIC(m.Name)
	flows := from.agent.Flows(m.VNI, dip)
	p.moveTo(name, to, pa)

	// The new host: the DIP is local to its host agent (placed), its
	// flows are handed over, then the vNIC takes the VM's frames.
	var errs []error
	dst.mu.Lock()
	if err := dst.configure(dst.lbs); err != nil {
		errs = append(errs, fmt.Errorf("%s: host agent: %w", to, err))
	}
	dst.mu.Unlock()
	moved, err := dst.h.agent.AddFlows(flows...)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: flows of %s: %w", to, dip, err))
	}
	if _, err := dst.h.sw.AddVNIC(vnicConfig(m, end)); err != nil {
		end.Close()
		errs = append(errs, fmt.Errorf("%s: %w", to, err))
	}
	// The old host sends to the VM's new place; every other host's
	// agent maps it from the controller's state.
	if err := from.sw.SetMapping(m.VNI, dip, pa, hw(m.MAC)); err != nil {
		errs = append(errs, fmt.Errorf("%s: mapping of %s: %w", at.host, name, err))
	}
	moveHealth(from, dst.h, m.dipKey())

	// The old host agent lets the DIP go (after the drain grace); the
	// Muxes send its flows, old and new, to the new host.
	p.mu.Lock()
	src, muxes := p.hosts[at.host], slices.Clone(p.muxes)
	p.mu.Unlock()
	if src != nil {
		src.mu.Lock()
		if err := src.configure(src.lbs); err != nil {
			errs = append(errs, fmt.Errorf("%s: host agent: %w", at.host, err))
		}
		src.mu.Unlock()
	}
	for _, mx := range muxes {
		if err := mx.reconfigure(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	rt.progress(to, "migrated", "%s (%s) from %s: %d of %d flow(s) handed over, in %s",
		name, dip, at.host, moved, len(flows), time.Since(start).Round(time.Microsecond))
	return errors.Join(errs...)
}

// moveHealth moves what the runtime knows of dip's health from one host
// to another; the new host agent starts it healthy, as it does every DIP.
func moveHealth(from, to *hostNode, dip dipKey) {
	from.health.mu.Lock()
	probed := slices.Contains(from.health.dips, dip)
	busy := from.health.busy[dip]
	from.health.forget(dip)
	from.health.mu.Unlock()
	if !probed {
		return
	}
	to.health.mu.Lock()
	defer to.health.mu.Unlock()
	to.health.addProbed(dip)
	to.health.up[dip] = true
	if busy {
		to.health.busy[dip] = true
	}
	to.health.changed(dip)
}

// vnicConfig is the vNIC of VM m on the switch's end of its wire.
func vnicConfig(m Machine, port *netsim.Port) vswitch.VNICConfig {
	var eps []vswitch.Endpoint
	for _, e := range m.Endpoints {
		kind := vswitch.Input
		if e.Internal {
			kind = vswitch.Internal
		}
		eps = append(eps, vswitch.Endpoint{Name: e.Name, Kind: kind, Protocol: e.Proto, Port: e.Port})
	}
	return vswitch.VNICConfig{Name: m.Name, Port: port, MAC: hw(m.MAC), Addr: m.Addr.Addr(), VNI: m.VNI, Endpoints: eps, TSO: true}
}
