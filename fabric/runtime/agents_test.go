package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
	"github.com/sdnfabric/sdnfabric/provision/jitter"
	"github.com/sdnfabric/sdnfabric/rras/router"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// stoppable is a Backend that can be taken down, as a controller that
// stops: every call fails and open watches end with an error.
type stoppable struct {
	api.Backend
	mu   sync.Mutex
	down chan struct{}
}

var errDown = errors.New("controller down")

func (b *stoppable) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.down)
}

func (b *stoppable) isDown() bool {
	select {
	case <-b.down:
		return true
	default:
		return false
	}
}

func (b *stoppable) List(ctx context.Context, kind model.Kind) ([]model.Object, int64, error) {
	if b.isDown() {
		return nil, 0, errDown
	}
	return b.Backend.List(ctx, kind)
}

func (b *stoppable) Watch(ctx context.Context, kind model.Kind, after int64) (<-chan api.WatchEvent, error) {
	if b.isDown() {
		return nil, errDown
	}
	ctx, cancel := context.WithCancel(ctx)
	in, err := b.Backend.Watch(ctx, kind, after)
	if err != nil {
		cancel()
		return nil, err
	}
	out := make(chan api.WatchEvent)
	go func() {
		defer close(out)
		defer cancel()
		for {
			select {
			case <-b.down:
				return
			case ev, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

func (b *stoppable) UpdateStatus(ctx context.Context, o model.Object, v int64) (model.Object, error) {
	if b.isDown() {
		return model.Object{}, errDown
	}
	return b.Backend.UpdateStatus(ctx, o, v)
}

// managed starts the seed (examples/seed.yaml) as the controller holds
// it, with an agent on every node.
func managed(t *testing.T) (*Runtime, *controller.Controller, *stoppable, *programmings) {
	var b *stoppable
	rt, ctl, progs := managedOver(t, func(ctl *controller.Controller) api.Backend {
		b = &stoppable{Backend: ctl, down: make(chan struct{})}
		return b
	})
	return rt, ctl, b, progs
}

// managedOver is managed with the agents reading through the backend
// over returns.
func managedOver(t *testing.T, over func(*controller.Controller) api.Backend) (*Runtime, *controller.Controller, *programmings) {
	t.Helper()
	ctl, topo := seedController(t)
	progs := &programmings{n: map[string]int{}}
	rt := start(t, topo, Options{Progress: func(p Progress) {
		t.Log(p)
		if p.Event == "agent" {
			progs.mu.Lock()
			progs.n[p.Node]++
			progs.mu.Unlock()
		}
	}})
	if _, err := rt.StartAgents(agent.Config{Backend: over(ctl), StatusInterval: 100 * time.Millisecond, Settle: 10 * time.Millisecond,
		Backoff: jitter.FullJitter{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	return rt, ctl, progs
}

// programmings counts the agents' programmings of each node.
type programmings struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *programmings) of(node string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[node]
}

func status[S any](t *testing.T, ctl *controller.Controller, kind model.Kind, name string) (S, int64) {
	t.Helper()
	var s S
	o, err := ctl.Get(t.Context(), kind, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Status) > 0 {
		if err := json.Unmarshal(o.Status, &s); err != nil {
			t.Fatal(err)
		}
	}
	return s, o.Metadata.Generation
}

// edited returns kind/name with its spec changed.
func edited[S model.Spec](t *testing.T, ctl *controller.Controller, kind model.Kind, name string, change func(S)) model.Object {
	t.Helper()
	o, err := ctl.Get(t.Context(), kind, name)
	if err != nil {
		t.Fatal(err)
	}
	spec := model.NewSpec(kind).(S)
	if err := json.Unmarshal(o.Spec, spec); err != nil {
		t.Fatal(err)
	}
	change(spec)
	if err := o.SetSpec(spec); err != nil {
		t.Fatal(err)
	}
	o.Metadata.ResourceVersion = ""
	return o
}

// apply writes objs through the controller, all or nothing.
func apply(t *testing.T, ctl *controller.Controller, objs ...model.Object) {
	t.Helper()
	if _, _, err := ctl.Apply(t.Context(), objs); err != nil {
		t.Fatal(err)
	}
}

// servedBy fetches url n times and returns who answered (an error string
// for failures).
func servedBy(t *testing.T, c *http.Client, url string, n int) []string {
	t.Helper()
	var out []string
	for range n {
		who, err := get(t.Context(), c, url)
		if err != nil {
			who = "error: " + err.Error()
		}
		out = append(out, who)
	}
	return out
}

// TestAgentsFollowController: the controller holds the seed and the
// agents program the nodes from it; a change through the controller's API
// reaches the data plane (an inbound NAT rule moves to another port; a
// NIC leaves the backend pool, and new connections all reach the other
// one; a gateway's static routes and BGP peers change; a NIC is
// deleted); the nodes' statuses land in their resources; and with the
// controller gone the data plane keeps forwarding as last programmed.
func TestAgentsFollowController(t *testing.T) {
	rt, ctl, b, progs := managed(t)
	vip := rt.VIPs()[0].String()
	// Every connection from a new source port: none reuses the Mux flow
	// of an earlier one.
	c := freshPortsClient(mustMachine(t, rt, "clientvm"), 2*time.Second)

	waitFor(t, "every node programmed and ready", func() bool {
		h1, g1 := status[model.HostStatus](t, ctl, model.KindHost, "host1")
		h2, g2 := status[model.HostStatus](t, ctl, model.KindHost, "host2")
		m, gm := status[model.MuxStatus](t, ctl, model.KindMux, "mux1")
		r, gr := status[model.GatewayStatus](t, ctl, model.KindGateway, "bgpvm")
		return h1.Ready && h2.Ready && h1.ObservedGeneration == g1 && h2.ObservedGeneration == g2 &&
			m.ObservedGeneration == gm && len(m.Announced) == 1 && len(m.Peers) == 1 && m.Peers[0].State == "Established" &&
			r.ObservedGeneration == gr && len(r.Routes) == 1
	})
	h1, _ := status[model.HostStatus](t, ctl, model.KindHost, "host1")
	if len(h1.Probes) != 1 || !h1.Probes[0].Healthy || h1.Probes[0].LoadBalancer != "portal" || h1.Counters["acl.allow"] == 0 {
		t.Errorf("host1 status %+v", h1)
	}

	// The inbound NAT rule moves from 8080 to 8081 (with the endpoint
	// that publishes it).
	apply(t, ctl,
		edited(t, ctl, model.KindLoadBalancer, "portal", func(s *model.LoadBalancerSpec) {
			s.InboundNatRules[0].FrontendPort = 8081
		}),
		edited(t, ctl, model.KindNetworkInterface, "portalvm1", func(s *model.NetworkInterfaceSpec) {
			for i := range s.Endpoints {
				if s.Endpoints[i].PublicPort == 8080 {
					s.Endpoints[i].PublicPort = 8081
				}
			}
		}))
	waitFor(t, "VIP:8081 answers", func() bool {
		return servedBy(t, c, "http://"+vip+":8081/", 1)[0] == "portalvm1"
	})

	// PortalVM2 leaves the pool: every new connection reaches PortalVM1
	// once the Mux knows (until then, new flows to PortalVM2 find a
	// host that no longer serves it).
	muxed := progs.of("mux1")
	apply(t, ctl, edited(t, ctl, model.KindNetworkInterface, "portalvm2", func(s *model.NetworkInterfaceSpec) {
		s.LoadBalancerBackendPools = nil
		s.Endpoints = slices.DeleteFunc(s.Endpoints, func(e model.Endpoint) bool { return e.LoadBalancer != "" })
	}))
	waitFor(t, "host2 programmed without a load balancer", func() bool {
		h2, g2 := status[model.HostStatus](t, ctl, model.KindHost, "host2")
		return h2.ObservedGeneration == g2 && len(h2.Probes) == 0 && progs.of("mux1") > muxed
	})
	for i, who := range servedBy(t, c, "http://"+vip+"/", 12) {
		if who != "portalvm1" {
			t.Errorf("request %d served by %s, want portalvm1", i, who)
		}
	}

	// The NATVM gets a static route and a port forward moves: the route
	// is installed; the forward, fixed when the NAT started, is reported.
	apply(t, ctl, edited(t, ctl, model.KindGateway, "natvm", func(s *model.GatewaySpec) {
		s.Routes = append(s.Routes, model.StaticRoute{Prefix: netip.MustParsePrefix("198.51.100.0/24"), NextHop: netip.MustParseAddr("192.168.200.2")})
		s.NAT.PortForwards[0].ExternalPort = 8088
	}))
	waitFor(t, "natvm programmed", func() bool {
		g, gen := status[model.GatewayStatus](t, ctl, model.KindGateway, "natvm")
		return g.ObservedGeneration == gen && strings.Contains(g.Message, "NAT port forwards")
	})
	if set, ok := rt.gateways["natvm"].r.Routes().Lookup(netip.MustParseAddr("198.51.100.7")); !ok || set.Source != router.SourceStatic {
		t.Errorf("natvm has no static route to 198.51.100.0/24: %v %v", set, ok)
	}

	// The BGPVM gets a second peer, then loses it again: the session
	// with the Mux carries on.
	peerOf := func(g model.GatewayStatus, a string) string {
		for _, p := range g.Peers {
			if p.Address.String() == a {
				return p.State
			}
		}
		return ""
	}
	apply(t, ctl, edited(t, ctl, model.KindGateway, "bgpvm", func(s *model.GatewaySpec) {
		s.BGP.Peers = append(s.BGP.Peers, model.BGPPeer{Name: "mux2", Address: netip.MustParseAddr("192.168.100.11"), ASN: 64513})
	}))
	waitFor(t, "bgpvm peers with mux2", func() bool {
		g, _ := status[model.GatewayStatus](t, ctl, model.KindGateway, "bgpvm")
		return len(g.Peers) == 2 && peerOf(g, "192.168.100.11") != ""
	})
	apply(t, ctl, edited(t, ctl, model.KindGateway, "bgpvm", func(s *model.GatewaySpec) {
		s.BGP.Peers = s.BGP.Peers[:1]
	}))
	waitFor(t, "bgpvm forgets mux2", func() bool {
		g, gen := status[model.GatewayStatus](t, ctl, model.KindGateway, "bgpvm")
		return g.ObservedGeneration == gen && len(g.Peers) == 1 && peerOf(g, "192.168.100.10") == "Established" && len(g.Routes) == 1
	})

	// PortalVM2's NIC is deleted: the hosts forget its mapping, and host2
	// detaches the VM after the grace.
	if _, err := ctl.Delete(t.Context(), model.KindNetworkInterface, "portalvm2", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "portalvm2's mapping deleted and the VM detached", func() bool {
		_, ok := rt.hosts["host1"].sw.LookupMapping(5001, netip.MustParseAddr("10.1.0.5"))
		_, running := rt.Machine("portalvm2")
		h2, _ := status[model.HostStatus](t, ctl, model.KindHost, "host2")
		return !ok && !running && len(rt.place.on("host2")) == 0 && !strings.Contains(h2.Message, "portalvm2")
	})
	if _, ok := rt.hosts["host1"].sw.LookupMapping(5001, netip.MustParseAddr("10.1.0.4")); !ok {
		t.Error("host1 lost portalvm1's mapping")
	}

	// The controller goes away: the nodes keep their programming.
	b.stop()
	time.Sleep(100 * time.Millisecond)
	got := servedBy(t, c, "http://"+vip+"/", 4)
	got = append(got, servedBy(t, c, "http://"+vip+":8081/", 2)...)
	for i, who := range got {
		if who != "portalvm1" {
			t.Errorf("with the controller down, request %d served by %s, want portalvm1", i, who)
		}
	}
}

// waitHostsReady waits until both hosts have programmed the controller's
// latest generation and report ready.
func waitHostsReady(t *testing.T, ctl *controller.Controller) {
	t.Helper()
	waitFor(t, "every host programmed and ready", func() bool {
		h1, g1 := status[model.HostStatus](t, ctl, model.KindHost, "host1")
		h2, g2 := status[model.HostStatus](t, ctl, model.KindHost, "host2")
		return h1.Ready && h2.Ready && h1.ObservedGeneration == g1 && h2.ObservedGeneration == g2
	})
}

// portalVM3 is a third PortalVM's NIC on host1 at ca, in the portal's
// backend pool, as a test adds it after start.
func portalVM3(t *testing.T, ca netip.Addr) model.Object {
	t.Helper()
	nic, err := model.NewObject("portalvm3", &model.NetworkInterfaceSpec{
		VirtualNetwork: "portal-vnet", Subnet: "web", Host: "host1", Addresses: []netip.Addr{ca}, Service: "portal",
		Endpoints:                []model.Endpoint{{Name: "http", Type: model.EndpointInput, Protocol: slb.ProtocolTCP, Port: 80, PublicPort: 80, LoadBalancer: "portal"}},
		LoadBalancerBackendPools: []model.BackendPoolRef{{LoadBalancer: "portal", Pool: "portal-pool"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return nic
}

// TestAgentsAttachAndDetach: a NIC added to the controller for a host
// after the agents started is attached by that host's agent (its VM
// made, its vNIC on the host's switch) and joins the load balancer: new
// connections to the VIP reach it. Deleted, it is detached: its VM
// stops, its vNIC and mappings go, the host reports it no more, and the
// VIP is served by the others alone.
func TestAgentsAttachAndDetach(t *testing.T) {
	rt, ctl, _, _ := managed(t)
	vip := rt.VIPs()[0].String()
	c := freshPortsClient(mustMachine(t, rt, "clientvm"), 2*time.Second)
	waitHostsReady(t, ctl)

	ca := netip.MustParseAddr("10.1.0.6")
	nic := portalVM3(t, ca)
	apply(t, ctl, nic)
	waitFor(t, "portalvm3 attached to host1 and mapped on host2", func() bool {
		_, running := rt.Machine("portalvm3")
		m, ok := rt.hosts["host2"].sw.LookupMapping(5001, ca)
		return running && ok && m.PA == rt.hosts["host1"].spec.PA.Addr()
	})
	waitFor(t, "portalvm3 serves the VIP", func() bool {
		return slices.Contains(servedBy(t, c, "http://"+vip+"/", 6), "portalvm3")
	})
	if h1, _ := status[model.HostStatus](t, ctl, model.KindHost, "host1"); strings.Contains(h1.Message, "portalvm3") {
		t.Errorf("host1 reports %q", h1.Message)
	}

	if _, err := ctl.Delete(t.Context(), model.KindNetworkInterface, "portalvm3", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "portalvm3 detached", func() bool {
		_, running := rt.Machine("portalvm3")
		_, mapped := rt.hosts["host2"].sw.LookupMapping(5001, ca)
		_, local := rt.hosts["host1"].sw.LookupMapping(5001, ca)
		_, placed := rt.place.get("portalvm3")
		h1, _ := status[model.HostStatus](t, ctl, model.KindHost, "host1")
		return !running && !mapped && !local && !placed && !strings.Contains(h1.Message, "portalvm3")
	})
	for i, who := range servedBy(t, c, "http://"+vip+"/", 8) {
		if who != "portalvm1" && who != "portalvm2" {
			t.Errorf("after the detach, request %d served by %s", i, who)
		}
	}
}

// TestAgentsNewDIPAwaitsProbe: a NIC added to the VIP's pool after start
// gets no new flow until its host agent's probe passed (Azure's
// semantics): while the runtime holds it out of rotation it has served
// nothing, its host agent reported it down and then up, and a client
// opening connections to the VIP all along sees none fail.
func TestAgentsNewDIPAwaitsProbe(t *testing.T) {
	rt, ctl, _, _ := managed(t)
	vip := rt.VIPs()[0].String()
	c := freshPortsClient(mustMachine(t, rt, "clientvm"), 2*time.Second)
	waitHostsReady(t, ctl)
	changes := rt.hosts["host1"].agent.Stats().HealthChanges

	ca := netip.MustParseAddr("10.1.0.6")
	nic := portalVM3(t, ca)
	ctx, cancel := context.WithCancel(t.Context())
	var failed atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { // new connections to the VIP all along
		for ctx.Err() == nil {
			if _, err := get(ctx, c, "http://"+vip+"/"); err != nil && ctx.Err() == nil {
				failed.Add(1)
				t.Logf("request failed: %v", err)
			}
		}
	})
	apply(t, ctl, nic)
	var held bool
	waitFor(t, "portalvm3 serves the VIP", func() bool {
		served := rt.Served("portalvm3") // before its health: see onHealth
		up := rt.healthy(dipKey{5001, ca})
		if _, attached := rt.place.get("portalvm3"); attached && !up {
			held = true
			if served > 0 {
				t.Fatalf("portalvm3 served %d request(s) out of rotation, before its probe passed", served)
			}
		}
		return served > 0
	})
	cancel()
	wg.Wait()
	if !held {
		t.Error("portalvm3 was never seen out of rotation before it served")
	}
	if n := rt.hosts["host1"].agent.Stats().HealthChanges - changes; n != 2 {
		t.Errorf("host1 reported %d health changes, want 2: portalvm3 down, then up once probed", n)
	}
	if n := failed.Load(); n != 0 {
		t.Errorf("%d request(s) to the VIP failed while portalvm3 joined", n)
	}
}

// TestAgentsNewSubnet: a NIC added after start in a new subnet of the
// virtual network talks east-west with a VM that was there, both ways,
// without SNAT: the receiver sees the other's customer address (the
// host agents' internal prefixes follow the controller; with those of
// start, a reply to the new subnet was SNATed to the VIP and the
// connection failed). Its connections to the outside are still SNATed.
func TestAgentsNewSubnet(t *testing.T) {
	rt, ctl, _, _ := managed(t)
	waitHostsReady(t, ctl)
	ca := netip.MustParseAddr("10.1.1.10")
	vnet := edited(t, ctl, model.KindVirtualNetwork, "portal-vnet", func(s *model.VirtualNetworkSpec) {
		s.Subnets = append(s.Subnets, model.VirtualSubnet{Name: "app", Prefix: netip.MustParsePrefix("10.1.1.0/24")})
	})
	nic, err := model.NewObject("appvm", &model.NetworkInterfaceSpec{
		VirtualNetwork: "portal-vnet", Subnet: "app", Host: "host2", Addresses: []netip.Addr{ca}, Service: "portal",
		Endpoints: []model.Endpoint{
			{Name: "http", Type: model.EndpointInput, Protocol: slb.ProtocolTCP, Port: 80, PublicPort: 80, LoadBalancer: "portal"},
			{Name: "sync", Type: model.EndpointInternal, Protocol: slb.ProtocolTCP, Port: 9000},
		},
		// A backend, so under the portal's outbound rule, as the PortalVMs are.
		LoadBalancerBackendPools: []model.BackendPoolRef{{LoadBalancer: "portal", Pool: "portal-pool"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, ctl, vnet, nic)
	waitFor(t, "appvm attached to host2 and mapped on host1", func() bool {
		_, running := rt.Machine("appvm")
		_, ok := rt.hosts["host1"].sw.LookupMapping(5001, ca)
		return running && ok
	})

	// Each way, the receiver sees the sender's customer address.
	for _, tc := range []struct{ from, to, seen string }{
		{"appvm", "10.1.0.4", "10.1.1.10"},
		{"portalvm1", "10.1.1.10", "10.1.0.4"},
	} {
		c := newClient(mustMachine(t, rt, tc.from), true, 2*time.Second)
		url := "http://" + tc.to + ":9000/"
		body := bodyOnceUp(t, c, tc.from, url)
		if !strings.Contains(body, "(you are "+tc.seen+":") {
			t.Errorf("%s from %s: %q, want it to see %s", url, tc.from, body, tc.seen)
		}
	}

	// To the outside: SNATed on host2 to the VIP, then NATed by the NATVM.
	agent2 := rt.hosts["host2"].agent
	before := agent2.Stats().Reasons[hostagent.ReasonSNAT]
	c := newClient(mustMachine(t, rt, "appvm"), true, 2*time.Second)
	body := bodyOnceUp(t, c, "appvm", "http://203.0.113.80/")
	if !strings.Contains(body, "(you are 203.0.113.2:") {
		t.Errorf("the internet VM answered %q, want it to see the NATVM", body)
	}
	if after := agent2.Stats().Reasons[hostagent.ReasonSNAT]; after == before {
		t.Errorf("host2 SNATed no connection of appvm's to the outside (%d SNATed flows)", after)
	}
}

// TestInternalPrefixes: a host's internal prefixes are the address spaces
// of its NICs' virtual networks and the NICs' subnets, not those of
// logical networks.
func TestInternalPrefixes(t *testing.T) {
	s := &agent.HostSlice{
		AddressSpaces: map[string][]netip.Prefix{
			"b": {netip.MustParsePrefix("10.2.0.0/16")},
			"a": {netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00:1::/48")},
		},
		Interfaces: []agent.HostInterface{
			{Name: "vm", Spec: model.NetworkInterfaceSpec{VirtualNetwork: "a"}, Attachment: model.Attachment{Prefix: netip.MustParsePrefix("10.1.1.7/24")}},
			{Name: "gw", Spec: model.NetworkInterfaceSpec{LogicalNetwork: "external"}, Attachment: model.Attachment{Prefix: netip.MustParsePrefix("192.168.200.0/24")}},
		},
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fd00:1::/48"), netip.MustParsePrefix("10.2.0.0/16"), netip.MustParsePrefix("10.1.1.0/24")}
	if d := cmp.Diff(want, internalPrefixes(s), cmpopts.EquateComparable(netip.Prefix{})); d != "" {
		t.Errorf("internalPrefixes (-want +got):\n%s", d)
	}
}

// TestWithLeaving: a host keeps the local DIPs that leave a pool (and a
// load balancer that leaves the host) for the drain grace; others' DIPs
// and unchanged configurations are left alone.
func TestWithLeaving(t *testing.T) {
	pa, other := netip.MustParseAddr("192.168.100.21"), netip.MustParseAddr("192.168.100.22")
	b1 := slb.Backend{Name: "a", DIP: netip.MustParseAddr("10.1.0.4"), HostPA: pa}
	b2 := slb.Backend{Name: "b", DIP: netip.MustParseAddr("10.1.0.5"), HostPA: other}
	b3 := slb.Backend{Name: "c", DIP: netip.MustParseAddr("10.1.0.6"), HostPA: pa}
	lb := func(name string, bs ...slb.Backend) slb.LoadBalancer {
		return slb.LoadBalancer{Name: name, BackendAddressPools: []slb.BackendPool{{Name: "pool", VNI: 5001, Backends: bs}}}
	}
	for _, tc := range []struct {
		name       string
		prev, next []slb.LoadBalancer
		want       []slb.LoadBalancer // nil: nothing leaves
	}{
		{"unchanged", []slb.LoadBalancer{lb("web", b1, b2)}, []slb.LoadBalancer{lb("web", b1, b2)}, nil},
		{"joins", []slb.LoadBalancer{lb("web", b1)}, []slb.LoadBalancer{lb("web", b1, b3)}, nil},
		{"another host's DIP leaves", []slb.LoadBalancer{lb("web", b1, b2)}, []slb.LoadBalancer{lb("web", b1)}, nil},
		{"local DIP leaves", []slb.LoadBalancer{lb("web", b1, b2, b3)}, []slb.LoadBalancer{lb("web", b2, b3)},
			[]slb.LoadBalancer{lb("web", b2, b3, b1)}},
		{"load balancer leaves the host", []slb.LoadBalancer{lb("web", b1, b2), lb("api", b3)}, []slb.LoadBalancer{lb("api", b3)},
			[]slb.LoadBalancer{lb("web", b1, b2), lb("api", b3)}},
		{"another host's load balancer leaves", []slb.LoadBalancer{lb("web", b2), lb("api", b3)}, []slb.LoadBalancer{lb("api", b3)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := slices.Clone(tc.next)
			got, ok := withLeaving(tc.prev, tc.next, pa)
			if ok != (tc.want != nil) {
				t.Fatalf("ok = %t, want %t", ok, tc.want != nil)
			}
			if d := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Addr{})); d != "" {
				t.Errorf("merged (-want +got):\n%s", d)
			}
			if d := cmp.Diff(next, tc.next, cmpopts.EquateComparable(netip.Addr{})); d != "" {
				t.Errorf("next was modified:\n%s", d)
			}
		})
	}
}

// TestAgentsOverREST: the agents reach the controller through its REST
// API, as agents on other machines do; a change applied through the API
// reaches the data plane, and when the API server stops the data plane
// keeps forwarding.
func TestAgentsOverREST(t *testing.T) {
	const token = "agents-test-token"
	var (
		srv    *api.Server
		ts     *httptest.Server
		client *api.Client
	)
	rt, ctl, _ := managedOver(t, func(ctl *controller.Controller) api.Backend {
		var err error
		srv, err = api.NewServer(api.Config{Backend: ctl, Token: token, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ts = httptest.NewServer(srv)
		if client, err = api.NewClient(ts.URL, token, nil); err != nil {
			t.Fatal(err)
		}
		return client
	})
	stopServer := sync.OnceFunc(func() {
		srv.Close() // ends the watch streams
		ts.Close()
		client.HTTP.CloseIdleConnections()
	})
	t.Cleanup(stopServer)
	waitFor(t, "mux1 programmed over REST", func() bool {
		m, gen := status[model.MuxStatus](t, ctl, model.KindMux, "mux1")
		return m.ObservedGeneration == gen && len(m.Announced) == 1
	})

	// As `fabric apply` would: through the API.
	lb := edited(t, ctl, model.KindLoadBalancer, "portal", func(s *model.LoadBalancerSpec) { s.InboundNatRules[0].FrontendPort = 8082 })
	nic := edited(t, ctl, model.KindNetworkInterface, "portalvm1", func(s *model.NetworkInterfaceSpec) {
		for i := range s.Endpoints {
			if s.Endpoints[i].PublicPort == 8080 {
				s.Endpoints[i].PublicPort = 8082
			}
		}
	})
	if _, _, err := client.Apply(t.Context(), []model.Object{lb, nic}); err != nil {
		t.Fatal(err)
	}
	c := freshPortsClient(mustMachine(t, rt, "clientvm"), 2*time.Second)
	url := "http://" + rt.VIPs()[0].String() + ":8082/"
	waitFor(t, "VIP:8082 answers", func() bool { return servedBy(t, c, url, 1)[0] == "portalvm1" })

	stopServer()
	client.HTTP.CloseIdleConnections()
	for i, who := range servedBy(t, c, url, 3) {
		if who != "portalvm1" {
			t.Errorf("with the API down, request %d served by %s, want portalvm1", i, who)
		}
	}
}

// seedController returns an in-memory controller holding
// examples/seed.yaml, and the topology of its desired state.
func seedController(t *testing.T) (*controller.Controller, *Topology) {
	t.Helper()
	data, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := model.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := controller.New(controller.Config{Store: memstore.New(memstore.Options{}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, _, err := ctl.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	state, _, err := ctl.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := FromModel(state)
	if err != nil {
		t.Fatal(err)
	}
	return ctl, topo
}

// bodyOnceUp fetches url through c (a client of the VM named from) until
// a request gets an answer, and returns its body.
func bodyOnceUp(t *testing.T, c *http.Client, from, url string) string {
	t.Helper()
	var body string
	waitFor(t, from+" reaches "+url, func() bool {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return true
	})
	return body
}
