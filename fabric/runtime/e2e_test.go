package runtime

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/trace"
	"github.com/sdnfabric/sdnfabric/provision"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
	"github.com/sdnfabric/sdnfabric/slb/mux"
)

var seedVIP = netip.MustParseAddr("192.168.102.10")

// start runs topo until the test ends, waits until it is ready, and checks
// at the end that every goroutine it started has ended.
func start(t testing.TB, topo *Topology, opts Options) *Runtime {
	t.Helper()
	before := runtime.NumGoroutine()
	if opts.Progress == nil {
		opts.Progress = func(p Progress) { t.Log(p) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	rt, err := Start(ctx, topo, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rt.Close()
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines leaked:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
	if err := rt.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	return rt
}

func mustMachine(t testing.TB, rt *Runtime, name string) *guest.Guest {
	t.Helper()
	g, ok := rt.Machine(name)
	if !ok {
		t.Fatalf("no machine %s", name)
	}
	return g
}

// newClient returns an HTTP client of g that opens a connection per
// request when fresh is set.
func newClient(g *guest.Guest, fresh bool, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		DialContext:       g.DialContext,
		DisableKeepAlives: fresh,
		MaxIdleConns:      64, MaxIdleConnsPerHost: 64,
	}}
}

// get fetches url and returns who served it.
func get(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s", resp.Status)
	}
	return resp.Header.Get(ServedBy), nil
}

// freshPortsClient returns an HTTP client of g that opens a connection per
// request from a source port never used before in the test, so no
// connection reuses the 5-tuple (and the Mux flow entry) of an earlier one.
func freshPortsClient(g *guest.Guest, timeout time.Duration) *http.Client {
	var next atomic.Uint32
	next.Store(20000)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return g.Dialer(netip.AddrPortFrom(g.Addr(), uint16(next.Add(1)))).DialContext(ctx, network, addr)
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
}

func closeIdle(c *http.Client) { c.Transport.(*http.Transport).CloseIdleConnections() }

// Test 1: HTTP through the VIP from ClientVM; the request passes NAT,
// router, Mux, VXLAN and the host; the reply leaves the host straight for
// the router.
func TestHTTPThroughVIPTrace(t *testing.T) {
	rec := trace.NewRecorder(0)
	rt := start(t, Seed(), Options{Trace: rec})
	client := mustMachine(t, rt, "ClientVM")
	c := newClient(client, true, 5*time.Second)
	defer closeIdle(c)
	stop := rec.Watch(client.Addr())
	served, err := get(context.Background(), c, "http://192.168.102.10/")
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(served, "PortalVM") {
		t.Fatalf("served by %q", served)
	}
	host := map[string]string{"PortalVM1": "Host1", "PortalVM2": "Host2"}[served]
	events := rec.Events()
	request := func(e trace.Event) bool {
		return strings.HasPrefix(e.Packet, "TCP 192.168.200.10:") || strings.HasPrefix(e.Packet, "VXLAN")
	}
	reply := func(e trace.Event) bool { return strings.HasPrefix(e.Packet, "TCP 192.168.102.10:80 >") }
	type step struct{ node, layer, action string }
	find := func(want step, of func(trace.Event) bool) *trace.Event {
		for i, e := range events {
			if e.Node == want.node && e.Layer == want.layer && e.Action == want.action && of(e) {
				return &events[i]
			}
		}
		return nil
	}
	for _, want := range []step{
		{"NATVM", "router", "forward"},
		{"BGPVM", "router", "forward"},
		{"MuxVM", "mux", "encap"},
		{host, "vnet", "decap"},
		{host, "slb", "nat"},
		{host, "acl", "allow"},
		{host, "port", "deliver"},
	} {
		if find(want, request) == nil {
			t.Errorf("request: no %v", want)
		}
	}
	if e := find(step{"MuxVM", "mux", "encap"}, request); e != nil && !strings.Contains(strings.Join(e.Added, ","), "VXLAN vni 5001") {
		t.Errorf("Mux encap added %v, want VXLAN vni 5001", e.Added)
	}
	if e := find(step{host, "vnet", "decap"}, request); e != nil && len(e.Removed) != 3 {
		t.Errorf("host decap removed %v, want outer IPv4, UDP, VXLAN", e.Removed)
	}
	if e := find(step{"BGPVM", "router", "forward"}, request); e != nil && !strings.Contains(e.Rule, "ebgp") {
		t.Errorf("router forwarded the request by %q, want the BGP route", e.Rule)
	}
	if find(step{host, "slb", "dsr"}, reply) == nil || find(step{"BGPVM", "router", "forward"}, reply) == nil {
		t.Error("reply: no DSR from the host to the router")
	}
	for _, e := range events {
		if e.Node == "MuxVM" && reply(e) {
			t.Errorf("the Mux saw a reply: %v", e)
		}
	}
	if t.Failed() {
		for _, e := range events {
			t.Log(e)
		}
	}
}

