package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/trace"
	"github.com/sdnfabric/sdnfabric/slb/snat"
)

// Options tune a Runtime.
type Options struct {
	// Progress, if set, is told about each step of the start-up and
	// every state change afterwards (BGP sessions, routes, health), one
	// call at a time.
	Progress func(Progress)
	// Trace, if set, records the hop-by-hop path of the flows it watches.
	Trace *trace.Recorder
	// Logger receives the nodes' logs; nil discards them.
	Logger *slog.Logger
	// Links overrides the WireConfig of networks by name (for example
	// a 1% loss on "provider"); the rest get a default queue.
	Links map[string]netsim.WireConfig
	// Queue is the per-port queue of every link not in Links (0: a
	// default for bursts of TCP segments).
	Queue int
	// HoldTime is the BGP hold time proposed by every speaker (0: 9 s).
	HoldTime time.Duration
	// BFD, if not zero, runs BFD (RFC 5880, single hop RFC 5881) at this
	// interval, detect multiplier 3, on every Mux's BGP sessions and the
	// runtime's own routers' sessions, over their guest stacks: a dead
	// peer's session goes down within 3 intervals instead of the hold
	// time. A router that does not run BFD (a peer that never answers)
	// leaves the session as it is. Zero: no BFD.
	BFD time.Duration
	// Guests, if set, attaches every machine in place of a gVisor guest
	// (the lab runtime puts a network namespace with the kernel's own
	// stack there, behind a TAP device).
	Guests GuestFactory
	// Gateways, if set, is offered every gateway first: it may run one
	// itself (the lab runtime runs BIRD in a namespace as the router), or
	// decline and leave it to the runtime's own router.
	Gateways GatewayFactory
	// Nodes, if set, names the gateways, Muxes and hosts this runtime
	// runs (the VMs of its hosts with them); the others run in other
	// processes, reached through Uplinks. Empty: every node and machine.
	Nodes []string
	// Uplinks, if set, attaches each network the local nodes are on to
	// a real link (see UplinkFactory).
	Uplinks UplinkFactory
}

// GatewayFactory runs gateway g on ports, one per interface in the order
// of g.Interfaces, and returns a function that stops it and closes the
// ports; or it declines with a nil function and a nil error, and the
// runtime runs its own router on the ports. On error it leaves the ports
// alone. A gateway it runs is no part of Ready, Status or Rotation: the
// factory's owner checks it.
type GatewayFactory func(ctx context.Context, g Gateway, ports []*netsim.Port) (stop func(), err error)

// GuestFactory attaches machine m to port, the port the runtime made for
// it: on its network's switch, or the machine's end of the wire to its
// host's vNIC. On success it owns the port and returns a function that
// detaches the machine and closes the port; on error it leaves the port
// alone (Start fails and tears the networks down). Start calls it before
// the hosts' probes begin, so a web server should be answering when it
// returns. Runtime.Machine and Runtime.Served know only the runtime's own
// gVisor guests.
type GuestFactory func(ctx context.Context, m Machine, port *netsim.Port) (detach func(), err error)

// Progress is one step of a runtime's life.
type Progress struct {
	Time   time.Time
	Node   string
	Event  string // "started", "bgp", "route", "health", ...
	Detail string
}

func (p Progress) String() string {
	return fmt.Sprintf("%-9s %-8s %s", p.Node, p.Event, p.Detail)
}

// Runtime is a running topology.
type Runtime struct {
	topo     *Topology
	opts     Options
	log      *slog.Logger
	networks map[string]*netsim.Switch
	gateways map[string]*routerNode
	muxes    []*muxNode
	hosts    map[string]*hostNode
	snat     *snat.Manager
	// allocated, with Options.Nodes, serves the controller's SNAT
	// allocations in place of snat (see allocatedSNAT).
	allocated *allocatedSNAT
	place     placement // where the VMs on hosts are (live migration)
	closers   []func()

	mu       sync.Mutex          // guards machines: host agents attach and detach VMs as the controller says
	machines map[string]*machine // the runtime's own gVisor guests

	progressMu sync.Mutex // Options.Progress is called by one goroutine at a time
}

