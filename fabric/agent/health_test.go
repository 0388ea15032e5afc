package agent_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

var (
	portalvm1 = netip.MustParseAddr("10.1.0.4") // on host1 in the seed
	portalvm2 = netip.MustParseAddr("10.1.0.5") // on host2
)

// portalVNI is the seed's portal-vnet.
const portalVNI = 5001

// inPortal is dip in the portal's virtual network.
func inPortal(dip netip.Addr) agent.DIP { return agent.DIP{VNI: portalVNI, Addr: dip} }

// healthHost is a host whose DIP portalvm1 is up or down as the test says.
type healthHost struct {
	up         atomic.Bool
	programmed chan struct{}
}

func (h *healthHost) ProgramHost(context.Context, *agent.HostSlice) error {
	select {
	case h.programmed <- struct{}{}:
	default:
	}
	return nil
}

func (h *healthHost) HostStatus(context.Context) (model.HostStatus, error) {
	return model.HostStatus{Ready: true, Health: []model.DIPHealth{{VNI: portalVNI, DIP: portalvm1, Up: h.up.Load()}}}, nil
}

// countingBackend counts status writes.
type countingBackend struct {
	api.Backend
	writes atomic.Int64
}

func (b *countingBackend) UpdateStatus(ctx context.Context, o model.Object, v int64) (model.Object, error) {
	b.writes.Add(1)
	return b.Backend.UpdateStatus(ctx, o, v)
}

// TestHostReportStatusCoalesces: a host whose DIP flaps as fast as it can
// asks for a report at each change (ReportStatus), and the agent writes
// its status at most once per StatusMinInterval; the first change after
// a quiet spell is written at once, and the last one always is.
func TestHostReportStatusCoalesces(t *testing.T) {
	c := seeded(t)
	b := &countingBackend{Backend: c}
	node := &healthHost{programmed: make(chan struct{}, 1)}
	node.up.Store(true)
	cfg := fastConfig(b, "host1")
	cfg.StatusInterval = time.Hour // no heartbeat: only the changes write
	// Long enough that "at once" (within half of it) holds on a loaded
	// machine under the race detector.
	const minInterval = time.Second
	cfg.StatusMinInterval = minInterval
	a, err := agent.NewHost(cfg, node)
	if err != nil {
		t.Fatal(err)
	}
	a.ReportStatus() // before the first programming: its report has it
	run(t, a)
	<-node.programmed
	upIs := func(want bool) func(model.HostStatus) bool {
		return func(s model.HostStatus) bool { return len(s.Health) == 1 && s.Health[0].Up == want }
	}
	waitStatus(t, c, "host1", upIs(true))
	time.Sleep(minInterval) // a quiet spell

	before := b.writes.Load()
	start := time.Now()
	node.up.Store(false)
	a.ReportStatus()
	waitStatus(t, c, "host1", upIs(false))
	if d := time.Since(start); d > minInterval/2 {
		t.Errorf("the first change was written after %s, want at once", d)
	}

	const flapping = 600 * time.Millisecond
	start = time.Now()
	calls := 0
	for time.Since(start) < flapping {
		node.up.Store(calls%2 == 0)
		a.ReportStatus()
		calls++
	}
	node.up.Store(true)
	a.ReportStatus()
	waitStatus(t, c, "host1", upIs(true))
	writes := b.writes.Load() - before
	// The first at once, then one per interval, and the last.
	if limit := int64(time.Since(start)/minInterval) + 2; writes > limit {
		t.Errorf("%d status writes for %d changes in %s, want at most %d", writes, calls, time.Since(start).Round(time.Millisecond), limit)
	}
	t.Logf("%d changes in %s: %d status writes", calls, flapping, writes)
}

// fakeMuxHealth returns a Mux that records its programmings and health
// changes apart.
func fakeMuxHealth() *fakeMux {
	return &fakeMux{slices: make(chan *agent.MuxSlice, 10), health: make(chan *agent.MuxSlice, 10)}
}

func nextMux(t *testing.T, ch <-chan *agent.MuxSlice, what string) *agent.MuxSlice {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
		return nil
	}
}

// setHealth writes host's status with health, as its agent would.
func setHealth(t *testing.T, b api.Backend, host string, health ...model.DIPHealth) {
	t.Helper()
	raw, err := json.Marshal(model.HostStatus{Health: health})
	if err != nil {
		t.Fatal(err)
	}
	o := model.Object{APIVersion: model.APIVersion, Kind: model.KindHost, Metadata: model.Metadata{Name: host}, Status: raw}
	if _, err := b.UpdateStatus(t.Context(), o, 0); err != nil {
		t.Fatal(err)
	}
}

