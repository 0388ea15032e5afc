package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
)

// split is examples/seed.yaml run as two runtimes under one controller,
// as two processes would run it: a with the gateways, the Mux and host1,
// b with host2 alone.
type split struct {
	a, b *Runtime
	ctl  *controller.Controller
	topo *Topology
	w    wires
	// client is ClientVM's stack on the client network's wire, opening
	// a connection per request.
	client *http.Client
}

// splitSeed starts a split seed, each runtime with its agents, b's VMs
// attached by guests (if not nil) and b hearing of each change lag
// later.
func splitSeed(t *testing.T, guests GuestFactory, lag time.Duration) *split {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ctl, topo := seedController(t)
	w := wires{}
	t.Cleanup(func() {
		for _, sw := range w {
			sw.Close()
		}
	})
	// Not start: the in-process controller's watches outlive the
	// runtimes' goroutine check.
	run := func(guests GuestFactory, nodes ...string) *Runtime {
		rt, err := Start(ctx, topo, Options{Nodes: nodes, Uplinks: w.uplink, Guests: guests})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rt.Close)
		if err := rt.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		return rt
	}
	a := run(nil, "natvm", "bgpvm", "mux1", "host1")
	b := run(guests, "host2")
	for rt, backend := range map[*Runtime]api.Backend{a: ctl, b: lagging{ctl, lag}} {
		if _, err := rt.StartAgents(agent.Config{Backend: backend, StatusInterval: time.Minute, Settle: 10 * time.Millisecond,
			StatusMinInterval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}); err != nil {
			t.Fatal(err)
		}
	}
	var spec Machine
	for _, m := range topo.Machines {
		if m.Name == "clientvm" {
			spec = m
		}
	}
	client, err := guest.New(spec.Name, w[spec.Network].Port(spec.Name), guest.Config{MAC: net.HardwareAddr(spec.MAC[:]), Addr: spec.Addr, Gateway: spec.Gateway})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	waitHostsReady(t, ctl)
	return &split{a: a, b: b, ctl: ctl, topo: topo, w: w, client: freshPortsClient(client, 2*time.Second)}
}

// lagging is a Backend whose watches deliver each event lag after it
// came: an agent further from the controller than the others.
type lagging struct {
	api.Backend
	lag time.Duration
}