// Start builds and starts t. It returns once every node runs; call Ready
// to wait for BGP, routes and probes. Close stops everything.
func Start(ctx context.Context, t *Topology, opts Options) (_ *Runtime, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HoldTime == 0 {
		opts.HoldTime = 9 * time.Second
	}
	rt := &Runtime{topo: t, opts: opts, log: opts.Logger,
		networks: map[string]*netsim.Switch{}, gateways: map[string]*routerNode{}, machines: map[string]*machine{}, hosts: map[string]*hostNode{}}
	if err := checkNodes(t, opts.Nodes); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			rt.Close()
		}
	}()
	for _, n := range t.Networks {
		cfg, ok := opts.Links[n.Name]
		if !ok {
			cfg = netsim.WireConfig{Queue: opts.queue()}
		}
		sw := netsim.NewSwitch(n.Name, cfg)
		rt.networks[n.Name] = sw
		rt.closers = append(rt.closers, sw.Close)
	}
	if err := rt.startUplinks(ctx); err != nil {
		return nil, err
	}
	for _, g := range t.Gateways {
		if !rt.local(g.Name) {
			continue
		}
		if err := rt.startGateway(ctx, g); err != nil {
			return nil, err
		}
	}
	machines := t.Machines
	if t.Outside != nil {
		machines = append(append([]Machine(nil), machines...), *t.Outside)
	}
	for _, m := range machines {
		if m.Host != "" || !rt.localMachine(m) {
			continue
		}
		sw, err := rt.network(m.Network, m.Name)
		if err != nil {
			return nil, err
		}
		detach, err := rt.addMachine(ctx, m, sw.Port(m.Name))
		if err != nil {
			return nil, err
		}
		rt.closers = append(rt.closers, detach)
	}
	rt.startSNAT()
	if err := rt.startMuxes(ctx); err != nil {
		return nil, err
	}
	if err := rt.startHosts(); err != nil {
		return nil, err
	}
	for _, m := range machines {
		if m.Host == "" || !rt.localMachine(m) {
			continue
		}
		if err := rt.attachToHost(ctx, m); err != nil {
			return nil, err
		}
	}
	rt.runAgents()
	return rt, nil
}

func (o Options) queue() int {
	if o.Queue > 0 {
		return o.Queue
	}
	return 1024
}

func (rt *Runtime) progress(node, event, format string, args ...any) {
	if rt.opts.Progress != nil {
		rt.progressMu.Lock()
		defer rt.progressMu.Unlock()
		rt.opts.Progress(Progress{Time: time.Now(), Node: node, Event: event, Detail: fmt.Sprintf(format, args...)})
	}
}

func (rt *Runtime) network(name, user string) (*netsim.Switch, error) {
	sw, ok := rt.networks[name]
	if !ok {
		return nil, fmt.Errorf("%s: network %q does not exist", user, name)
	}
	return sw, nil
}

func (rt *Runtime) startGateway(ctx context.Context, g Gateway) error {
	var ports []*netsim.Port
	for _, ifc := range g.Interfaces {
		sw, err := rt.network(ifc.Network, g.Name)
		if err != nil {
			return err
		}
		ports = append(ports, sw.Port(g.Name+"."+ifc.Name))
	}
	if rt.opts.Gateways != nil {
		stop, err := rt.opts.Gateways(ctx, g, ports)
		if err != nil {
			return fmt.Errorf("%s: %w", g.Name, err)
		}
		if stop != nil {
			rt.closers = append(rt.closers, stop)
			rt.progress(g.Name, "started", "gateway with %d interfaces, run by Options.Gateways", len(g.Interfaces))
			return nil
		}
	}
	n, err := newRouterNode(g, ports, rt.opts.Trace)
	if err != nil {
		return err
	}
	rt.gateways[g.Name] = n
	rt.closers = append(rt.closers, n.close)
	if g.BGP != nil {
		if err := rt.startRouterBGP(ctx, n, g); err != nil {
			return err
		}
	}
	n.start()
	role := "router"
	if g.NAT != nil {
		role = "router with NAT on " + g.NAT.External
	}
	rt.progress(g.Name, "started", "%s, %d interfaces", role, len(g.Interfaces))
	return nil
}

