package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
)

// A host's VMs follow the controller. A NIC that appears in a host's
// slice is attached there by its agent: moved from the host of this
// runtime it is on (migrate), or else made, as at start, through
// Options.Guests or as a gVisor guest, on a new vNIC of the host's
// virtual switch. A VM on a host whose NIC has left the host's slice is
// detached (its vNIC removed, its guest stopped) after detachGrace,
// unless by then the last slice of another host of this runtime has the
// NIC: that host's agent moves the VM, as a live migration keeps it.
// The controller's state does not say whether a NIC that left a host
// was deleted or moved, so the grace gives the new host's agent, which
// watches the same state, time to take it; a VM moving to a host of
// another process, or to one whose agent is later than the grace, is
// detached here and made anew there. Stopping the agents leaves the VMs
// as they are; Close detaches those the agents attached.

// detachGrace is how long a VM whose NIC left its host stays attached
// for another host of the runtime to take it.
const detachGrace = time.Second

// follow attaches the VM of NIC ifc to dst: it moves it from another
// host of the runtime, or attaches it anew if it runs nowhere here. Call
// it without holding any agent's lock.
func (rt *Runtime) follow(ctx context.Context, ifc agent.HostInterface, dst *agentHost) error {
	p := &rt.place
	p.moves.Lock()
	defer p.moves.Unlock()
	if _, ok := p.get(ifc.Name); ok {
		return rt.migrate(ctx, ifc.Name, dst)
	}
	if ifc.Spec.VirtualNetwork == "" || len(ifc.Spec.Addresses) == 0 {
		return nil // not a VM of a virtual network: endpointDrift reports it
	}
	dst.mu.Lock()
	stopped := dst.stopped
	dst.mu.Unlock()
	if stopped {
		return nil
	}
	h := dst.h
	m := machineOf(ifc.Name, ifc.Spec, ifc.Attachment)
	m.Host = h.spec.Name
	dip := m.dipKey()
	dst.mu.Lock()
	_, probed := dst.probes[dip]
	dst.mu.Unlock()
	if probed {
		// As Azure's load balancer: a DIP added to a running pool takes
		// new flows once its probe passed. It is out of rotation before
		// its VM is plugged in (the host agent, configured with it by
		// program, would otherwise pick it at once); the host agent
		// reports it up then, and the Muxes hold it until (muxHealth).
		h.health.mu.Lock()
		h.health.addProbed(dip)
		h.health.up[dip] = false
		h.health.changed(dip)
		h.health.mu.Unlock()
		h.agent.AwaitProbe(dip.vni, dip.dip)
	} else {
		h.health.mu.Lock()
		if _, ok := h.health.up[dip]; !ok {
			h.health.up[dip] = true
		}
		h.health.mu.Unlock()
	}
	if _, err := rt.plug(ctx, m, h, true); err != nil {
		// The vswitch forgot the VM's mapping with its vNIC: program
		// sets it again.
		dst.mu.Lock()
		delete(dst.mappings, caKey{m.VNI, m.Addr.Addr()})
		dst.mu.Unlock()
		return fmt.Errorf("%s: attach: %w", h.spec.Name, err)
	}
	rt.progress(h.spec.Name, "attached", "%s (%s) in VNI %d", m.Name, m.Addr, m.VNI)
	return nil
}

// gone reports whether a VM on a's host has a NIC that is not in the
// slice's interfaces.
func (a *agentHost) gone(s *agent.HostSlice) bool {
	for name := range a.rt.place.on(a.h.spec.Name) {
		if !slices.ContainsFunc(s.Interfaces, func(i agent.HostInterface) bool { return i.Name == name }) {
			return true
		}
	}
	return false
}

// sweepLater detaches, after detachGrace, the VMs whose NICs left a's
// host (see sweep), unless a sweep is already pending.
func (a *agentHost) sweepLater() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sweeping != nil || a.stopped {
		return
	}
	a.sweeping = time.AfterFunc(detachGrace, func() {
		if err := a.sweep(); err != nil {
			a.rt.log.Warn("detach", "node", a.h.spec.Name, "err", err)
		}
	})
}

// sweep detaches the VMs on a's host whose NICs are neither in its last
// slice nor in the last slice of another host of the runtime.
func (a *agentHost) sweep() error {
	rt := a.rt
	p := &rt.place
	p.moves.Lock()
	defer p.moves.Unlock()
	a.mu.Lock()
	stopped := a.stopped
	a.sweeping = nil
	a.mu.Unlock()
	if stopped {
		return nil
	}
	wanted := map[string]bool{}
	p.mu.Lock()
	hosts := slices.Collect(maps.Values(p.hosts))
	p.mu.Unlock()
	for _, h := range hosts {
		h.mu.Lock()
		for _, ifc := range h.ifaces {
			wanted[ifc.Name] = true
		}
		h.mu.Unlock()
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(p.on(a.h.spec.Name))) {
		if !wanted[name] {
			errs = append(errs, rt.detach(name))
		}
	}
	return errors.Join(errs...)
}

// detach unplugs VM name from the host it is on and stops it. Call it
// holding p.moves and no agent's lock.
func (rt *Runtime) detach(name string) error {
	p := &rt.place
	at, ok := p.get(name)
	if !ok {
		return nil
	}
	h, ok := rt.hosts[at.host]
	if !ok {
		return fmt.Errorf("detach %s: its host %s does not run here", name, at.host)
	}
	h.sw.RemoveVNIC(name)
	at.detach()
	p.remove(name)
	h.health.mu.Lock()
	h.health.forget(at.m.dipKey())
	h.health.mu.Unlock()
	rt.progress(at.host, "detached", "%s (%s)", name, at.m.Addr)
	return nil
}

// detachLate detaches the VMs the host agents attached (Close).
func (rt *Runtime) detachLate() {
	p := &rt.place
	p.moves.Lock()
	defer p.moves.Unlock()
	p.mu.Lock()
	var late []string
	for name, at := range p.attached {
		if at.late {
			late = append(late, name)
		}
	}
	p.mu.Unlock()
	for _, name := range late {
		_ = rt.detach(name) // its host runs here: it attached it
	}
}
