package agent

import (
	"context"
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
}

// MuxNode is the Mux the runtime runs.
type MuxNode interface {
	ProgramMux(ctx context.Context, slice *MuxSlice) error
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
	return s, s.Generation, true
}
