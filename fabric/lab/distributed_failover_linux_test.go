//go:build linux

package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// desiredSpecs is the desired state of a distributed lab: every resource's
// kind, name, generation and spec (statuses and events change with the
// agents' heartbeats).
func desiredSpecs(t *testing.T, ctx context.Context, d *lab.Distributed) map[string]string {
	t.Helper()
	objs, _, err := d.Client().List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range objs {
		if o.Kind != model.KindEvent {
			out[string(o.Kind)+"/"+o.Metadata.Name] = fmt.Sprintf("%d %s", o.Metadata.Generation, o.Spec)
		}
	}
	return out
}

// addInboundNAT adds, in one batch, an inbound NAT rule to the portal
// load balancer (port on the VIP to port 80 of portalvm2) and the Input
// endpoint it needs on portalvm2's NIC. The vNIC's ACL admits port 80
// already; the rule needs the Mux and portalvm2's host to learn it.
func addInboundNAT(t *testing.T, ctx context.Context, d *lab.Distributed, port int) {
	t.Helper()
	edit := func(kind model.Kind, name, field string, add map[string]any) model.Object {
		o, err := d.Client().Get(ctx, kind, name)
		if err != nil {
			t.Fatal(err)
		}
		var spec map[string]any
		if err := json.Unmarshal(o.Spec, &spec); err != nil {
			t.Fatal(err)
		}
		list, _ := spec[field].([]any)
		spec[field] = append(list, add)
		if o.Spec, err = json.Marshal(spec); err != nil {
			t.Fatal(err)
		}
		o.Status, o.Metadata.ResourceVersion = nil, ""
		return o
	}
	name := fmt.Sprintf("nat-%d", port)
	objs := []model.Object{
		edit(model.KindNetworkInterface, "portalvm2", "endpoints", map[string]any{"name": name, "type": "Input", "protocol": "Tcp",
			"port": 80, "publicPort": port, "loadBalancer": "portal"}),
		edit(model.KindLoadBalancer, "portal", "inboundNatRules", map[string]any{"name": name, "frontend": "portal-fe",
			"backendPool": "portal-pool", "protocol": "Tcp", "frontendPort": port, "dip": "10.1.0.5", "backendPort": 80}),
	}
	if _, _, err := d.Client().Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
}