// addMachine attaches machine m to port, through Options.Guests or as a
// gVisor guest, and returns the function that detaches it (closing the
// port); it may be called more than once.
func (rt *Runtime) addMachine(ctx context.Context, m Machine, port *netsim.Port) (detach func(), err error) {
	if rt.opts.Guests != nil {
		detach, err := rt.opts.Guests(ctx, m, port)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		rt.progress(m.Name, "started", "%s at %s, attached by Options.Guests", m.Role, m.Addr)
		if detach == nil {
			detach = func() {}
		}
		return sync.OnceFunc(detach), nil
	}
	mc, err := startMachine(m, port)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.machines[m.Name] = mc
	rt.mu.Unlock()
	what := "machine"
	if m.Role == RoleWebServer {
		what = "web server"
	}
	rt.progress(m.Name, "started", "%s at %s", what, m.Addr)
	return sync.OnceFunc(func() {
		rt.mu.Lock()
		if rt.machines[m.Name] == mc {
			delete(rt.machines, m.Name)
		}
		rt.mu.Unlock()
		mc.close()
	}), nil
}

// Machine returns the guest of a machine by name.
func (rt *Runtime) Machine(name string) (*guest.Guest, bool) {
	rt.mu.Lock()
	m, ok := rt.machines[name]
	rt.mu.Unlock()
	if !ok {
		return nil, false
	}
	return m.g, true
}

// Topology returns the topology the runtime runs.
func (rt *Runtime) Topology() *Topology { return rt.topo }

// Network returns the switch of a network, for its counters.
func (rt *Runtime) Network(name string) (*netsim.Switch, bool) {
	sw, ok := rt.networks[name]
	return sw, ok
}

// VIPs returns every frontend address of the topology's load balancers.
func (rt *Runtime) VIPs() []netip.Addr {
	var out []netip.Addr
	for _, lb := range rt.topo.LoadBalancers {
		for _, f := range lb.FrontendIPConfigurations {
			out = append(out, f.VIP)
		}
	}
	return out
}

// Close stops every node, in the reverse order of their start, and returns
// once their goroutines have ended.
func (rt *Runtime) Close() {
	for i := len(rt.closers) - 1; i >= 0; i-- {
		rt.closers[i]()
	}
	rt.closers = nil
}

// Ready waits until the fabric can carry traffic to every VIP: each BGP
// session is Established, each VIP has a route on every BGP router, and
// every DIP's probe is healthy. It returns ctx's error if that does not
// happen in time.
func (rt *Runtime) Ready(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	reported := map[string]bool{}
	for {
		missing := rt.notReady()
		for _, step := range []string{"bgp", "routes", "health"} {
			if !reported[step] && !strings.Contains(missing, step) {
				reported[step] = true
				rt.progress("fabric", "ready", "%s", map[string]string{
					"bgp": "every BGP session Established", "routes": "every VIP routed by every BGP router", "health": "every DIP healthy"}[step])
			}
		}
		if missing == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fabric not ready (%s): %w", missing, ctx.Err())
		case <-tick.C:
		}
	}
}

// notReady says what is missing, naming "bgp", "routes" or "health".
func (rt *Runtime) notReady() string {
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(rt.gateways)) {
		g := rt.gateways[name]
		if g.speaker == nil {
			continue
		}
		for _, p := range g.speaker.Peers() {
			if !p.Up {
				missing = append(missing, fmt.Sprintf("bgp %s-%s %s", name, p.Address, p.State))
			}
		}
		for _, vip := range rt.VIPs() {
			if len(g.feed.nextHops(netip.PrefixFrom(vip, vip.BitLen()))) == 0 {
				missing = append(missing, fmt.Sprintf("routes: %s has none to %s", name, vip))
			}
		}
	}
	for _, h := range rt.sortedHosts() {
		for _, dip := range h.unhealthy() {
			missing = append(missing, fmt.Sprintf("health: %s on %s", dip, h.spec.Name))
		}
	}
	return strings.Join(missing, "; ")
}
