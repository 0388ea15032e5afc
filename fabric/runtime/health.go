package runtime

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/vswitch"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/mux"
)

// The host's own stack sits on its vswitch's host port with Azure's
// platform address, where the load balancer's probes come from; the
// vswitch answers its ARP for hostStackGateway.
var (
	hostStackAddr    = netip.MustParsePrefix("168.63.129.16/24")
	hostStackGateway = netip.MustParseAddr("168.63.129.1")
	hostStackMAC     = header.MAC{0x02, 0x5d, 0xff, 0xff, 0xff, 0x03}
)

// A dipKey is a DIP in its virtual network: tenants' networks may reuse
// addresses (every one may use 10.0.0.0/16), so the health of a DIP, where
// its VM is and what the Muxes are told all go by both.
type dipKey struct {
	vni uint32
	dip netip.Addr
}

func (k dipKey) String() string { return fmt.Sprintf("%s (VNI %d)", k.dip, k.vni) }

// compare orders DIPs by VNI, then address.
func (k dipKey) compare(o dipKey) int {
	if c := cmp.Compare(k.vni, o.vni); c != 0 {
		return c
	}
	return k.dip.Compare(o.dip)
}

// dipKey is the DIP of machine m: its address in its virtual network.
func (m Machine) dipKey() dipKey { return dipKey{m.VNI, m.Addr.Addr()} }

// health is what a host knows of its local DIPs: the host agent's probe
// verdicts (reported through OnHealth; the agent starts with every DIP
// up) and the instances marked busy. The Muxes of the runtime hear of a
// change at once (onHealth); those of other processes through the
// controller: the host's agent reports the DIPs' health in the host's
// status (model.HostStatus.Health, see agentHost.HostStatus), soon after
// each change (published).
type health struct {
	mu    sync.Mutex
	dips  []dipKey // local DIPs with a probe, sorted; a migration moves them
	up    map[dipKey]bool
	busy  map[dipKey]bool
	since map[dipKey]time.Time // when up or busy last changed
	// report, while the host's agent runs, asks it for a status report
	// (agent.Host.ReportStatus: coalesced, it never blocks).
	report func()
}

// changed records that dip's health (up or busy) changed now and asks
// the host's agent to report it (h.mu held). Call it on a change only:
// the time is the status' Since.
func (h *health) changed(dip dipKey) {
	h.since[dip] = time.Now()
	if h.report != nil {
		h.report()
	}
}

// published returns the health of the probed DIPs as the host's status
// reports it, sorted; those of VMs placed on another host (moving away)
// are left out, as onHealth leaves out their verdicts.
func (rt *Runtime) published(h *hostNode) []model.DIPHealth {
	h.health.mu.Lock()
	dips := h.health.dips // replaced, never changed in place
	h.health.mu.Unlock()
	away := map[dipKey]bool{}
	for _, d := range dips {
		if _, host, ok := rt.place.find(d); ok && host != h.spec.Name {
			away[d] = true
		}
	}
	h.health.mu.Lock()
	defer h.health.mu.Unlock()
	var out []model.DIPHealth
	for _, d := range h.health.dips {
		if away[d] {
			continue
		}
		busy := h.health.busy[d]
		out = append(out, model.DIPHealth{VNI: d.vni, DIP: d.dip, Up: h.health.up[d] && !busy, Busy: busy,
			Since: h.health.since[d].UTC()})
	}
	return out
}

// addProbed adds dip to the probed DIPs, keeping them sorted (h.mu held).
// The slice is replaced, never changed in place: readers may hold it.
func (h *health) addProbed(dip dipKey) {
	if !slices.Contains(h.dips, dip) {
		h.dips = append(slices.Clone(h.dips), dip)
		slices.SortFunc(h.dips, dipKey.compare)
	}
}

// forget drops all that is known of dip (h.mu held).
func (h *health) forget(dip dipKey) {
	h.dips = slices.DeleteFunc(slices.Clone(h.dips), func(d dipKey) bool { return d == dip })
	delete(h.up, dip)
	delete(h.busy, dip)
	delete(h.since, dip)
	if h.report != nil {
		h.report()
	}
}

