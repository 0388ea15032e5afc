package agent

import (
	"context"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// GatewaySlice is what a Gateway (router and NAT) needs: its spec, which
// holds its interfaces, static routes, BGP peers and port forwards.
type GatewaySlice struct {
	Name       string
	Generation int64
	Gateway    model.GatewaySpec
}

// GatewayNode is the gateway the runtime runs.
type GatewayNode interface {
	ProgramGateway(ctx context.Context, slice *GatewaySlice) error
	// GatewayStatus is what the gateway observes (BGP sessions, learned
	// routes, NAT sessions); the agent fills ObservedGeneration and
	// LastHeartbeat.
	GatewayStatus(ctx context.Context) (model.GatewayStatus, error)
}

// Gateway is the agent of one Gateway.
type Gateway struct {
	e *engine[*GatewaySlice, model.GatewayStatus]
}

// NewGateway returns the agent of Gateway cfg.Name programming node.
func NewGateway(cfg Config, node GatewayNode) (*Gateway, error) {
	e, err := newEngine(cfg, role[*GatewaySlice, model.GatewayStatus]{
		kind:    model.KindGateway,
		project: GatewaySliceOf,
		program: node.ProgramGateway,
		status:  node.GatewayStatus,
		stamp: func(s *model.GatewayStatus, gen int64, now time.Time, msg string) {
			s.ObservedGeneration, s.LastHeartbeat = gen, now
			if msg != "" {
				s.Message = msg
			}
		},
	})
	if err != nil {
		return nil, err
	}
	return &Gateway{e}, nil
}

// Run keeps the gateway programmed until ctx ends.
func (g *Gateway) Run(ctx context.Context) error { return g.e.run(ctx) }

// GatewaySliceOf projects Gateway name's slice of st.
func GatewaySliceOf(st *model.State, name string) (*GatewaySlice, int64, bool) {
	spec, ok := st.Gateway(name)
	if !ok {
		return nil, 0, false
	}
	o, _ := st.Object(model.KindGateway, name)
	return &GatewaySlice{Name: name, Generation: o.Metadata.Generation, Gateway: *spec}, o.Metadata.Generation, true
}
