package hostagent_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// redirect is a Dialer that sends every connection to one real address
// (a test server) and records where it was meant to go; addresses in
// down fail.
type redirect struct {
	to   string
	mu   sync.Mutex
	seen map[string]int
	down map[string]bool
}

func (d *redirect) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.seen[addr]++
	down := d.down[addr]
	d.mu.Unlock()
	if down {
		return nil, errors.New("connection refused")
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, d.to)
}

type healthLog struct {
	mu sync.Mutex
	ev []string
}

func (h *healthLog) on(vni uint32, dip netip.Addr, up bool) {
	h.mu.Lock()
	h.ev = append(h.ev, fmt.Sprintf("%d/%v %v", vni, dip, up))
	h.mu.Unlock()
}

func (h *healthLog) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := h.ev
	h.ev = nil
	return ev
}

// httpProbed is an agent on host2 whose probes of the portal's http rule
// (port 80 over B and C, threshold 2, every 5 s) reach srv, on a fake
// clock, with the health changes it reports logged; tick advances the
// clock one interval, runs the probes due and takes the changes.
func httpProbed(t *testing.T, srv *httptest.Server) (a *hostagent.Agent, dialer *redirect, clock *fakeClock, log *healthLog, tick func() []string) {
	t.Helper()
	dialer = &redirect{to: srv.Listener.Addr().String(), seen: map[string]int{}, down: map[string]bool{}}
	clock = newFakeClock()
	log = &healthLog{}
	lb := portal()
	lb.LoadBalancingRules = lb.LoadBalancingRules[:1]
	lb.Probes[0].ProbeThreshold = 2
	lb.Probes[0].IntervalInSeconds = 5
	a, err := hostagent.New(hostagent.Config{HostPA: host2, Clock: clock, Dialer: dialer, OnHealth: log.on,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(lb); err != nil {
		t.Fatal(err)
	}
	tick = func() []string {
		t.Helper()
		clock.Advance(5 * time.Second)
		a.Tick(context.Background())
		return log.take()
	}
	return a, dialer, clock, log, tick
}

func TestHTTPProbesAndBusy(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	var paths sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.Store(r.URL.Path, true)
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	a, dialer, clock, log, tick := httpProbed(t, srv)
	if ev := tick(); len(ev) != 0 {
		t.Errorf("healthy DIPs reported %v", ev)
	}
	if _, ok := paths.Load("/health"); !ok {
		t.Error("no GET /health")
	}
	if dialer.seen["10.1.0.6:80"] != 1 || dialer.seen["10.1.0.7:80"] != 1 {
		t.Errorf("probes went to %v", dialer.seen)
	}
	// Half a second later nothing is due.
	clock.Advance(500 * time.Millisecond)
	a.Tick(context.Background())
	if dialer.seen["10.1.0.6:80"] != 1 {
		t.Errorf("probed again before the interval: %v", dialer.seen)
	}

	status.Store(503)
	if ev := tick(); len(ev) != 0 {
		t.Errorf("one failure of a threshold of 2 reported %v", ev)
	}
	ev := tick()
	if diff := cmp.Diff([]string{"5001/10.1.0.6 false", "5001/10.1.0.7 false"}, sorted(ev)); diff != "" {
		t.Errorf("after two failures (-want +got):\n%s", diff)
	}
	// No usable DIP for a new flow the Mux did not place.
	pkt := build(t, flow{Src: ap(client4, 1000), Dst: ap(vip4, 80), Proto: 6})
	if r, _ := a.Inbound(pkt, vni, netip.Addr{}); r.Reason != hostagent.ReasonNoDIP {
		t.Errorf("all DIPs down: %+v", r)
	}
	status.Store(200)
	tick()
	if ev := sorted(tick()); !cmp.Equal(ev, []string{"5001/10.1.0.6 true", "5001/10.1.0.7 true"}) {
		t.Errorf("after two successes: %v", ev)
	}

	// Busy: reported down, no new flows from the agent's choice; back
	// when ready.
	a.SetBusy(vni, dipB, true)
	if ev := log.take(); !cmp.Equal(ev, []string{"5001/10.1.0.6 false"}) {
		t.Errorf("SetBusy: %v", ev)
	}
	for port := uint16(2000); port < 2020; port++ {
		pkt := build(t, flow{Src: ap(client4, port), Dst: ap(vip4, 80), Proto: 6})
		if r, _ := a.Inbound(pkt, vni, netip.Addr{}); r.DIP != dipC {
			t.Fatalf("new flow while B is busy went to %+v", r)
		}
	}
	if ev := tick(); len(ev) != 0 {
		t.Errorf("a busy DIP's probes reported %v", ev)
	}
	a.SetBusy(vni, dipB, false)
	if ev := log.take(); !cmp.Equal(ev, []string{"5001/10.1.0.6 true"}) {
		t.Errorf("SetBusy false: %v", ev)
	}
	if s := a.Stats(); s.Probes == 0 || s.HealthChanges != 6 {
		t.Errorf("stats: %d probes, %d health changes", s.Probes, s.HealthChanges)
	}
}

func TestTCPProbe(t *testing.T) {
	dialer, lb := tcpProbed(t)
	var log healthLog
	a, err := hostagent.New(hostagent.Config{HostPA: host2, Clock: newFakeClock(), Dialer: dialer, OnHealth: log.on,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(lb); err != nil {
		t.Fatal(err)
	}
	a.Tick(context.Background())
	if ev := log.take(); !cmp.Equal(ev, []string{"5001/10.1.0.7 false"}) {
		t.Errorf("events %v", ev)
	}
}

// A down DIP that a Configure removes and a later one brings back (while
// it drains) is reported down again, for the Muxes, which forget the
// health of DIPs they no longer have.
func TestReaddedDIPReportedAgain(t *testing.T) {
	dialer, lb := tcpProbed(t)
	var log healthLog
	clock := newFakeClock()
	a, err := hostagent.New(hostagent.Config{HostPA: host2, Clock: clock, Dialer: dialer, OnHealth: log.on,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(lb); err != nil {
		t.Fatal(err)
	}
	a.Tick(context.Background())
	if ev := log.take(); !cmp.Equal(ev, []string{"5001/10.1.0.7 false"}) {
		t.Fatalf("events %v", ev)
	}
	without := portal()
	without.LoadBalancingRules = without.LoadBalancingRules[:1]
	without.Probes = lb.Probes
	without.BackendAddressPools[0].Backends = without.BackendAddressPools[0].Backends[:2] // C leaves
	if err := a.Configure(without); err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(lb); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	a.Tick(context.Background())
	if ev := log.take(); !cmp.Equal(ev, []string{"5001/10.1.0.7 false"}) {
		t.Errorf("events after C came back: %v", ev)
	}
}

// A DIP that a Configure removes keeps its flows for the drain timeout;
// new flows go elsewhere.
func TestDrain(t *testing.T) {
	clock := newFakeClock()
	a, err := hostagent.New(hostagent.Config{HostPA: host2, Clock: clock, DrainTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(portal()); err != nil {
		t.Fatal(err)
	}
	old := flow{Src: ap(client4, 3000), Dst: ap(vip4, 80), Proto: 6}
	exchange(t, a, dipC, old, ap(dipC, 80))

	lb := portal()
	lb.BackendAddressPools[0].Backends = lb.BackendAddressPools[0].Backends[:2] // C leaves
	if err := a.Configure(lb); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	a.Expire()
	if r, _ := exchange(t, a, netip.Addr{}, old, ap(dipC, 80)); r.Reason != hostagent.ReasonFlow {
		t.Errorf("draining flow: %+v", r)
	}
	pkt := build(t, flow{Src: ap(client4, 3001), Dst: ap(vip4, 80), Proto: 6})
	if r, _ := a.Inbound(pkt, vni, dipC); r.Verdict != hostagent.Drop || r.Reason != hostagent.ReasonNoDIP {
		t.Errorf("new flow to the removed DIP: %+v", r)
	}
	clock.Advance(31 * time.Second)
	a.Expire()
	pkt = build(t, old)
	if r, _ := a.Inbound(pkt, vni, netip.Addr{}); r.DIP != dipB {
		t.Errorf("after the drain timeout the flow went to %+v, want a new flow to B", r)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// tcpProbed returns a dialer that connects every probe to a local
// listener accepting and closing connections, but refuses 10.1.0.7:80,
// and the portal load balancer with one rule, probed by TCP on port 80.
func tcpProbed(t *testing.T) (*redirect, slb.LoadBalancer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dialer := &redirect{to: ln.Addr().String(), seen: map[string]int{}, down: map[string]bool{"10.1.0.7:80": true}}
	lb := portal()
	lb.LoadBalancingRules = lb.LoadBalancingRules[:1]
	lb.Probes[0] = slb.Probe{Name: "http", Protocol: slb.ProbeTCP, Port: 80}
	return dialer, lb
}

// AwaitProbe takes a DIP out of rotation, reported down at once, until its
// probe first passes: one success, whatever the threshold; the agent picks
// it for no new flow meanwhile.
func TestAwaitProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	a, dialer, _, log, tick := httpProbed(t, srv)
	tick()
	newFlowsGoTo := func(port uint16) map[netip.Addr]int {
		n := map[netip.Addr]int{}
		for p := port; p < port+20; p++ {
			r, _ := a.Inbound(build(t, flow{Src: ap(client4, p), Dst: ap(vip4, 80), Proto: 6}), vni, netip.Addr{})
			n[r.DIP]++
		}
		return n
	}

	dialer.mu.Lock()
	dialer.down["10.1.0.6:80"] = true // B's VM does not answer yet
	dialer.mu.Unlock()
	a.AwaitProbe(vni, dipB)
	if ev := log.take(); !cmp.Equal(ev, []string{"5001/10.1.0.6 false"}) {
		t.Errorf("AwaitProbe reported %v", ev)
	}
	if n := newFlowsGoTo(3000); n[dipB] != 0 {
		t.Errorf("new flows before B's probe: %v", n)
	}
	if ev := tick(); len(ev) != 0 {
		t.Errorf("B's probe failed: reported %v", ev)
	}
	if n := newFlowsGoTo(3100); n[dipB] != 0 {
		t.Errorf("new flows after B's failed probe: %v", n)
	}
	dialer.mu.Lock()
	dialer.down["10.1.0.6:80"] = false
	dialer.mu.Unlock()
	if ev := tick(); !cmp.Equal(ev, []string{"5001/10.1.0.6 true"}) {
		t.Errorf("B's first probe passed (threshold 2): reported %v", ev)
	}
	if n := newFlowsGoTo(3200); n[dipB] == 0 {
		t.Errorf("no new flow for B once up: %v", n)
	}
	a.AwaitProbe(vni, dipA) // not a local DIP: no probe here
	if ev := log.take(); len(ev) != 0 {
		t.Errorf("AwaitProbe of a DIP without a probe reported %v", ev)
	}
}

// Two tenants' VMs on host2 share address 10.1.0.6 (and 10.1.0.7), B in
// the portal's virtual network and another in VNI 6001 behind its own
// VIP: each is a DIP of its own. SetBusy and AwaitProbe take only the one of the VNI
// they name out of rotation, OnHealth reports it with its VNI, and the
// other tenant's VM keeps taking new flows.
func TestHealthPerVirtualNetwork(t *testing.T) {
	const other = otherVNI
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	a, dialer, _, log, tick := httpProbed(t, srv)
	lb := portal()
	lb.LoadBalancingRules = lb.LoadBalancingRules[:1]
	if err := a.Configure(lb, otherTenant()); err != nil {
		t.Fatal(err)
	}
	if ev := tick(); len(ev) != 0 {
		t.Errorf("healthy DIPs reported %v", ev)
	}
	// newFlows returns where 20 new flows to vip go, in the VNI they
	// arrive on.
	next := uint16(2000)
	newFlows := func(vip netip.Addr, vni uint32) map[netip.Addr]int {
		t.Helper()
		n := map[netip.Addr]int{}
		for range 20 {
			r, _ := a.Inbound(build(t, flow{Src: ap(client4, next), Dst: ap(vip, 80), Proto: 6}), vni, netip.Addr{})
			n[r.DIP]++
			next++
		}
		return n
	}

	a.SetBusy(other, dipB, true)
	if ev := log.take(); !cmp.Equal(ev, []string{"6001/10.1.0.6 false"}) {
		t.Errorf("SetBusy of the other tenant's VM reported %v", ev)
	}
	if n := newFlows(vipOther, other); n[dipB] != 0 || n[dipC] != 20 {
		t.Errorf("the busy VM took new flows: %v", n)
	}
	if n := newFlows(vip4, vni); n[dipB] == 0 {
		t.Errorf("B (same address, another tenant) took no new flow while the other was busy: %v", n)
	}
	a.SetBusy(other, dipB, false)
	if ev := log.take(); !cmp.Equal(ev, []string{"6001/10.1.0.6 true"}) {
		t.Errorf("SetBusy false reported %v", ev)
	}

	a.AwaitProbe(vni, dipB)
	if ev := log.take(); !cmp.Equal(ev, []string{"5001/10.1.0.6 false"}) {
		t.Errorf("AwaitProbe of B reported %v", ev)
	}
	if n := newFlows(vipOther, other); n[dipB] == 0 {
		t.Errorf("the other tenant's VM while B awaits its probe: %v", n)
	}
	if ev := tick(); !cmp.Equal(ev, []string{"5001/10.1.0.6 true"}) {
		t.Errorf("B's probe passed: reported %v", ev)
	}
	dialer.mu.Lock()
	defer dialer.mu.Unlock()
	if dialer.seen["10.1.0.6:80"] == 0 {
		t.Errorf("probes went to %v", dialer.seen)
	}
}

// OnHealth hears a DIP's changes in the order the agent made them, also
// when they come from two goroutines: B's first probe passes at a Tick
// (up), whose report is slow, and B is marked busy meanwhile (down). The
// last report must be down, or the Muxes would send new flows to a busy
// DIP: SetBusy waits for the Tick's report before it makes its own.
func TestHealthReportsInOrder(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	dialer := &redirect{to: srv.Listener.Addr().String(), seen: map[string]int{}, down: map[string]bool{}}
	clock := newFakeClock()
	lb := portal()
	lb.LoadBalancingRules = lb.LoadBalancingRules[:1]
	var (
		mu      sync.Mutex
		reports []bool // B's
	)
	slowUp := make(chan struct{})   // closed: the report of B up may go on
	inReport := make(chan struct{}) // closed: the report of B up began
	a, err := hostagent.New(hostagent.Config{HostPA: host2, Clock: clock, Dialer: dialer, Logger: slog.New(slog.DiscardHandler),
		OnHealth: func(v uint32, dip netip.Addr, up bool) {
			if dip != dipB || v != vni {
				return
			}
			if up {
				close(inReport)
				<-slowUp
			}
			mu.Lock()
			reports = append(reports, up)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(lb); err != nil {
		t.Fatal(err)
	}
	a.AwaitProbe(vni, dipB) // down until its probe passes

	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		clock.Advance(5 * time.Second)
		a.Tick(context.Background()) // B's probe passes: up
	}()
	<-inReport
	busy := make(chan struct{})
	go func() {
		defer close(busy)
		a.SetBusy(vni, dipB, true)
	}()
	// Out of order, SetBusy reports at once; in order, it waits for the
	// Tick's report (this timeout only bounds that wait).
	select {
	case <-busy:
	case <-time.After(100 * time.Millisecond):
	}
	close(slowUp)
	<-ticked
	<-busy
	mu.Lock()
	defer mu.Unlock()
	if want := []bool{false, true, false}; !cmp.Equal(reports, want) {
		t.Errorf("B reported %v, want %v (AwaitProbe, the probe, SetBusy)", reports, want)
	}
}