// Test 2: requests spread over both PortalVMs, and a flow stays on its
// backend.
func TestSpreadAndStickiness(t *testing.T) {
	rt := start(t, Seed(), Options{})
	client := mustMachine(t, rt, "ClientVM")
	ctx := context.Background()
	fresh := newClient(client, true, 5*time.Second)
	byBackend := map[string]int{}
	for range 40 {
		who, err := get(ctx, fresh, "http://192.168.102.10/")
		if err != nil {
			t.Fatal(err)
		}
		byBackend[who]++
	}
	if byBackend["PortalVM1"] == 0 || byBackend["PortalVM2"] == 0 {
		t.Errorf("40 connections went to %v, want both PortalVMs", byBackend)
	}
	// One connection, many requests: one backend.
	kept := newClient(client, false, 5*time.Second)
	defer closeIdle(kept)
	first, err := get(ctx, kept, "http://192.168.102.10/")
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		who, err := get(ctx, kept, "http://192.168.102.10/")
		if err != nil {
			t.Fatal(err)
		}
		if who != first {
			t.Fatalf("a keep-alive connection moved from %s to %s", first, who)
		}
	}
}

// Test 3: a PortalVM marked busy by provisioning (provision.BringUp with
// the runtime as its Rotation) leaves rotation while its setup runs and
// comes back after; a steady stream of requests sees no failure.
func TestBusyInstanceLeavesRotation(t *testing.T) {
	rt := start(t, Seed(), Options{})
	client := mustMachine(t, rt, "ClientVM")
	c := freshPortsClient(client, 5*time.Second)
	ctx := context.Background()
	var (
		mu       sync.Mutex
		failures []error
		total    int
		phase    atomic.Int32 // 0 before busy, 1 busy, 2 turning ready, 3 ready again
		byPhase  = [4]map[string]int{{}, {}, {}, {}}
		stop     = make(chan struct{})
		done     = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			p := phase.Load()
			who, err := get(ctx, c, "http://192.168.102.10/")
			mu.Lock()
			total++
			if err != nil {
				failures = append(failures, err)
			} else {
				byPhase[p][who]++
			}
			mu.Unlock()
		}
	}()
	more := func(n int) {
		t.Helper()
		mu.Lock()
		want := total + n
		mu.Unlock()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			got := total
			mu.Unlock()
			if got >= want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the stream stalled at %d requests", got)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	more(30)
	// PortalVM1 is (re)provisioned: provision.BringUp marks it busy, runs
	// its first-logon setup while the stream goes on, and marks it ready.
	vm1 := netip.MustParseAddr("10.10.0.11")
	in := provision.NewInstance("PortalVM1", 1, provision.MAC(mac(0x21)), vm1, time.Now())
	for _, s := range []provision.State{provision.Cloning, provision.Specializing, provision.FirstLogon} {
		if err := in.To(s, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	setup := func(context.Context, *provision.Instance) error {
		time.Sleep(20 * time.Millisecond) // connections opened before it went busy finish
		phase.Store(1)
		more(60)
		phase.Store(2)
		more(1) // the request that read phase 1 last has finished
		return nil
	}
	if err := provision.BringUp(ctx, in, rt, provision.SystemClock{}, setup); err != nil {
		t.Fatal(err)
	}
	if in.State() != provision.Ready {
		t.Fatalf("instance %s, want Ready", in.State())
	}
	deadline := time.Now().Add(5 * time.Second)
	for !rt.healthy(dipKey{5001, vm1}) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the Muxes have heard
	phase.Store(3)
	more(60)
	close(stop)
	<-done
	closeIdle(c)
	mu.Lock()
	defer mu.Unlock()
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed, first: %v", len(failures), total, failures[0])
	}
	if n := byPhase[1]["PortalVM1"]; n != 0 {
		t.Errorf("the busy PortalVM1 got %d new connections", n)
	}
	if byPhase[1]["PortalVM2"] == 0 || byPhase[3]["PortalVM1"] == 0 {
		t.Errorf("served per phase %v: want PortalVM2 while busy and PortalVM1 back after", byPhase)
	}
}

// Test 4: an inbound NAT rule takes port 8080 of the VIP to PortalVM1's
// port 80 (the seed's Input endpoint); a port that is no endpoint is
// dropped by the ACL.
func TestInboundNATAndACL(t *testing.T) {
	topo := Seed()
	lb := &topo.LoadBalancers[0]
	lb.InboundNatRules = append(lb.InboundNatRules, lb.InboundNatRules[0])
	ssh := &lb.InboundNatRules[len(lb.InboundNatRules)-1]
	ssh.Name, ssh.FrontendPort, ssh.BackendPort = "ssh-2222", 2222, 22
	rec := trace.NewRecorder(0)
	rt := start(t, topo, Options{Trace: rec})
	client := mustMachine(t, rt, "ClientVM")
	c := newClient(client, true, 5*time.Second)
	for range 5 {
		who, err := get(context.Background(), c, "http://192.168.102.10:8080/")
		if err != nil {
			t.Fatal(err)
		}
		if who != "PortalVM1" {
			t.Fatalf("port 8080 served by %s, want PortalVM1", who)
		}
	}
	stop := rec.Watch(client.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	conn, err := client.DialContext(ctx, "tcp", "192.168.102.10:2222")
	cancel()
	stop()
	if err == nil {
		conn.Close()
		t.Fatal("connected to port 2222, which maps to no endpoint")
	}
	var denied bool
	for _, e := range rec.Events() {
		if e.Node == "Host1" && e.Layer == "acl" && e.Action == "deny" && strings.Contains(e.Packet, "10.10.0.11:22") {
			denied = true
		}
	}
	if !denied {
		t.Errorf("no ACL drop on Host1 in the trace:\n%v", rec.Events())
	}
}

// Test 6: ten thousand HTTP requests through the VIP with 1% loss on the
// provider network all succeed, and the counters add up.
func TestManyRequestsWithLoss(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	rt := start(t, Seed(), Options{Links: map[string]netsim.WireConfig{"provider": {Loss: 0.01, Seed: 42, Queue: 1024}}})
	client := mustMachine(t, rt, "ClientVM")
	const workers = 16
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := range workers {
		c := newClient(client, false, 30*time.Second)
		wg.Go(func() {
			defer closeIdle(c)
			for i := w; i < n; i += workers {
				if _, err := get(context.Background(), c, "http://192.168.102.10/"); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests failed, first: %v", failed.Load(), n, firstErr.Load())
	}
	if got := rt.Served("PortalVM1") + rt.Served("PortalVM2"); got != uint64(n) {
		t.Errorf("PortalVMs served %d requests, want %d", got, n)
	}
	checkCounters(t, rt)
}

// checkCounters checks that the frames every switch took in are the frames
// it delivered, lost or dropped, and that the Mux forwarded what its hosts
// decapsulated or the wire lost.
func checkCounters(t *testing.T, rt *Runtime) {
	t.Helper()
	// Probes and keepalives go on: look for a moment when every switch's
	// frames balance.
	var problems []string
	var lost uint64
	for range 100 {
		problems, lost = nil, 0
		for _, n := range rt.topo.Networks {
			sw, _ := rt.Network(n.Name)
			ports := sw.Ports()
			var in, out uint64
			for _, p := range ports {
				s := p.Stats()
				in += s.TxFrames - s.Lost - s.Oversize - s.Unreachable
				out += s.RxFrames + s.Overrun + s.Queued
				lost += s.Lost
			}
			ss := sw.Stats()
			if want := in - ss.Flooded + ss.FloodCopies; out != want {
				problems = append(problems, fmt.Sprintf("%s: %d frames delivered, overrun or queued; want %d (taken in %d, %d flooded in %d copies)",
					n.Name, out, want, in, ss.Flooded, ss.FloodCopies))
			}
		}
		if len(problems) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if lost == 0 {
		t.Error("no frame was lost; the lossy link is not lossy")
	}
	st := rt.Status()
	for _, r := range st.Routers {
		if r.Forwarded == 0 || r.Rx < r.Forwarded {
			t.Errorf("%s forwarded %d of %d frames", r.Node, r.Forwarded, r.Rx)
		}
	}
	var delivered uint64
	for _, h := range st.Hosts {
		delivered += h.Stats.Inbound[hostagent.Deliver]
	}
	forwarded := st.Muxes[0].Stats.Verdicts[mux.VerdictForward]
	if delivered > forwarded {
		t.Errorf("hosts delivered %d packets from the Mux, which forwarded %d", delivered, forwarded)
	}
	t.Logf("frames lost: %d; Mux forwarded %d packets, hosts delivered %d; routers %+v", lost, forwarded, delivered, st.Routers)
}

// Test 5: a PortalVM opens a connection to the outside world: SNAT to the
// VIP on its host, out through the router and the NATVM, and the reply
// comes back through the NATVM, the router and the Mux (which knows the
// SNAT lease) to the host.
func TestOutboundSNAT(t *testing.T) {
	rec := trace.NewRecorder(0)
	rt := start(t, Seed(), Options{Trace: rec})
	portal := mustMachine(t, rt, "PortalVM1")
	stop := rec.Watch(netip.MustParseAddr("203.0.113.100")) // the far end: every hop, translated or not
	defer stop()
	c := newClient(portal, true, 10*time.Second)
	req, _ := http.NewRequest(http.MethodGet, "http://203.0.113.100/", nil)
	resp, err := c.Do(req)
	if err != nil {
		for _, e := range rec.Events() {
			t.Log(e)
		}
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The outside server sees the NATVM's external address.
	if resp.Header.Get(ServedBy) != "Internet" || !strings.Contains(string(body), "you are 203.0.113.1:") {
		t.Fatalf("%s %q", resp.Header.Get(ServedBy), body)
	}
	var snatted, natted, muxed bool
	for _, e := range rec.Events() {
		switch {
		case e.Node == "Host1" && e.Layer == "slb" && strings.HasPrefix(e.Packet, "TCP 192.168.102.10:"):
			snatted = true
		case e.Node == "NATVM" && e.Layer == "nat" && e.Action == "snat":
			natted = true
		case e.Node == "MuxVM" && e.Layer == "mux" && e.Action == "encap":
			muxed = true
		}
	}
	if !snatted || !natted || !muxed {
		t.Errorf("trace: host SNAT %v, NATVM NAT %v, reply through the Mux %v", snatted, natted, muxed)
		for _, e := range rec.Events() {
			t.Log(e)
		}
	}
}

// The NATVM lets the outside in: its port forward takes port 80 of its
// external address to the Portal VIP, and the reply returns by DSR to the
// router and back through the NAT.
func TestOutsideInThroughNATPortForward(t *testing.T) {
	rt := start(t, Seed(), Options{})
	outside := mustMachine(t, rt, "Internet")
	c := newClient(outside, true, 5*time.Second)
	seen := map[string]bool{}
	for range 10 {
		who, err := get(context.Background(), c, "http://203.0.113.1/")
		if err != nil {
			t.Fatal(err)
		}
		seen[who] = true
	}
	if !seen["PortalVM1"] && !seen["PortalVM2"] {
		t.Fatalf("served by %v, want the PortalVMs", seen)
	}
}
