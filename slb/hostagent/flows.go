package hostagent

import (
	"errors"
	"fmt"
	"net/netip"
)

// A Flow is an inbound connection of a local DIP (through a
// load-balancing or an inbound NAT rule), as one host hands it to another
// when the DIP's VM moves there (a live migration): the new host then
// translates the connection's packets, both ways, as the old one did,
// even where its own choice among several local DIPs would differ.
type Flow struct {
	VNI      uint32
	Protocol uint8          // 6 (TCP) or 17 (UDP)
	Client   netip.AddrPort // the remote end
	Frontend netip.AddrPort // the VIP and frontend port the client reaches
	DIP      netip.Addr
}

// ErrNoLocalRule: AddFlows was given a flow that no rule of the agent
// delivers to that local DIP.
var ErrNoLocalRule = errors.New("hostagent: no rule delivers the flow's frontend to a local DIP")

// ErrTableFull: the flow table had no room for a flow AddFlows was given.
var ErrTableFull = errors.New("hostagent: flow table full")

// Flows returns the live inbound connections of local DIP dip in the
// virtual network vni, in no particular order; those of a DIP of the same
// address in another virtual network (another tenant's VM) are not its.
// SNAT connections stay with the host that leased their ports.
func (a *Agent) Flows(vni uint32, dip netip.Addr) []Flow {
	want := addr16(dip)
	now := a.tick()
	var out []Flow
	for si := range a.table.shards {
		s := &a.table.shards[si]
		s.mu.Lock()
		for i := range s.entries {
			e := &s.entries[i]
			if s.tags[i] == 0 || e.key.frag || e.act.snat || e.act.verdict != Deliver || e.key.vni != vni || e.act.dip != want || e.expired(s, now) {
				continue
			}
			k := &e.key
			out = append(out, Flow{VNI: k.vni, Protocol: k.proto,
				Client:   netip.AddrPortFrom(fromKey(&k.src, k.v4), k.sport),
				Frontend: netip.AddrPortFrom(fromKey(&k.dst, k.v4), k.dport),
				DIP:      dip})
		}
		s.mu.Unlock()
	}
	return out
}

// AddFlows records flows, each as if its next packet had come from a Mux
// naming its DIP, so that their packets are translated at once, both
// ways. A flow the table already holds is left as it is. It returns how
// many it added; the others are named in the error (ErrNoLocalRule when
// the agent's configuration has no rule delivering the frontend to that
// local DIP, ErrTableFull).
func (a *Agent) AddFlows(flows ...Flow) (int, error) {
	c := a.conf.Load()
	added := 0
	var errs []error
	for _, f := range flows {
		var p packet
		p.v4 = f.Frontend.Addr().Unmap().Is4()
		p.proto = f.Protocol
		p.key = flowKey{src: addr16(f.Client.Addr().Unmap()), dst: addr16(f.Frontend.Addr().Unmap()),
			sport: f.Client.Port(), dport: f.Frontend.Port(), vni: f.VNI, proto: f.Protocol, v4: p.v4}
		sl := a.table.locate(&p.key, true)
		sl.s.mu.Lock()
		if sl.find(&p.key) >= 0 {
			sl.s.mu.Unlock()
			continue
		}
		var act action
		r := Result{Verdict: Drop}
		if p.proto == protoTCP || p.proto == protoUDP {
			r = a.newInbound(c, &p, sl, f.DIP.Unmap(), &act)
		}
		sl.s.mu.Unlock()
		switch {
		case r.Verdict != Deliver:
			errs = append(errs, fmt.Errorf("flow %s -> %s (%s, VNI %d) to %s (%s): %w", f.Client, f.Frontend, protoName(f.Protocol), f.VNI, f.DIP, r.Reason, ErrNoLocalRule))
		case r.Reason == ReasonTableFull:
			errs = append(errs, fmt.Errorf("flow %s -> %s to %s: %w", f.Client, f.Frontend, f.DIP, ErrTableFull))
		default:
			added++
		}
	}
	return added, errors.Join(errs...)
}
