package runtime

import (
	"context"
	"sync"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/slb"
)

// StartAgents starts a fabric agent for every node of rt: a Host agent
// per host, a Mux agent per Mux and a Gateway agent per gateway, each
// named after its node, reading the desired state from cfg.Backend (the
// controller in process, or an api.Client) and writing the node's status
// there. From then on the data plane follows the controller: a change to
// a load balancer, a NIC or a gateway's routes reaches the nodes it
// concerns, and a host attaches the VMs of the NICs the controller puts
// on it and detaches those it removes (see ProgramHost). When the
// controller goes away the nodes keep their last programming. cfg.Name is
// ignored; a nil cfg.Logger means the runtime's.
//
// stop ends the agents and returns once they have, leaving the VMs as
// they are; Close calls it first, then detaches the VMs the agents
// attached.
// Run one set of agents per runtime.
func (rt *Runtime) StartAgents(cfg agent.Config) (stop func(), err error) {
	if cfg.Logger == nil {
		cfg.Logger = rt.log
	}
	named := func(name string) agent.Config {
		c := cfg
		c.Name = name
		return c
	}
	var runs []func(context.Context) error
	snat := &snatConfig{byMux: map[string][]slb.LoadBalancer{}}
	for _, n := range rt.muxes {
		node := &agentMux{rt: rt, n: n, snat: snat, peers: peersOf(n.spec.Peers)}
		a, err := agent.NewMux(named(n.spec.Name), node)
		if err != nil {
			return nil, err
		}
		rt.place.register(nil, node)
		runs = append(runs, a.Run)
	}
	var hosts []*agentHost
	for _, h := range rt.sortedHosts() {
		node := rt.newAgentHost(h)
		a, err := agent.NewHost(named(h.spec.Name), node)
		if err != nil {
			return nil, err
		}
		runs = append(runs, a.Run)
		hosts = append(hosts, node)
		h.health.mu.Lock()
		h.health.report = a.ReportStatus
		h.health.mu.Unlock()
	}
	for _, g := range rt.sortedGateways() {
		a, err := agent.NewGateway(named(g.name), rt.newAgentGateway(g))
		if err != nil {
			return nil, err
		}
		runs = append(runs, a.Run)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range runs {
		wg.Go(func() { _ = run(ctx) })
	}
	rt.progress("fabric", "agents", "%d agent(s) started: %d Mux, %d host, %d gateway", len(runs), len(rt.muxes), len(rt.hosts), len(rt.gateways))
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			for _, h := range hosts {
				h.stop()
				h.h.health.mu.Lock()
				h.h.health.report = nil
				h.h.health.mu.Unlock()
			}
		})
	}
	rt.closers = append(rt.closers, rt.detachLate, stop)
	return stop, nil
}