// waitServed fetches url from the client until it is served by want.
func waitServed(t *testing.T, ctx context.Context, d *lab.Distributed, url, want string) time.Duration {
	t.Helper()
	start := time.Now()
	c := d.HTTPClient("clientvm")
	c.Timeout = time.Second
	var last string
	for ctx.Err() == nil {
		_, by, err := get(ctx, c, url)
		if err == nil && by == want {
			return time.Since(start)
		}
		last = fmt.Sprint(by, err)
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never served by %s (last: %s)", url, want, last)
	return 0
}

// TestDistributedEtcdRestart kills the etcd member (SIGKILL) and starts it
// again on its data: the desired state is identical afterwards, the data
// plane served throughout, and a change made afterwards reaches the Mux
// and host agents (through the controller's new watches on etcd).
func TestDistributedEtcdRestart(t *testing.T) {
	needDistributed(t)
	d := upDistributed(t, "b", seedObjects(t), lab.DistOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	before := desiredSpecs(t, ctx, d)
	if err := d.RestartEtcd(ctx); err != nil {
		t.Fatal(err)
	}
	fetch(t, ctx, d, "http://192.168.102.10/", 8)
	var after map[string]string
	for {
		if _, _, err := d.Client().List(ctx, ""); err == nil {
			after = desiredSpecs(t, ctx, d)
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the controller does not answer after the etcd restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("desired state changed across the etcd restart (-before +after):\n%s", diff)
	}
	addInboundNAT(t, ctx, d, 8081)
	took := waitServed(t, ctx, d, "http://192.168.102.10:8081/", "portalvm2")
	t.Logf("%d resources identical after the etcd restart; a new inbound NAT rule served after %s", len(after), took.Round(time.Millisecond))
}

// TestDistributedPartitionedAgent cuts host2's management link: its agent
// loses the controller, its data plane keeps forwarding (requests through
// the VIP still reach portalvm2), and an inbound NAT rule to portalvm2
// added meanwhile is applied once the link is back.
func TestDistributedPartitionedAgent(t *testing.T) {
	needDistributed(t)
	d := upDistributed(t, "c", seedObjects(t), lab.DistOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if err := d.Partition(ctx, "host2", true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the agent's watch is broken by now
	seen := fetch(t, ctx, d, "http://192.168.102.10/", 16)
	if seen["portalvm2"] == 0 {
		t.Errorf("served by %v while host2 is cut off, want portalvm2 too", seen)
	}
	addInboundNAT(t, ctx, d, 8082)
	c := d.HTTPClient("clientvm")
	c.Timeout = time.Second
	_, by, err := get(ctx, c, "http://192.168.102.10:8082/")
	if err == nil {
		t.Errorf("VIP:8082 served by %s while host2 was cut off from the controller", by)
	}
	t.Logf("while host2 is cut off: port 80 served by %v; the new rule is not served yet (%v)", seen, err)
	time.Sleep(2 * time.Second)
	if err := d.Partition(ctx, "host2", false); err != nil {
		t.Fatal(err)
	}
	took := waitServed(t, ctx, d, "http://192.168.102.10:8082/", "portalvm2")
	t.Logf("reconnected: the rule added while host2 was cut off is served after %s", took.Round(time.Millisecond))
}

// twoMuxObjects is examples/seed.yaml with a second Mux, mux2, peering
// with the BGPVM.
func twoMuxObjects(t *testing.T) []model.Object {
	t.Helper()
	objs := seedObjects(t)
	for i, o := range slices.Clone(objs) {
		switch {
		case o.Kind == model.KindMux && o.Metadata.Name == "mux1":
			m2 := o
			m2.Metadata.Name = "mux2"
			m2.Spec = []byte(strings.NewReplacer("192.168.100.10", "192.168.100.11", "02:5d:00:64:00:0a", "02:5d:00:64:00:0b").Replace(string(o.Spec)))
			objs = append(objs, m2)
		case o.Kind == model.KindGateway && o.Metadata.Name == "bgpvm":
			var spec map[string]any
			if err := json.Unmarshal(o.Spec, &spec); err != nil {
				t.Fatal(err)
			}
			b := spec["bgp"].(map[string]any)
			b["peers"] = append(b["peers"].([]any), map[string]any{"name": "mux2", "address": "192.168.100.11", "asn": 64513, "mux": "mux2"})
			data, err := json.Marshal(spec)
			if err != nil {
				t.Fatal(err)
			}
			objs[i].Spec = data
		}
	}
	return objs
}

// TestDistributedMuxKill is failover scenario 1: two Mux processes
// announce the VIP, BIRD spreads flows over both by ECMP; one Mux process
// is killed (SIGKILL) while a client keeps opening connections and holds
// keep-alive ones. BFD (the lab's default, 100 ms x 3, between BIRD and
// the Muxes' userspace stacks) withdraws the dead Mux's route within a
// few hundred milliseconds, long before the 3 s hold timer; new requests
// succeed after that, and every established connection, including those
// the dead Mux carried, goes on through the survivor to the same PortalVM
// (both Muxes pick the same DIP).
func TestDistributedMuxKill(t *testing.T) {
	needDistributed(t)
	if _, err := exec.LookPath("bird"); err != nil {
		t.Skip("needs BIRD 2 (bird) as the router")
	}
	d := upDistributed(t, "d", twoMuxObjects(t), lab.DistOptions{Router: lab.RouterBIRD, HoldTime: 3 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	waitRoute := func(what string, ok func(string) bool) (string, time.Time) {
		t.Helper()
		return waitVIPRoute(ctx, t, d, what, ok)
	}
	r, _ := waitRoute("both Muxes", func(r string) bool {
		return strings.Contains(r, "via 192.168.100.10") && strings.Contains(r, "via 192.168.100.11")
	})
	t.Logf("ECMP route:\n%s", r)
	// BFD Up on both sessions (it starts once BGP is Established).
	for {
		out, err := d.BIRDBFDSessions(ctx, "bgpvm")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(out, " Up ") == 2 {
			t.Logf("BIRD's BFD sessions:\n%s", out)
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("BIRD's BFD sessions are not both Up:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}

	kept, first := keepConns(t, 16, func() (net.Conn, error) {
		return d.DialContext(ctx, "clientvm", "tcp4", "192.168.102.10:80")
	})

	// Both Muxes carry some of them (their agents report their flows).
	for _, m := range []string{"mux1", "mux2"} {
		for {
			o, err := d.Client().Get(ctx, model.KindMux, m)
			if err != nil {
				t.Fatal(err)
			}
			var st model.MuxStatus
			if len(o.Status) > 0 && json.Unmarshal(o.Status, &st) == nil && st.Counters["flowNew"] > 0 {
				t.Logf("%s: %d new flows before the kill", m, st.Counters["flowNew"])
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s reports no flow: the kernel did not spread the connections", m)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	loop, killed, withdrawn := killMux1(ctx, t, d)
	if protos, err := d.BIRDProtocols(ctx, "bgpvm"); err == nil {
		for _, line := range strings.Split(protos, "\n") {
			if strings.HasPrefix(line, "peer0 ") {
				t.Logf("BIRD: %s", line)
				if !strings.Contains(line, "BFD session down") {
					t.Errorf("mux1's session did not end by BFD: %s", line)
				}
			}
		}
	}
	time.Sleep(time.Second)
	checkFailover(t, loop(), killed, withdrawn)

	moved := 0
	for _, k := range kept {
		by, err := k.get()
		if err != nil {
			t.Fatalf("an established connection broke when mux1 was killed: %v", err)
		}
		if by != first[k] {
			t.Errorf("a connection moved from %s to %s", first[k], by)
		}
		moved++
	}
	t.Logf("%d established connections carried on to the same PortalVM", moved)

	// mux1's agent again, in the namespace its killed process left (the
	// bridge of its uplink is replaced); then a clean stop of mux2
	// (SIGTERM): it withdraws its VIP before it exits, well within the
	// hold time.
	if err := d.RestartAgent("mux1"); err != nil {
		t.Fatal(err)
	}
	waitRoute("both Muxes again", func(r string) bool {
		return strings.Contains(r, "via 192.168.100.10") && strings.Contains(r, "via 192.168.100.11")
	})
	loop = startClientLoop(ctx, d)
	time.Sleep(300 * time.Millisecond)
	signalled := time.Now()
	if err := d.Stop("mux2"); err != nil {
		t.Fatal(err)
	}
	_, gone := waitRoute("mux1 only", func(r string) bool {
		return strings.Contains(r, "via 192.168.100.10") && !strings.Contains(r, "192.168.100.11")
	})
	time.Sleep(500 * time.Millisecond)
	failed := 0
	results := loop()
	for _, x := range results {
		if x.err != nil {
			failed++
		}
	}
	t.Logf("mux2 stopped by SIGTERM: route withdrawn %d ms after the signal; %d of %d requests failed", gone.Sub(signalled).Milliseconds(), failed, len(results))
	// Its session ended by a NOTIFICATION (Cease) after the withdraw,
	// not by BIRD's hold timer as for the killed mux1.
	protos, err := d.BIRDProtocols(ctx, "bgpvm")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(protos, "\n") {
		if strings.HasPrefix(line, "peer1 ") {
			t.Logf("BIRD: %s", line)
			if !strings.Contains(line, "Administrative shutdown") {
				t.Errorf("mux2's session did not end by its clean stop (Cease, administrative shutdown): %s", line)
			}
		}
	}
}

// result is one request of a client loop.
type result struct {
	start, end time.Time
	err        error
}

// startClientLoop fetches the VIP from the client's namespace, a new
// connection per request, 500 ms each at most, until the returned function
// is called; that returns the results.
func startClientLoop(ctx context.Context, d *lab.Distributed) func() []result {
	var (
		mu      sync.Mutex
		results []result
	)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		c := d.HTTPClient("clientvm")
		c.Timeout = 500 * time.Millisecond
		for ctx.Err() == nil {
			s := time.Now()
			_, _, err := get(ctx, c, "http://192.168.102.10/")
			if ctx.Err() != nil {
				return
			}
			mu.Lock()
			results = append(results, result{s, time.Now(), err})
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	})
	return func() []result {
		cancel()
		wg.Wait()
		return results
	}
}

// killMux1 starts a client loop, kills mux1 (SIGKILL) half a second
// later and waits until the router's route to the VIP is through mux2
// alone. It returns the loop's end and when mux1 was killed and its
// route withdrawn.
func killMux1(ctx context.Context, t *testing.T, d *lab.Distributed) (loop func() []result, killed, withdrawn time.Time) {
	t.Helper()
	loop = startClientLoop(ctx, d)
	time.Sleep(500 * time.Millisecond)
	killed = time.Now()
	if err := d.Kill("mux1"); err != nil {
		t.Fatal(err)
	}
	r, withdrawn := waitVIPRoute(ctx, t, d, "mux2 only", func(r string) bool {
		return strings.Contains(r, "via 192.168.100.11") && !strings.Contains(r, "192.168.100.10")
	})
	t.Logf("after mux1 was killed, in %s:\n%s", withdrawn.Sub(killed).Round(time.Millisecond), r)
	return loop, killed, withdrawn
}

// waitVIPRoute polls bgpvm's kernel route to the seed's VIP until ok
// accepts it, and returns it and when it was seen.
func waitVIPRoute(ctx context.Context, t *testing.T, d *lab.Distributed, what string, ok func(string) bool) (string, time.Time) {
	t.Helper()
	vip := netip.MustParsePrefix("192.168.102.10/32")
	for {
		routes, err := d.Routes(ctx, "bgpvm", vip)
		if err != nil {
			t.Fatal(err)
		}
		if ok(routes) {
			return routes, time.Now()
		}
		if ctx.Err() != nil {
			t.Fatalf("bgpvm's route to the VIP: %q, want %s", routes, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkFailover judges a client loop's results around a Mux killed at
// killed whose route was withdrawn at withdrawn: no request fails before
// the kill, none started after the withdraw fails; it logs how many
// failed in between and the interruption.
func checkFailover(t *testing.T, results []result, killed, withdrawn time.Time) {
	t.Helper()
	var failed, total int
	var lastFail, lastFailStart time.Time
	for _, x := range results {
		if !x.start.After(killed) && !x.end.After(killed) {
			if x.err != nil {
				t.Errorf("a request failed before the kill: %v", x.err)
			}
			continue
		}
		total++
		if x.err != nil {
			failed++
			lastFail, lastFailStart = x.end, x.start
			if x.start.After(withdrawn) {
				t.Errorf("a request started %s after the withdraw failed: %v", x.start.Sub(withdrawn).Round(time.Millisecond), x.err)
			}
		}
	}
	interruption, window := time.Duration(0), time.Duration(0)
	if failed > 0 {
		interruption, window = lastFail.Sub(killed), lastFailStart.Sub(killed)
	}
	t.Logf("failover: route withdrawn %d ms after the kill; %d of %d new requests failed; interruption %d ms (kill to the end of the last failed request, which waits out the client's 500 ms timeout); the last failed request started %d ms after the kill",
		withdrawn.Sub(killed).Milliseconds(), failed, total, interruption.Milliseconds(), window.Milliseconds())
}
