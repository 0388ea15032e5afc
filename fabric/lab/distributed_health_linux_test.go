//go:build linux

package lab_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"os/exec"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// fastProbeObjects is examples/seed.yaml with its probe's threshold 1:
// a DIP changes state at the first probe (every 5 s) that disagrees.
func fastProbeObjects(t *testing.T) []model.Object {
	t.Helper()
	objs := seedObjects(t)
	for i, o := range objs {
		if o.Kind != model.KindLoadBalancer {
			continue
		}
		var spec map[string]any
		if err := json.Unmarshal(o.Spec, &spec); err != nil {
			t.Fatal(err)
		}
		for _, p := range spec["probes"].([]any) {
			p.(map[string]any)["probeThreshold"] = 1
		}
		data, err := json.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		objs[i].Spec = data
	}
	return objs
}

// hostHealth returns DIP dip's health as host reports it to the
// controller; false if it does not.
func hostHealth(t *testing.T, ctx context.Context, d *lab.Distributed, host string, dip netip.Addr) (model.DIPHealth, bool) {
	t.Helper()
	o, err := d.Client().Get(ctx, model.KindHost, host)
	if err != nil {
		t.Fatal(err)
	}
	var st model.HostStatus
	if len(o.Status) > 0 {
		if err := json.Unmarshal(o.Status, &st); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range st.Health {
		if h.DIP == dip {
			return h, true
		}
	}
	return model.DIPHealth{}, false
}

// waitHealth waits until host reports DIP dip's health to the controller
// and ok accepts it, and returns it; if ctx ends first, it calls stop (if
// not nil) and fails the test: host never reported what.
func waitHealth(t *testing.T, ctx context.Context, d *lab.Distributed, host string, dip netip.Addr, what string, ok func(model.DIPHealth) bool, stop func()) model.DIPHealth {
	t.Helper()
	for {
		if h, found := hostHealth(t, ctx, d, host, dip); found && ok(h) {
			return h
		}
		if ctx.Err() != nil {
			if stop != nil {
				stop()
			}
			t.Fatalf("%s never reported %s", host, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDistributedProbeFailure: portalvm2 stops serving (its namespace
// refuses TCP on port 80) while a client keeps opening connections
// through the VIP. host2's agent, a process of its own, sees its probe
// fail and reports it to the controller; mux1's agent, another process,
// takes portalvm2 out of rotation within the probe's interval x
// threshold of the stop, and no connection opened after that fails.
// Serving again while mux1 is cut off from the controller, portalvm2 is
// probed up but stays out of rotation at mux1, which keeps its last
// known health and forwards on; reconnected, mux1 puts it back.
func TestDistributedProbeFailure(t *testing.T) {
	needDistributed(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft (Debian package nftables) to stop a VM's server from outside its host's process")
	}
	d := upDistributed(t, "h", fastProbeObjects(t), lab.DistOptions{})
	// About 15 s; more when mux1's agent, reconnected, waits out its
	// watch's backoff (jittered, up to several seconds after a few
	// seconds cut off).
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	const url = "http://192.168.102.10/"
	const probeFor = 5 * time.Second // the seed's probe interval x threshold 1
	dip := netip.MustParseAddr("10.1.0.5")
	if seen := fetch(t, ctx, d, url, 16); len(seen) != 2 {
		t.Fatalf("served by %v, want both PortalVMs", seen)
	}

	loop := startRequests(ctx, d.HTTPClient("clientvm"), url, 20*time.Millisecond, 3*time.Second)
	stopped := time.Now()
	if err := d.SetServing("portalvm2", false); err != nil {
		loop.end()
		t.Fatal(err)
	}
	down := waitHealth(t, ctx, d, "host2", dip, "portalvm2 down", func(h model.DIPHealth) bool { return !h.Up }, func() { loop.end() })
	// Requests until the report has surely reached the Mux, and a while
	// longer.
	time.Sleep(3 * time.Second)
	attempts := between(loop.end(), stopped, time.Now())
	last := -1 // the last failed attempt
	for i, a := range attempts {
		if a.err != nil {
			last = i
		}
	}
	if last < 0 {
		t.Fatalf("no request failed in %d after portalvm2 stopped serving: the test proves nothing", len(attempts))
	}
	if last == len(attempts)-1 {
		t.Fatalf("the last of %d requests failed: %v", len(attempts), attempts[last].err)
	}
	out := attempts[last+1].start
	failures := 0
	for _, a := range attempts[:last+1] {
		if a.err != nil {
			failures++
		}
	}
	// Two seconds after host2's verdict (it takes tens of milliseconds;
	// the rest is for a loaded machine) the report has reached mux1: from
	// then on every connection succeeds, at portalvm1.
	after := between(attempts, down.Since.Add(2*time.Second), time.Now())
	if len(after) < 20 {
		t.Errorf("%d requests more than two seconds after host2's verdict, want 20 or more", len(after))
	}
	for _, a := range after {
		if a.err != nil || a.servedBy != "portalvm1" {
			t.Errorf("a request %s after host2's verdict: served by %q, %v", a.start.Sub(down.Since).Round(time.Millisecond), a.servedBy, a.err)
		}
	}
	// mux1 sent portalvm2 a new flow when the last failed request
	// started, and none from the next one on.
	t.Logf("portalvm2 stopped serving; host2's probe failed %s later; mux1 took it out of rotation between %s and %s after that (%s after the stop): %d of %d requests failed before, none of %d after",
		down.Since.Sub(stopped).Round(time.Millisecond), attempts[last].start.Sub(down.Since).Round(time.Millisecond),
		out.Sub(down.Since).Round(time.Millisecond), out.Sub(stopped).Round(time.Millisecond), failures, last+1, len(attempts)-last-1)
	if took := out.Sub(stopped); took > probeFor+2*time.Second {
		t.Errorf("mux1 took portalvm2 out of rotation %s after it stopped serving, want within the probe's %s (and two seconds)", took.Round(time.Millisecond), probeFor)
	}

	// mux1 cut off from the controller keeps what it last heard: while
	// portalvm2, serving again, is reported up, mux1 keeps it out of
	// rotation and every connection goes on at portalvm1; reconnected,
	// it learns and sends portalvm2 new flows again.
	if err := d.Partition(ctx, "mux1", true); err != nil {
		t.Fatal(err)
	}
	if err := d.SetServing("portalvm2", true); err != nil {
		t.Fatal(err)
	}
	up := waitHealth(t, ctx, d, "host2", dip, "portalvm2 up again", func(h model.DIPHealth) bool { return h.Up }, nil)
	if seen := fetch(t, ctx, d, url, 8); seen["portalvm1"] != 8 {
		t.Errorf("with mux1 cut off from the controller, served by %v, want portalvm1 alone", seen)
	}
	if err := d.Partition(ctx, "mux1", false); err != nil {
		t.Fatal(err)
	}
	took := waitServed(t, ctx, d, url, "portalvm2")
	t.Logf("serving again, portalvm2 was probed up %s after; with mux1 reconnected it was back in rotation %s later",
		up.Since.Sub(down.Since).Round(time.Millisecond), took.Round(time.Millisecond))
}

// TestDistributedNewDIPAwaitsProbe: portalvm2 leaves the pool, and a NIC
// added on host2 (a process of its own) joins it while a client keeps
// opening connections through the VIP: mux1, another process, holds the
// new DIP until host2's agent has made its VM and reported its first
// probe passed through the controller: portalvm3 serves no request sent
// before that, and no request fails. (With
// portalvm2 in the pool, host2's agent would give a flow sent too early
// to portalvm2.)
func TestDistributedNewDIPAwaitsProbe(t *testing.T) {
	needDistributed(t)
	d := upDistributed(t, "n", seedObjects(t), lab.DistOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	const url = "http://192.168.102.10/"
	nic, err := d.Client().Get(ctx, model.KindNetworkInterface, "portalvm2")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(nic.Spec, &spec); err != nil {
		t.Fatal(err)
	}
	delete(spec, "loadBalancerBackendPools")
	var eps []any
	for _, e := range spec["endpoints"].([]any) {
		if e.(map[string]any)["loadBalancer"] == nil {
			eps = append(eps, e)
		}
	}
	spec["endpoints"] = eps
	if nic.Spec, err = json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
	nic.Status, nic.Metadata.ResourceVersion = nil, ""
	if _, _, err := d.Client().Apply(ctx, []model.Object{nic}); err != nil {
		t.Fatal(err)
	}
	// host2 serves the VIP no more once its agent reports no probe.
	for {
		o, err := d.Client().Get(ctx, model.KindHost, "host2")
		if err != nil {
			t.Fatal(err)
		}
		var st model.HostStatus
		if json.Unmarshal(o.Status, &st) == nil && st.ObservedGeneration == o.Metadata.Generation && len(st.Probes) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("host2 still probes after portalvm2 left the pool: %s", o.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// And mux1 sends it none once reprogrammed (until then a flow it
	// sends host2 may fail).
	c := d.HTTPClient("clientvm")
	c.Timeout = time.Second
	for run := 0; run < 8; {
		if _, by, err := get(ctx, c, url); err == nil && by == "portalvm1" {
			run++
		} else {
			run = 0
		}
		if ctx.Err() != nil {
			t.Fatal("mux1 still sends flows to host2 after portalvm2 left the pool")
		}
	}

	vm3 := portalVM3(t, "host2")
	loop := startRequests(ctx, d.HTTPClient("clientvm"), url, 20*time.Millisecond, 3*time.Second)
	applied := time.Now()
	if _, _, err := d.Client().Apply(ctx, []model.Object{vm3}); err != nil {
		loop.end()
		t.Fatal(err)
	}
	up := waitHealth(t, ctx, d, "host2", netip.MustParseAddr("10.1.0.6"), "portalvm3 up", func(h model.DIPHealth) bool { return h.Up }, func() { loop.end() })
	for ctx.Err() == nil && loop.served()["portalvm3"] == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	attempts := loop.end()
	failed := 0
	for _, a := range attempts {
		if a.err != nil {
			failed++
			t.Errorf("a request %s after portalvm3 was applied failed: %v", a.start.Sub(applied).Round(time.Millisecond), a.err)
		}
		if a.servedBy == "portalvm3" && a.start.Before(up.Since) {
			t.Errorf("portalvm3 served a request sent %s before its first probe passed", up.Since.Sub(a.start).Round(time.Millisecond))
		}
	}
	served := loop.served()
	if served["portalvm3"] == 0 {
		t.Fatalf("portalvm3 never served (requests served by %v)", served)
	}
	t.Logf("portalvm3 applied; its first probe passed %s later; %d requests meanwhile, %d failed, served by %v",
		up.Since.Sub(applied).Round(time.Millisecond), len(attempts), failed, served)
}

// TestDistributedBusyFromInside: portalvm2 marks itself busy from inside
// its namespace, over HTTP to its host's WireServer (168.63.129.16, served
// by host2's agent, a process of its own, on its vswitch's host port):
// host2 reports it busy to the controller, and mux1, another process,
// takes it out of rotation; portalvm1 may not mark portalvm2 (its own host
// refuses it); ready, portalvm2 serves again.
func TestDistributedBusyFromInside(t *testing.T) {
	needDistributed(t)
	d := upDistributed(t, "w", seedObjects(t), lab.DistOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	const url = "http://192.168.102.10/"
	dip := netip.MustParseAddr("10.1.0.5")
	if seen := fetch(t, ctx, d, url, 16); len(seen) != 2 {
		t.Fatalf("served by %v, want both PortalVMs", seen)
	}
	vm2 := runtime.NewWireServerRotation(d.HTTPClient("portalvm2"))
	st, err := vm2.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Machine != "portalvm2" || st.Address != dip || st.Status != runtime.StatusReady || !st.InRotation {
		t.Errorf("portalvm2's status from inside: %+v", st)
	}

	busy := time.Now()
	if err := vm2.SetBusy(ctx, dip); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, ctx, d, "host2", dip, "portalvm2 busy to the controller", func(h model.DIPHealth) bool { return h.Busy && !h.Up }, nil)
	c := d.HTTPClient("clientvm")
	c.Timeout = 2 * time.Second
	for run := 0; run < 16; {
		_, by, err := get(ctx, c, url)
		switch {
		case ctx.Err() != nil:
			t.Fatalf("portalvm2 never left rotation at mux1 (last: %q, %v)", by, err)
		case err == nil && by == "portalvm1":
			run++
		default:
			run = 0
		}
	}
	t.Logf("16 requests in a row served by portalvm1 alone %s after portalvm2 marked itself busy", time.Since(busy).Round(time.Millisecond))

	var we *runtime.WireServerError
	vm1 := runtime.NewWireServerRotation(d.HTTPClient("portalvm1"))
	if err := vm1.SetReady(ctx, dip); !errors.As(err, &we) || we.Status != http.StatusForbidden {
		t.Errorf("portalvm1 marking portalvm2 ready: %v, want 403", err)
	}
	// Ready as the README shows it, with curl in portalvm2's namespace.
	if _, err := exec.LookPath("curl"); err != nil {
		if err := vm2.SetReady(ctx, dip); err != nil {
			t.Fatal(err)
		}
	} else {
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", d.Namespace("portalvm2"), "curl", "-sS", "--fail-with-body",
			"-X", "PUT", "-d", `{"status":"ready"}`, runtime.WireServerURL).CombinedOutput()
		if err != nil {
			t.Fatalf("curl in portalvm2's namespace: %v: %s", err, out)
		}
		t.Logf("curl: %s", out)
	}
	took := waitServed(t, ctx, d, url, "portalvm2")
	t.Logf("ready, portalvm2 served again %s later", took.Round(time.Millisecond))
}
