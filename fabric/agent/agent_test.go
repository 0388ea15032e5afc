package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/metrics"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
	"github.com/sdnfabric/sdnfabric/provision/jitter"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// seeded returns an in-process controller holding the seed topology.
func seeded(t *testing.T) *controller.Controller {
	t.Helper()
	st := memstore.New(memstore.Options{})
	t.Cleanup(func() { st.Close() })
	c, err := controller.New(controller.Config{Store: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	applySeed(t, c)
	return c
}

func applySeed(t *testing.T, b api.Backend) {
	t.Helper()
	data, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := model.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Apply(t.Context(), objs); err != nil {
		t.Fatal(err)
	}
}

// fakeHost records what it is programmed with and fails on demand.
type fakeHost struct {
	mu       sync.Mutex
	fail     int // fail this many more programmings
	attempts int
	slices   chan *agent.HostSlice
}

func newFakeHost() *fakeHost { return &fakeHost{slices: make(chan *agent.HostSlice, 100)} }

func (f *fakeHost) ProgramHost(_ context.Context, s *agent.HostSlice) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.fail > 0 {
		f.fail--
		return errors.New("switch busy")
	}
	f.slices <- s
	return nil
}

func (f *fakeHost) HostStatus(context.Context) (model.HostStatus, error) {
	return model.HostStatus{Ready: true, Counters: map[string]uint64{"vxlan.encap": 7}}, nil
}

func fastConfig(b api.Backend, name string) agent.Config {
	return agent.Config{Backend: b, Name: name, Logger: quiet, Settle: 5 * time.Millisecond,
		Backoff: jitter.FullJitter{Base: time.Millisecond, Cap: 20 * time.Millisecond}}
}

func run(t *testing.T, r interface{ Run(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})
}

func next(t *testing.T, ch <-chan *agent.HostSlice) *agent.HostSlice {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the node was not programmed")
		return nil
	}
}

func quietFor(t *testing.T, ch <-chan *agent.HostSlice, d time.Duration) {
	t.Helper()
	select {
	case s := <-ch:
		t.Fatalf("the node was reprogrammed by an unrelated change: generation %d", s.Generation)
	case <-time.After(d):
	}
}

