package agent

import (
	"context"
	"encoding/json"
	"net/netip"
	"reflect"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/slb"
)

// MuxSlice is what a Mux needs: its own spec (address, ASN, BGP peers),
// the load balancers it serves, resolved, and their SNAT allocations
// (the return path of SNATed flows).
type MuxSlice struct {
	Name          string
	Generation    int64
	Mux           model.MuxSpec
	LoadBalancers []slb.LoadBalancer
	SNAT          map[string][]model.SNATAllocation // by load balancer
	// Health says, for each DIP of the load balancers in its virtual
	// network, whether the agent of its host puts it in rotation
	// (model.HostStatus.Health: up and not busy). Only the report of the
	// host the controller has the DIP on counts (the host PA of its
	// backend): one from a host it left says nothing of it. A DIP whose
	// host has not reported it is absent; nil when none is reported.
	Health map[DIP]bool
}

// A DIP is a backend's address in its virtual network (a pool's VNI):
// tenants' networks may reuse addresses, and two tenants' VMs of one
// address are two DIPs, each with its own health.
type DIP struct {
	VNI  uint32
	Addr netip.Addr
}

// MuxNode is the Mux the runtime runs.
type MuxNode interface {
	// ProgramMux makes the Mux match slice, the DIP health included.
	ProgramMux(ctx context.Context, slice *MuxSlice) error
	// SetMuxHealth is called instead of ProgramMux when the slice
	// differs from the one last programmed only in Health, as the hosts
	// report their probes: the Mux applies the health of slice.Health
	// and the agent writes no status for it.
	SetMuxHealth(ctx context.Context, slice *MuxSlice) error
	// MuxStatus is what the Mux observes (BGP sessions, announced VIPs,
	// counters); the agent fills ObservedGeneration and LastHeartbeat.
	MuxStatus(ctx context.Context) (model.MuxStatus, error)
}

// Mux is the agent of one Mux.
type Mux struct {
	e *engine[*MuxSlice, model.MuxStatus]
}

// NewMux returns the agent of Mux cfg.Name programming node.
func NewMux(cfg Config, node MuxNode) (*Mux, error) {
	e, err := newEngine(cfg, role[*MuxSlice, model.MuxStatus]{
		kind:    model.KindMux,
		project: MuxSliceOf,
		program: node.ProgramMux,
		status:  node.MuxStatus,
		healthOnly: func(prev, next *MuxSlice) bool {
			p, n := *prev, *next
			p.Health, n.Health = nil, nil
			return reflect.DeepEqual(&p, &n)
		},
		health: node.SetMuxHealth,
		stamp: func(s *model.MuxStatus, gen int64, now time.Time, msg string) {
			s.ObservedGeneration, s.LastHeartbeat = gen, now
			if msg != "" {
				s.Message = msg
			}
		},
	})
	if err != nil {
		return nil, err
	}
	return &Mux{e}, nil
}

// Run keeps the Mux programmed until ctx ends.
func (m *Mux) Run(ctx context.Context) error { return m.e.run(ctx) }

// MuxSliceOf projects Mux name's slice of st.
func MuxSliceOf(st *model.State, name string) (*MuxSlice, int64, bool) {
	spec, ok := st.Mux(name)
	if !ok {
		return nil, 0, false
	}
	o, _ := st.Object(model.KindMux, name)
	s := &MuxSlice{Name: name, Generation: o.Metadata.Generation, Mux: *spec,
		LoadBalancers: st.MuxLoadBalancers(name), SNAT: map[string][]model.SNATAllocation{}}
	for _, lb := range s.LoadBalancers {
		if a := st.SNATAllocations(lb.Name); len(a) > 0 {
			s.SNAT[lb.Name] = a
		}
	}
	s.Health = DIPHealthOf(st, s.LoadBalancers)
	return s, s.Generation, true
}

// DIPHealthOf returns the health of the DIPs of lbs as their hosts' agents
// report it in st (see MuxSlice.Health), nil if none is reported. A
// host's status that does not decode counts as no report.
func DIPHealthOf(st *model.State, lbs []slb.LoadBalancer) map[DIP]bool {
	on := map[netip.Addr]map[DIP]bool{} // host PA -> its DIPs
	for _, lb := range lbs {
		for _, p := range lb.BackendAddressPools {
			for _, b := range p.Backends {
				if on[b.HostPA] == nil {
					on[b.HostPA] = map[DIP]bool{}
				}
				on[b.HostPA][DIP{p.VNI, b.DIP}] = true
			}
		}
	}
	out := map[DIP]bool{}
	for name, h := range st.Hosts() {
		dips := on[h.ProviderAddress]
		if len(dips) == 0 {
			continue
		}
		o, _ := st.Object(model.KindHost, name)
		if len(o.Status) == 0 {
			continue
		}
		var s struct {
			Health []model.DIPHealth `json:"health"`
		}
		if json.Unmarshal(o.Status, &s) != nil {
			continue
		}
		for _, d := range s.Health {
			if k := (DIP{d.VNI, d.DIP}); dips[k] {
				out[k] = d.Up && !d.Busy
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