func (b lagging) Watch(ctx context.Context, kind model.Kind, after int64) (<-chan api.WatchEvent, error) {
	in, err := b.Backend.Watch(ctx, kind, after)
	if err != nil || b.lag == 0 {
		return in, err
	}
	type timed struct {
		ev api.WatchEvent
		at time.Time
	}
	queue := make(chan timed, 1024)
	out := make(chan api.WatchEvent)
	go func() {
		defer close(queue)
		for ev := range in {
			select {
			case queue <- timed{ev, time.Now().Add(b.lag)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		defer close(out)
		for q := range queue {
			select {
			case <-time.After(time.Until(q.at)):
			case <-ctx.Done():
				return
			}
			select {
			case out <- q.ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// servedOnlyBy waits until n requests in a row are served by want, and
// returns when the first of them was sent.
func servedOnlyBy(t *testing.T, c *http.Client, url, want string, n int) time.Time {
	t.Helper()
	var first time.Time
	run := 0
	waitFor(t, "the VIP served by "+want+" alone", func() bool {
		at := time.Now()
		who, err := get(t.Context(), c, url)
		switch {
		case err != nil || who != want:
			run = 0
		case run == 0:
			first, run = at, 1
		default:
			run++
		}
		return run >= n
	})
	return first
}

// TestNodesSplitHealth: a DIP's health reaches a Mux of another process
// through the controller: portalvm2, on host2 in runtime b, marked busy
// there, is out of rotation at runtime a's Mux soon after (no new
// connection reaches it), and back in once ready.
func TestNodesSplitHealth(t *testing.T) {
	s := splitSeed(t, nil, 0)
	a, b, ctl, c := s.a, s.b, s.ctl, s.client
	url := "http://" + a.VIPs()[0].String() + "/"
	dip := netip.MustParseAddr("10.1.0.5")
	busy := time.Now()
	if err := b.SetBusy(t.Context(), dip); err != nil {
		t.Fatal(err)
	}
	out := servedOnlyBy(t, c, url, "portalvm1", 16)
	t.Logf("portalvm2 out of rotation at the other process's Mux %s after it was marked busy", out.Sub(busy).Round(time.Millisecond))
	st, _ := status[model.HostStatus](t, ctl, model.KindHost, "host2")
	if len(st.Health) != 1 || st.Health[0].DIP != dip || st.Health[0].Up || !st.Health[0].Busy || st.Health[0].Since.IsZero() {
		t.Errorf("host2 reports %+v, want %s busy", st.Health, dip)
	}
	if err := b.SetReady(t.Context(), dip); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "portalvm2 serves again", func() bool {
		who, _ := get(t.Context(), c, url)
		return who == "portalvm2"
	})
}

// lateServer attaches the VMs as gVisor guests that serve HTTP on their
// endpoints' ports, the VM named late only after delay (a VM that boots
// slowly).
func lateServer(late string, delay time.Duration) GuestFactory {
	return func(_ context.Context, m Machine, port *netsim.Port) (func(), error) {
		g, err := guest.New(m.Name, port, guest.Config{MAC: net.HardwareAddr(m.MAC[:]), Addr: m.Addr, Gateway: m.Gateway, TSO: true})
		if err != nil {
			return nil, err
		}
		serve := func() {
			for _, ep := range m.Endpoints {
				_ = g.Serve(fmt.Sprintf(":%d", ep.Port), WebHandler(m.Name, nil)) // fails once closed
			}
		}
		if m.Name != late {
			serve()
			return g.Close, nil
		}
		timer := time.AfterFunc(delay, serve)
		return func() {
			timer.Stop()
			g.Close()
		}, nil
	}
}

// TestNodesSplitNewDIPAwaitsProbe: a NIC added on host2 after start, in
// another process than the Mux, whose VM serves only a second after it
// is attached, gets no new flow until host2's agent probed it: the Mux
// holds it until host2 reports it up through the controller, and a
// client opening connections to the VIP all along sees none fail, though
// host2's agent hears of the NIC 300 ms after the Mux. (portalvm2 left
// the pool before: else host2's agent would give a flow the Mux sent to
// portalvm3 too early to portalvm2, its usable DIP.)
func TestNodesSplitNewDIPAwaitsProbe(t *testing.T) {
	s := splitSeed(t, lateServer("portalvm3", time.Second), 300*time.Millisecond)
	a, ctl, c := s.a, s.ctl, s.client
	url := "http://" + a.VIPs()[0].String() + "/"
	apply(t, ctl, edited(t, ctl, model.KindNetworkInterface, "portalvm2", func(s *model.NetworkInterfaceSpec) {
		s.LoadBalancerBackendPools = nil
		s.Endpoints = slices.DeleteFunc(s.Endpoints, func(e model.Endpoint) bool { return e.LoadBalancer != "" })
	}))
	servedOnlyBy(t, c, url, "portalvm1", 16)
	waitFor(t, "host2 programmed without a load balancer", func() bool {
		h2, g2 := status[model.HostStatus](t, ctl, model.KindHost, "host2")
		return h2.ObservedGeneration == g2 && len(h2.Probes) == 0
	})
	nic := portalVM3(t, netip.MustParseAddr("10.1.0.6"))
	spec, err := nic.DecodeSpec()
	if err != nil {
		t.Fatal(err)
	}
	spec.(*model.NetworkInterfaceSpec).Host = "host2"
	if err := nic.SetSpec(spec); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var failed atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { // new connections to the VIP all along
		for ctx.Err() == nil {
			if _, err := get(ctx, c, url); err != nil && ctx.Err() == nil {
				failed.Add(1)
				t.Logf("request failed: %v", err)
			}
		}
	})
	applied := time.Now()
	apply(t, ctl, nic)
	served := servedOnlyBy(t, c, url, "portalvm3", 1)
	t.Logf("portalvm3 served %s after its NIC was applied", served.Sub(applied).Round(time.Millisecond))
	cancel()
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d request(s) to the VIP failed while portalvm3 joined on the other process's host", n)
	}
}

// Two tenants' virtual networks reuse an address: PortalVM2 (10.10.0.12
// in VNI 5001, on Host2) behind the portal's VIP, and TenantVM
// (10.10.0.12 in VNI 6001, on Host1) behind another tenant's. Each is a
// DIP of its own at the Mux: one busy leaves the other in rotation, and
// the runtime will not guess which one an address alone names.
func TestHealthPerVirtualNetwork(t *testing.T) {
	const tenantVNI = 6001
	topo := Seed()
	dip := addr("10.10.0.12")
	tenantVIP := addr("192.168.102.20")
	web := []Endpoint{{Name: "http", Proto: header.ProtocolTCP, Port: 80}}
	topo.Machines = append(topo.Machines, Machine{Name: "TenantVM", Host: "Host1", VNI: tenantVNI, Addr: pfx("10.10.0.12/24"),
		Gateway: addr("10.10.0.1"), MAC: mac(0x23), Role: RoleWebServer, Endpoints: web})
	topo.LoadBalancers = append(topo.LoadBalancers, slb.LoadBalancer{
		Name:                     "Tenant",
		FrontendIPConfigurations: []slb.Frontend{{Name: "tenant", VIP: tenantVIP}},
		BackendAddressPools: []slb.BackendPool{{Name: "tenant", VNI: tenantVNI, Backends: []slb.Backend{
			{Name: "TenantVM", DIP: dip, HostPA: addr("192.168.100.31")}}}},
		Probes: []slb.Probe{{Name: "http", Protocol: slb.ProbeHTTP, Port: 80, RequestPath: "/", IntervalInSeconds: 5}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "tenant", BackendPool: "tenant", Probe: "http",
			Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 80}},
	})
	rt := start(t, topo, Options{})
	ctx := t.Context()
	c := freshPortsClient(mustMachine(t, rt, "ClientVM"), 5*time.Second)
	// served returns who served n requests to vip, each a new flow.
	served := func(vip netip.Addr, n int) map[string]int {
		t.Helper()
		who := map[string]int{}
		for range n {
			w, err := get(ctx, c, "http://"+vip.String()+"/")
			if err != nil {
				w = "error"
			}
			who[w]++
		}
		return who
	}
	if n := served(tenantVIP, 4); n["TenantVM"] != 4 {
		t.Fatalf("the tenant's VIP: served by %v", n)
	}

	if err := rt.SetBusy(ctx, dip); err == nil || !strings.Contains(err.Error(), "InVNI") {
		t.Errorf("SetBusy of an address two virtual networks have: %v, want it refused", err)
	}
	if err := rt.InVNI(5001).SetBusy(ctx, dip); err != nil {
		t.Fatal(err)
	}
	if n := served(seedVIP, 16); n["PortalVM1"] != 16 {
		t.Errorf("the portal with PortalVM2 busy: served by %v, want PortalVM1 alone", n)
	}
	if n := served(tenantVIP, 8); n["TenantVM"] != 8 {
		t.Errorf("the tenant's VIP with PortalVM2 busy: served by %v, want TenantVM", n)
	}
	if err := rt.InVNI(5001).SetReady(ctx, dip); err != nil {
		t.Fatal(err)
	}

	if err := rt.InVNI(tenantVNI).SetBusy(ctx, dip); err != nil {
		t.Fatal(err)
	}
	if !rt.healthy(dipKey{5001, dip}) || rt.healthy(dipKey{tenantVNI, dip}) {
		t.Errorf("health: PortalVM2 %t, TenantVM %t; want PortalVM2 alone", rt.healthy(dipKey{5001, dip}), rt.healthy(dipKey{tenantVNI, dip}))
	}
	if n := served(seedVIP, 24); n["PortalVM1"] == 0 || n["PortalVM2"] == 0 || n["error"] != 0 {
		t.Errorf("the portal with TenantVM busy: served by %v, want both PortalVMs", n)
	}
	var tenant Health
	for _, h := range rt.Status().Health {
		if h.Machine == "TenantVM" {
			tenant = h
		}
	}
	if tenant.VNI != tenantVNI || tenant.DIP != dip || !tenant.Busy {
		t.Errorf("TenantVM's health in the status: %+v", tenant)
	}
}

// A DIP's Since in the host's status (model.DIPHealth) is when its health
// last changed: marking a busy DIP busy again, or a report that changes
// nothing, leaves it.
func TestHealthSinceOnChangeOnly(t *testing.T) {
	rt := start(t, Seed(), Options{})
	k := dipKey{5001, addr("10.10.0.12")} // PortalVM2
	since := func() time.Time {
		t.Helper()
		for _, h := range rt.sortedHosts() {
			for _, d := range rt.published(h) {
				if d.VNI == k.vni && d.DIP == k.dip {
					return d.Since
				}
			}
		}
		t.Fatalf("%s is not in a host's status", k)
		return time.Time{}
	}
	if err := rt.SetBusy(t.Context(), k.dip); err != nil {
		t.Fatal(err)
	}
	busy := since()
	if busy.IsZero() {
		t.Fatal("Since is zero after SetBusy")
	}
	if err := rt.SetBusy(t.Context(), k.dip); err != nil {
		t.Fatal(err)
	}
	var h *hostNode
	for _, x := range rt.sortedHosts() {
		if slices.Contains(x.health.dips, k) {
			h = x
		}
	}
	rt.onHealth(h, k.vni, k.dip, false) // down again: no change
	if again := since(); !again.Equal(busy) {
		t.Errorf("Since moved from %s to %s with no change", busy.Format(time.RFC3339Nano), again.Format(time.RFC3339Nano))
	}
	if err := rt.SetReady(t.Context(), k.dip); err != nil {
		t.Fatal(err)
	}
	if ready := since(); !ready.After(busy) {
		t.Errorf("Since %s after SetReady, want after %s", ready.Format(time.RFC3339Nano), busy.Format(time.RFC3339Nano))
	}
}
