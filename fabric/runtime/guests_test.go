package runtime_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// TestGuestFactory: with Options.Guests, every machine (the outside server
// too) goes to the factory instead of a gVisor guest, and Close detaches
// each one.
func TestGuestFactory(t *testing.T) {
	var (
		mu       sync.Mutex
		attached []string
		detached []string
	)
	rt, err := runtime.Start(t.Context(), runtime.Seed(), runtime.Options{
		Guests: func(_ context.Context, m runtime.Machine, port *netsim.Port) (func(), error) {
			mu.Lock()
			defer mu.Unlock()
			attached = append(attached, m.Name)
			port.SetReceiver(func([]byte) {})
			return func() {
				port.Close()
				mu.Lock()
				detached = append(detached, m.Name)
				mu.Unlock()
			}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rt.Machine("ClientVM"); ok {
		t.Error("Machine(ClientVM) found a gVisor guest; the factory attached it")
	}
	rt.Close()
	want := []string{"ClientVM", "Internet", "PortalVM1", "PortalVM2"}
	slices.Sort(attached)
	slices.Sort(detached)
	if d := cmp.Diff(want, attached); d != "" {
		t.Errorf("attached (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, detached); d != "" {
		t.Errorf("detached (-want +got):\n%s", d)
	}
}

// TestGatewayFactory: Options.Gateways is offered every gateway, runs the
// ones it takes (one port per interface) and leaves the others to the
// runtime's routers.
func TestGatewayFactory(t *testing.T) {
	var offered []string
	stopped := 0
	rt, err := runtime.Start(t.Context(), runtime.Seed(), runtime.Options{
		Gateways: func(_ context.Context, g runtime.Gateway, ports []*netsim.Port) (func(), error) {
			offered = append(offered, g.Name)
			if g.BGP == nil || len(ports) != len(g.Interfaces) {
				return nil, nil
			}
			for _, p := range ports {
				p.SetReceiver(func([]byte) {})
			}
			return func() {
				for _, p := range ports {
					p.Close()
				}
				stopped++
			}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	st := rt.Status()
	rt.Close()
	if d := cmp.Diff([]string{"NATVM", "BGPVM"}, offered); d != "" {
		t.Errorf("offered (-want +got):\n%s", d)
	}
	if stopped != 1 {
		t.Errorf("BGPVM stopped %d times, want 1", stopped)
	}
	var routers []string
	for _, r := range st.Routers {
		routers = append(routers, r.Node)
	}
	if d := cmp.Diff([]string{"NATVM"}, routers); d != "" {
		t.Errorf("the runtime's routers (-want +got):\n%s", d)
	}
}

// TestStartErrorClosesWhatStarted: Start fails on a topology it cannot
// build, after starting some nodes, and stops them (it used to dereference
// its nil result instead), closing the machines already attached.
func TestStartErrorClosesWhatStarted(t *testing.T) {
	topo := runtime.Seed()
	topo.Hosts[1].Network = "nowhere"
	detached := 0
	_, err := runtime.Start(t.Context(), topo, runtime.Options{
		Guests: func(_ context.Context, _ runtime.Machine, port *netsim.Port) (func(), error) {
			port.SetReceiver(func([]byte) {})
			return func() { port.Close(); detached++ }, nil
		},
	})
	if err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Fatalf("Start with a host on a missing network: %v", err)
	}
	if detached != 2 { // ClientVM and Internet were attached before the hosts
		t.Errorf("%d machines detached, want 2", detached)
	}
}