// localDIPs returns the DIPs of host pa that a load-balancing rule probes.
func (rt *Runtime) localDIPs(pa netip.Addr) []dipKey {
	var out []dipKey
	for _, lb := range rt.topo.LoadBalancers {
		for k := range probedDIPs(lb, pa) {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.SortFunc(out, dipKey.compare)
	return out
}

// startHostStack attaches the host's own stack to its vswitch's host port:
// the host agent's probes dial from it, and it serves the host's VMs the
// WireServer's instance status endpoint (wireserver.go).
func (rt *Runtime) startHostStack(h *hostNode) (*guest.Guest, error) {
	stackSide, switchSide := netsim.NewWire(h.spec.Name+".host", netsim.WireConfig{Queue: rt.opts.queue()})
	if _, err := h.sw.AddHostPort(vswitch.HostPortConfig{Name: "host", Port: switchSide, MAC: hw(hostStackMAC), Addr: hostStackAddr.Addr()}); err != nil {
		stackSide.Close()
		switchSide.Close()
		return nil, fmt.Errorf("%s: host port: %w", h.spec.Name, err)
	}
	stk, err := guest.New(h.spec.Name+"/host", stackSide, guest.Config{MAC: hw(hostStackMAC), Addr: hostStackAddr, Gateway: hostStackGateway})
	if err != nil {
		return nil, fmt.Errorf("%s: host stack: %w", h.spec.Name, err)
	}
	return stk, nil
}

// onHealth is the host agent's OnHealth: every Mux of the runtime hears
// of the change, and the host's agent reports it to the others.
func (rt *Runtime) onHealth(h *hostNode, vni uint32, addr netip.Addr, up bool) {
	dip := dipKey{vni, addr}
	if _, host, ok := rt.place.find(dip); ok && host != h.spec.Name {
		return // its VM moved away: the old host's probes no longer count
	}
	h.health.mu.Lock()
	busy := h.health.busy[dip]
	// A report computed before a SetBusy may arrive after it: busy wins.
	up = up && !busy
	was, known := h.health.up[dip]
	h.health.up[dip] = up
	// Under the lock, so that the Muxes hear the reports in order.
	for _, m := range rt.muxes {
		m.m.SetHealth(vni, addr, up)
	}
	if !known || was != up {
		h.health.changed(dip)
	}
	h.health.mu.Unlock()
	state := "healthy, in rotation"
	switch {
	case !up && busy:
		state = "busy: out of rotation"
	case !up:
		state = "unhealthy: out of rotation"
	}
	rt.progress(h.spec.Name, "health", "%s (%s): %s", addr, rt.machineAt(dip), state)
}

// muxHealth tells Mux m, just configured with lbs, the health of their
// DIPs, each in its virtual network. A DIP that a rule probes on a host
// of this runtime: as that host knows it (out of rotation until the host
// agent's probe passed, for a VM its agent attached: see follow). One
// probed on a host of another process: as that host's agent reported it
// through the controller (reported, see agent.MuxSlice.Health), or, if it
// has not, left as the Mux has it: healthy if it was in the Mux's first
// configuration, held out of rotation if a later one added it
// (mux.Config.HoldNewDIPs), until its host reports it. Any other DIP is
// healthy. A report that reached the Mux before the DIP did was ignored.
func (rt *Runtime) muxHealth(m *mux.Mux, lbs []slb.LoadBalancer, reported map[agent.DIP]bool) {
	byPA := map[netip.Addr]*hostNode{}
	for _, h := range rt.hosts {
		byPA[h.spec.PA.Addr()] = h
	}
	probed := map[dipKey]bool{}
	where := map[dipKey]netip.Addr{} // DIP -> its host's PA
	for _, lb := range lbs {
		withProbe := map[string]bool{} // pools a rule probes
		for _, r := range lb.LoadBalancingRules {
			if r.Probe != "" {
				withProbe[r.BackendPool] = true
			}
		}
		for _, pool := range lb.BackendAddressPools {
			for _, b := range pool.Backends {
				k := dipKey{pool.VNI, b.DIP}
				where[k] = b.HostPA
				probed[k] = probed[k] || withProbe[pool.Name]
			}
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(where), dipKey.compare) {
		if !probed[k] {
			m.SetHealth(k.vni, k.dip, true)
			continue
		}
		h := byPA[where[k]]
		if h == nil {
			if up, ok := reported[agent.DIP{VNI: k.vni, Addr: k.dip}]; ok {
				m.SetHealth(k.vni, k.dip, up)
			}
			continue
		}
		// As onHealth does: under the host's lock, so that the Mux hears
		// the reports in order.
		h.health.mu.Lock()
		m.SetHealth(k.vni, k.dip, h.health.up[k] && !h.health.busy[k])
		h.health.mu.Unlock()
	}
}

// unhealthy lists the local DIPs that have not passed a probe yet or are
// down (busy ones aside).
func (h *hostNode) unhealthy() []dipKey {
	h.health.mu.Lock()
	n := len(h.health.dips)
	h.health.mu.Unlock()
	if n == 0 {
		return nil
	}
	probed := h.agent.Stats().Probes >= uint64(n)
	h.health.mu.Lock()
	defer h.health.mu.Unlock()
	var out []dipKey
	for _, d := range h.health.dips {
		if h.health.busy[d] {
			continue
		}
		if !probed || !h.health.up[d] {
			out = append(out, d)
		}
	}
	return out
}

// machineAt returns the name of the machine of DIP k.
func (rt *Runtime) machineAt(k dipKey) string {
	if name, _, ok := rt.place.find(k); ok {
		return name // a VM on a host, maybe attached by its agent after start
	}
	for _, m := range rt.topo.Machines {
		if m.dipKey() == k {
			return m.Name
		}
	}
	return "?"
}

// SetBusy takes the instance at addr out of rotation, as the seed's
// Set-RoleInstanceStatus -Busy does: its host agent reports it down, the
// Muxes send it no new flows, and its existing flows go on. It implements
// provision.Rotation. An address that DIPs of several virtual networks
// have (tenants may reuse addresses) is refused: InVNI names the one.
func (rt *Runtime) SetBusy(_ context.Context, addr netip.Addr) error {
	k, err := rt.probedDIP(addr)
	if err != nil {
		return err
	}
	return rt.setBusy(k, true)
}

// SetReady puts the instance at addr back in rotation (once its probes
// pass). It implements provision.Rotation; see SetBusy.
func (rt *Runtime) SetReady(_ context.Context, addr netip.Addr) error {
	k, err := rt.probedDIP(addr)
	if err != nil {
		return err
	}
	return rt.setBusy(k, false)
}

// InVNI is the rotation of the instances of the virtual network vni:
// SetBusy and SetReady for an address that several tenants' networks use.
func (rt *Runtime) InVNI(vni uint32) VNIRotation { return VNIRotation{rt, vni} }

// VNIRotation is the rotation of the instances of one virtual network. It
// implements provision.Rotation.
type VNIRotation struct {
	rt  *Runtime
	vni uint32
}

// SetBusy takes the instance at addr in the virtual network out of
// rotation (see Runtime.SetBusy).
func (r VNIRotation) SetBusy(_ context.Context, addr netip.Addr) error {
	return r.rt.setBusy(dipKey{r.vni, addr}, true)
}

// SetReady puts the instance at addr in the virtual network back in
// rotation.
func (r VNIRotation) SetReady(_ context.Context, addr netip.Addr) error {
	return r.rt.setBusy(dipKey{r.vni, addr}, false)
}

// probedDIP returns the probed DIP of address addr, if only one virtual
// network has it.
func (rt *Runtime) probedDIP(addr netip.Addr) (dipKey, error) {
	var found []dipKey
	for _, h := range rt.sortedHosts() {
		h.health.mu.Lock()
		for _, d := range h.health.dips {
			if d.dip == addr && !slices.Contains(found, d) {
				found = append(found, d)
			}
		}
		h.health.mu.Unlock()
	}
	switch len(found) {
	case 0:
		return dipKey{}, fmt.Errorf("runtime: no host serves %s", addr)
	case 1:
		return found[0], nil
	}
	slices.SortFunc(found, dipKey.compare)
	return dipKey{}, fmt.Errorf("runtime: %s is a DIP of several virtual networks (%v): name one with InVNI", addr, found)
}

func (rt *Runtime) setBusy(k dipKey, busy bool) error {
	for _, h := range rt.sortedHosts() {
		if rt.markBusy(h, k, busy) == nil {
			return nil
		}
	}
	return fmt.Errorf("runtime: no host serves %s", k)
}

// markBusy marks DIP k, a local DIP of host h, busy or ready (nothing
// changes if it is already).
func (rt *Runtime) markBusy(h *hostNode, k dipKey, busy bool) error {
	h.health.mu.Lock()
	if !slices.Contains(h.health.dips, k) {
		h.health.mu.Unlock()
		return fmt.Errorf("runtime: %s has no probed DIP %s: no load-balancing rule with a probe has it", h.spec.Name, k)
	}
	if h.health.busy[k] == busy {
		h.health.mu.Unlock()
		return nil // as marked already
	}
	h.health.busy[k] = busy
	h.health.changed(k)
	h.health.mu.Unlock()
	what := "ready (Set-RoleInstanceStatus -Ready)"
	if busy {
		what = "busy (Set-RoleInstanceStatus -Busy)"
	}
	rt.progress(h.spec.Name, "health", "%s (%s) %s", k.dip, rt.machineAt(k), what)
	h.agent.SetBusy(k.vni, k.dip, busy)
	return nil
}

// healthy reports whether DIP k is up and not busy.
func (rt *Runtime) healthy(k dipKey) bool {
	for _, h := range rt.sortedHosts() {
		h.health.mu.Lock()
		ok := slices.Contains(h.health.dips, k)
		up := ok && h.health.up[k] && !h.health.busy[k]
		h.health.mu.Unlock()
		if ok {
			return up
		}
	}
	return false
}