// TestMuxSliceHealth: a Mux's slice carries its DIPs' health as their
// hosts report it, each from the host the controller has the DIP on (a
// report of portalvm1 by host2 does not count) and in its virtual network
// (one of portalvm1's address in another VNI does not), busy as down; a DIP no
// host reported is absent. A later report reaches the Mux through
// SetMuxHealth, not a programming, and the Mux agent writes no status
// for it.
func TestMuxSliceHealth(t *testing.T) {
	c := seeded(t)
	// host1 also has a VM of portalvm1's address in another tenant's
	// virtual network, which no pool of the Mux has: it does not count.
	setHealth(t, c, "host1", model.DIPHealth{VNI: portalVNI, DIP: portalvm1, Up: false},
		model.DIPHealth{VNI: 6001, DIP: portalvm1, Up: true})
	setHealth(t, c, "host2", model.DIPHealth{VNI: portalVNI, DIP: portalvm1, Up: true}) // stale: portalvm1 is on host1
	mux := fakeMuxHealth()
	cfg := fastConfig(c, "mux1")
	cfg.StatusInterval = time.Hour
	a, err := agent.NewMux(cfg, mux)
	if err != nil {
		t.Fatal(err)
	}
	run(t, a)
	s := nextMux(t, mux.slices, "programming")
	if diff := cmp.Diff(map[agent.DIP]bool{inPortal(portalvm1): false}, s.Health); diff != "" {
		t.Errorf("health (-want +got):\n%s", diff)
	}
	var programmed model.Object
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if programmed, err = c.Get(t.Context(), model.KindMux, "mux1"); err != nil {
			t.Fatal(err)
		}
		if len(programmed.Status) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Mux's status was never written")
		}
	}

	setHealth(t, c, "host2", model.DIPHealth{VNI: portalVNI, DIP: portalvm2, Up: true, Busy: true})
	s = nextMux(t, mux.health, "health change")
	if diff := cmp.Diff(map[agent.DIP]bool{inPortal(portalvm1): false, inPortal(portalvm2): false}, s.Health); diff != "" {
		t.Errorf("health (-want +got):\n%s", diff)
	}
	setHealth(t, c, "host1", model.DIPHealth{VNI: portalVNI, DIP: portalvm1, Up: true})
	s = nextMux(t, mux.health, "health change")
	if diff := cmp.Diff(map[agent.DIP]bool{inPortal(portalvm1): true, inPortal(portalvm2): false}, s.Health); diff != "" {
		t.Errorf("health (-want +got):\n%s", diff)
	}
	select {
	case s := <-mux.slices:
		t.Errorf("a health change reprogrammed the Mux: %+v", s)
	default:
	}
	o, err := c.Get(t.Context(), model.KindMux, "mux1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Metadata.ResourceVersion != programmed.Metadata.ResourceVersion {
		t.Errorf("the Mux's status was written for a health change: %s", o.Status)
	}

	// portalvm1 moves to host2: host1's report no longer counts, and
	// host2 has not reported it.
	nic, err := c.Get(t.Context(), model.KindNetworkInterface, "portalvm1")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(nic.Spec, &spec); err != nil {
		t.Fatal(err)
	}
	spec["host"] = "host2"
	nic.Spec, _ = json.Marshal(spec)
	nic.Metadata.ResourceVersion = ""
	if _, err := c.Update(t.Context(), nic, 0); err != nil {
		t.Fatal(err)
	}
	s = nextMux(t, mux.slices, "programming after the move")
	if diff := cmp.Diff(map[agent.DIP]bool{inPortal(portalvm2): false}, s.Health); diff != "" {
		t.Errorf("health after the move (-want +got):\n%s", diff)
	}
}

// TestHostHealthValidated: the controller refuses a host's status whose
// health does not decode, or names no virtual network, so no Mux reads
// it.
func TestHostHealthValidated(t *testing.T) {
	c := seeded(t)
	for status, field := range map[string]string{
		`{"health":[{"vni":5001,"dip":"not an address","up":true}]}`: "status.health[0].dip",
		`{"health":[{"dip":"10.1.0.4","up":true}]}`:                  "status.health[0].vni",
	} {
		o := model.Object{APIVersion: model.APIVersion, Kind: model.KindHost, Metadata: model.Metadata{Name: "host1"},
			Status: json.RawMessage(status)}
		_, err := c.UpdateStatus(t.Context(), o, 0)
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("UpdateStatus with %s: %v, want an error naming %s", status, err, field)
		}
	}
}