// waitStatus waits until Host name's status satisfies ok.
func waitStatus(t *testing.T, b api.Backend, name string, ok func(model.HostStatus) bool) model.HostStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, err := b.Get(t.Context(), model.KindHost, name)
		if err != nil {
			t.Fatal(err)
		}
		var s model.HostStatus
		if len(o.Status) > 0 {
			json.Unmarshal(o.Status, &s)
			if ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("status of %s: %s", name, o.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHostAgent(t *testing.T) {
	c := seeded(t)
	node := newFakeHost()
	a, err := agent.NewHost(fastConfig(c, "host1"), node)
	if err != nil {
		t.Fatal(err)
	}
	run(t, a)

	s := next(t, node.slices)
	var nics []string
	for _, i := range s.Interfaces {
		nics = append(nics, i.Name)
	}
	if !slices.Equal(nics, []string{"portalvm1"}) {
		t.Errorf("host1's NICs %v, want [portalvm1]", nics)
	}
	var hostsOfVNet []string
	for _, m := range s.Mappings["portal-vnet"] {
		hostsOfVNet = append(hostsOfVNet, m.Host)
	}
	if !slices.Equal(hostsOfVNet, []string{"host1", "host2"}) {
		t.Errorf("portal-vnet mappings on hosts %v, want both hosts (remote CAs too)", hostsOfVNet)
	}
	if len(s.LoadBalancers) != 1 || s.LoadBalancers[0].Name != "portal" {
		t.Errorf("load balancers %+v, want portal", s.LoadBalancers)
	}
	st := waitStatus(t, c, "host1", func(s model.HostStatus) bool { return s.ObservedGeneration == 1 && s.Ready })
	if st.LastHeartbeat.IsZero() || st.Counters["vxlan.encap"] != 7 {
		t.Errorf("status %+v", st)
	}

	// A change outside the slice does not touch the node.
	if _, err := c.Delete(t.Context(), model.KindCatalog, "portal", 0); err != nil {
		t.Fatal(err)
	}
	quietFor(t, node.slices, 200*time.Millisecond)

	// A change of the host is programmed and its generation reported.
	h, _ := c.Get(t.Context(), model.KindHost, "host1")
	var spec map[string]any
	json.Unmarshal(h.Spec, &spec)
	spec["agentEndpoint"] = "192.168.100.21:8702"
	h.Spec, _ = json.Marshal(spec)
	if _, err := c.Update(t.Context(), h, 0); err != nil {
		t.Fatal(err)
	}
	if s := next(t, node.slices); s.Generation != 2 || s.Host.AgentEndpoint.Port() != 8702 {
		t.Errorf("reprogrammed with generation %d, endpoint %v", s.Generation, s.Host.AgentEndpoint)
	}
	waitStatus(t, c, "host1", func(s model.HostStatus) bool { return s.ObservedGeneration == 2 })
}

func TestHostAgentRetries(t *testing.T) {
	c := seeded(t)
	node := newFakeHost()
	node.fail = 1 << 30 // until the test lets it succeed
	cfg := fastConfig(c, "host2")
	reg := metrics.NewRegistry()
	cfg.Metrics = reg
	a, err := agent.NewHost(cfg, node)
	if err != nil {
		t.Fatal(err)
	}
	run(t, a)
	// The failure is reported in the status; nothing is observed yet.
	waitStatus(t, c, "host2", func(s model.HostStatus) bool {
		return strings.Contains(s.Message, "switch busy") && s.ObservedGeneration == 0
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		node.mu.Lock()
		attempts := node.attempts
		if attempts >= 3 {
			node.fail = 0
		}
		node.mu.Unlock()
		if attempts >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts: the agent does not retry", attempts)
		}
		time.Sleep(time.Millisecond)
	}
	s := next(t, node.slices)
	if s.Name != "host2" || len(s.Interfaces) != 1 || s.Interfaces[0].Name != "portalvm2" {
		t.Errorf("slice %+v", s)
	}
	waitStatus(t, c, "host2", func(s model.HostStatus) bool { return s.ObservedGeneration == 1 && s.Message == "" })
	var b strings.Builder
	reg.WriteText(&b)
	for _, want := range []string{`fabric_agent_programs_total{result="error"}`, `fabric_agent_programs_total{result="ok"} 1`,
		"fabric_agent_programmed_generation 1"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}

type fakeMux struct {
	slices chan *agent.MuxSlice
	health chan *agent.MuxSlice // SetMuxHealth's; nil: ProgramMux's
}

func (f *fakeMux) ProgramMux(_ context.Context, s *agent.MuxSlice) error { f.slices <- s; return nil }
func (f *fakeMux) SetMuxHealth(_ context.Context, s *agent.MuxSlice) error {
	if f.health == nil {
		f.slices <- s
		return nil
	}
	f.health <- s
	return nil
}
func (f *fakeMux) MuxStatus(context.Context) (model.MuxStatus, error) {
	return model.MuxStatus{Message: "ok"}, nil
}

type fakeGateway struct{ slices chan *agent.GatewaySlice }

func (f *fakeGateway) ProgramGateway(_ context.Context, s *agent.GatewaySlice) error {
	f.slices <- s
	return nil
}
func (f *fakeGateway) GatewayStatus(context.Context) (model.GatewayStatus, error) {
	return model.GatewayStatus{NATSessions: 3}, nil
}

func TestMuxAndGatewayAgents(t *testing.T) {
	c := seeded(t)
	mux := &fakeMux{slices: make(chan *agent.MuxSlice, 10)}
	gw := &fakeGateway{make(chan *agent.GatewaySlice, 10)}
	ma, err := agent.NewMux(fastConfig(c, "mux1"), mux)
	if err != nil {
		t.Fatal(err)
	}
	ga, err := agent.NewGateway(fastConfig(c, "natvm"), gw)
	if err != nil {
		t.Fatal(err)
	}
	run(t, ma)
	run(t, ga)
	select {
	case s := <-mux.slices:
		if len(s.LoadBalancers) != 1 || s.LoadBalancers[0].Name != "portal" || s.Mux.ASN == 0 {
			t.Errorf("mux slice %+v", s)
		}
		if len(s.LoadBalancers[0].BackendAddressPools) == 0 || len(s.LoadBalancers[0].BackendAddressPools[0].Backends) != 2 {
			t.Errorf("mux pools not resolved: %+v", s.LoadBalancers[0].BackendAddressPools)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mux not programmed")
	}
	select {
	case s := <-gw.slices:
		if s.Name != "natvm" || len(s.Gateway.Interfaces) == 0 {
			t.Errorf("gateway slice %+v", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("gateway not programmed")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, _ := c.Get(t.Context(), model.KindGateway, "natvm")
		var s model.GatewayStatus
		json.Unmarshal(o.Status, &s)
		if s.NATSessions == 3 && s.ObservedGeneration == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway status %s", o.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAgentSurvivesControllerRestart runs the agent over HTTP against a
// controller process that stops and restarts on the same bolt file and
// address: the node keeps its state while the controller is away, and
// the agent resumes and picks up the next change.
func TestAgentSurvivesControllerRestart(t *testing.T) {
	dir := t.TempDir()
	start := func(listen string) (string, context.CancelFunc, chan error) {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- controller.Run(ctx, controller.Options{DataDir: dir, Listen: listen, Logger: quiet,
				Ready: func(url string) { ready <- url }})
		}()
		select {
		case url := <-ready:
			return url, cancel, done
		case err := <-done:
			t.Fatalf("controller: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("controller did not start")
		}
		return "", nil, nil
	}
	url, stop, done := start("127.0.0.1:0")
	token, err := api.ReadToken(dir + "/" + api.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	client, err := api.NewClient(url, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	applySeed(t, client)
	node := newFakeHost()
	a, err := agent.NewHost(fastConfig(client, "host1"), node)
	if err != nil {
		t.Fatal(err)
	}
	run(t, a)
	next(t, node.slices)

	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	quietFor(t, node.slices, 100*time.Millisecond) // cut off: keeps its state

	_, stop, done = start(url[len("http://"):])
	t.Cleanup(func() { stop(); <-done })
	h, err := client.Get(t.Context(), model.KindHost, "host1")
	if err != nil {
		t.Fatal(err)
	}
	h.Metadata.Labels = map[string]string{"rack": "r2"} // not part of the slice
	var spec map[string]any
	json.Unmarshal(h.Spec, &spec)
	spec["agentEndpoint"] = "192.168.100.21:9000"
	h.Spec, _ = json.Marshal(spec)
	if _, err := client.Update(t.Context(), h, 0); err != nil {
		t.Fatal(err)
	}
	if s := next(t, node.slices); s.Host.AgentEndpoint.Port() != 9000 {
		t.Errorf("after the restart the agent programmed %v", s.Host.AgentEndpoint)
	}
}
