package runtime

import (
	"net/netip"
	"slices"
	"time"

	"github.com/sdnfabric/sdnfabric/slb"
)

// drainGrace is how long a host keeps serving new flows of a local DIP
// that left its load balancers. The Muxes are programmed by their own
// agents, maybe after the host: until then they still send new flows to
// the DIP, which the host would drop without the DIP's rules.
const drainGrace = time.Second

// withLeaving returns next with the local backends of prev (on host pa)
// that next no longer has put back: in their pool when next keeps it,
// else with their whole load balancer as prev had it. ok is false when
// nothing left.
func withLeaving(prev, next []slb.LoadBalancer, pa netip.Addr) (merged []slb.LoadBalancer, ok bool) {
	byName := map[string]slb.LoadBalancer{}
	for _, lb := range next {
		byName[lb.Name] = lb
	}
	for _, old := range prev {
		cur, kept := byName[old.Name]
		if !kept {
			if hasLocal(old, pa) {
				merged, ok = append(merged, old), true
			}
			continue
		}
		cur.BackendAddressPools = slices.Clone(cur.BackendAddressPools)
		for i, p := range cur.BackendAddressPools {
			for _, op := range old.BackendAddressPools {
				if op.Name != p.Name {
					continue
				}
				for _, b := range op.Backends {
					if b.HostPA == pa && !slices.ContainsFunc(p.Backends, func(x slb.Backend) bool { return x.DIP == b.DIP }) {
						p.Backends, ok = append(slices.Clip(p.Backends), b), true
					}
				}
			}
			cur.BackendAddressPools[i] = p
		}
		byName[old.Name] = cur
	}
	if !ok {
		return nil, false
	}
	for _, lb := range next {
		merged = append(merged, byName[lb.Name])
	}
	return merged, true
}

func hasLocal(lb slb.LoadBalancer, pa netip.Addr) bool {
	for _, p := range lb.BackendAddressPools {
		for _, b := range p.Backends {
			if b.HostPA == pa {
				return true
			}
		}
	}
	return false
}

// configure gives the host agent lbs, placed where the VMs are now (see
// Runtime.placed). When local DIPs leave, it first keeps them for
// drainGrace (see withLeaving), then applies lbs exactly, unless another
// programming came meanwhile. It holds a.mu.
func (a *agentHost) configure(lbs []slb.LoadBalancer) error {
	if a.grace != nil {
		a.grace.Stop()
		a.grace = nil
	}
	prev := a.applied
	a.lbs = lbs
	lbs = a.rt.placed(lbs)
	a.applied = lbs
	a.probes = map[dipKey][]probeRef{}
	for _, lb := range lbs {
		for dip, probe := range probedDIPs(lb, a.h.spec.PA.Addr()) {
			a.probes[dip] = append(a.probes[dip], probeRef{lb.Name, probe})
		}
	}
	a.seq++
	seq := a.seq
	if merged, ok := withLeaving(prev, lbs, a.h.spec.PA.Addr()); ok && a.h.agent.Configure(merged...) == nil {
		a.grace = time.AfterFunc(drainGrace, func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			if a.grace == nil || a.seq != seq {
				return // stopped, or programmed again
			}
			if err := a.h.agent.Configure(lbs...); err != nil {
				a.rt.log.Warn("host agent: configuration after the drain grace refused", "node", a.h.spec.Name, "err", err)
			}
			a.grace = nil
		})
		return nil
	}
	return a.h.agent.Configure(lbs...)
}

// stop cancels a pending drain grace and detachment; the host attaches
// and detaches no more.
func (a *agentHost) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopped = true
	if a.grace != nil {
		a.grace.Stop()
		a.grace = nil
	}
	if a.sweeping != nil {
		a.sweeping.Stop()
		a.sweeping = nil
	}
}
