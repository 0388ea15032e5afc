package runtime

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// wires stand for the real L2 between processes: a switch per network
// that the runtimes' uplinks plug into.
type wires map[string]*netsim.Switch

func (w wires) uplink(_ context.Context, n Network, port *netsim.Port) (func(), error) {
	sw, ok := w[n.Name]
	if !ok {
		sw = netsim.NewSwitch(n.Name, netsim.WireConfig{Queue: 1024})
		w[n.Name] = sw
	}
	far := sw.Port(port.Name())
	port.SetReceiver(func(f []byte) { far.Send(f) })
	far.SetReceiver(func(f []byte) { port.Send(f) })
	return func() {
		far.Close()
		port.Close()
	}, nil
}

// TestNodesSplitOverUplinks runs the seed as two runtimes, one with the
// gateways, the Mux and Host1, the other with Host2 alone, joined only by
// their uplinks, and a client machine on the client network's wire: the
// VIP is served by both PortalVMs, each through its own process's host.
func TestNodesSplitOverUplinks(t *testing.T) {
	w := wires{}
	t.Cleanup(func() {
		for _, sw := range w {
			sw.Close()
		}
	})
	topo := Seed()
	a := start(t, topo, Options{Nodes: []string{"NATVM", "BGPVM", "MuxVM", "Host1"}, Uplinks: w.uplink})
	b := start(t, topo, Options{Nodes: []string{"Host2"}, Uplinks: w.uplink})
	if _, ok := a.Machine("PortalVM2"); ok {
		t.Error("the runtime without Host2 runs PortalVM2")
	}
	if _, ok := b.Machine("PortalVM1"); ok {
		t.Error("the runtime with Host2 alone runs PortalVM1")
	}
	if _, ok := a.Machine("ClientVM"); ok {
		t.Error("a runtime with Nodes runs a machine plugged into a network")
	}
	var spec Machine
	for _, m := range topo.Machines {
		if m.Name == "ClientVM" {
			spec = m
		}
	}
	sw := w["client"]
	client, err := guest.New("ClientVM", sw.Port("ClientVM"), guest.Config{MAC: net.HardwareAddr(spec.MAC[:]), Addr: spec.Addr, Gateway: spec.Gateway})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	hc := newClient(client, true, 5*time.Second)
	seen := map[string]int{}
	for i := 0; i < 40 && len(seen) < 2; i++ {
		by, err := get(ctx, hc, "http://192.168.102.10/")
		if err != nil {
			t.Fatal(err)
		}
		seen[by]++
	}
	if seen["PortalVM1"] == 0 || seen["PortalVM2"] == 0 {
		t.Errorf("served by %v, want both PortalVMs", seen)
	}
}

func TestNodesUnknown(t *testing.T) {
	if _, err := Start(t.Context(), Seed(), Options{Nodes: []string{"NoSuchHost"}}); err == nil {
		t.Fatal("Start with an unknown node: no error")
	}
}
