package runtime

import (
	"context"
	"fmt"
	"slices"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// UplinkFactory attaches the switch of network n to a real link, through
// port, a port the runtime made on that switch: a runtime that runs only
// some of the topology's nodes (Options.Nodes) reaches the others, in
// other processes, over that link. On success it owns the port and
// returns a function that detaches the link and closes the port; on error
// it leaves the port alone. The lab's factory (lab.Uplinks) bridges the
// port to a TAP device.
type UplinkFactory func(ctx context.Context, n Network, port *netsim.Port) (detach func(), err error)

// local reports whether this runtime runs the gateway, Mux or host named
// name: every node when Options.Nodes is empty.
func (rt *Runtime) local(name string) bool {
	return len(rt.opts.Nodes) == 0 || slices.Contains(rt.opts.Nodes, name)
}

// localMachine reports whether this runtime runs machine m: every machine
// when Options.Nodes is empty; else the VMs of its hosts (a machine
// plugged into a network directly runs elsewhere).
func (rt *Runtime) localMachine(m Machine) bool {
	if len(rt.opts.Nodes) == 0 {
		return true
	}
	return m.Host != "" && rt.local(m.Host)
}

// checkNodes makes sure every name of Options.Nodes is a gateway, Mux or
// host of t.
func checkNodes(t *Topology, nodes []string) error {
	known := map[string]bool{}
	for _, g := range t.Gateways {
		known[g.Name] = true
	}
	for _, m := range t.Muxes {
		known[m.Name] = true
	}
	for _, h := range t.Hosts {
		known[h.Name] = true
	}
	for _, n := range nodes {
		if !known[n] {
			return fmt.Errorf("runtime: node %q is no gateway, Mux or host of the topology", n)
		}
	}
	return nil
}

// localNetworks returns the networks the local nodes are on, in topology
// order.
func (rt *Runtime) localNetworks() []Network {
	used := map[string]bool{}
	for _, g := range rt.topo.Gateways {
		if rt.local(g.Name) {
			for _, ifc := range g.Interfaces {
				used[ifc.Network] = true
			}
		}
	}
	for _, m := range rt.topo.Muxes {
		if rt.local(m.Name) {
			used[m.Network] = true
		}
	}
	for _, h := range rt.topo.Hosts {
		if rt.local(h.Name) {
			used[h.Network] = true
		}
	}
	var out []Network
	for _, n := range rt.topo.Networks {
		if used[n.Name] {
			out = append(out, n)
		}
	}
	return out
}

// startUplinks attaches every network of the local nodes to its real link
// through Options.Uplinks.
func (rt *Runtime) startUplinks(ctx context.Context) error {
	if rt.opts.Uplinks == nil {
		return nil
	}
	for _, n := range rt.localNetworks() {
		port := rt.networks[n.Name].Port("uplink")
		detach, err := rt.opts.Uplinks(ctx, n, port)
		if err != nil {
			port.Close()
			return fmt.Errorf("uplink of %s: %w", n.Name, err)
		}
		rt.closers = append(rt.closers, detach)
		rt.progress(n.Name, "uplink", "network %s attached to a real link", n.Prefix)
	}
	return nil
}
