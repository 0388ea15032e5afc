//go:build linux

package lab_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// controllerProcess is the controller in a process of its own: the test
// binary re-executed (see TestMain) on a bolt file in dir.
type controllerProcess struct {
	cmd *exec.Cmd
	url string
}

func startController(t *testing.T, dir, listen string) *controllerProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), controllerEnv+"="+dir+" "+listen)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &controllerProcess{cmd: cmd}
	t.Cleanup(c.kill)
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- url
			}
		}
		close(ready)
	}()
	select {
	case url, ok := <-ready:
		if !ok {
			t.Fatal("the controller exited before serving")
		}
		c.url = url
	case <-time.After(20 * time.Second):
		t.Fatal("the controller did not start")
	}
	return c
}

// kill ends the process with SIGKILL, as a crash would, and reaps it.
func (c *controllerProcess) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		_ = c.cmd.Wait()
	}
}

// freeAddr returns a loopback address with a port nobody listens on, so
// that a restarted controller serves where its agents look for it.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// desired is the store's desired state as the controller lists it: every
// resource but the event log, without the status the agents write and the
// resource versions their status writes move on.
func desired(t *testing.T, c *api.Client) []model.Object {
	t.Helper()
	objs, _, err := c.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []model.Object
	for _, o := range objs {
		if o.Kind == model.KindEvent {
			continue
		}
		o.Status, o.Metadata.ResourceVersion = nil, ""
		out = append(out, o)
	}
	return out
}

// heartbeats returns the LastHeartbeat of every Host, Mux and Gateway
// status, by "kind/name".
func heartbeats(t *testing.T, c *api.Client) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, kind := range []model.Kind{model.KindHost, model.KindMux, model.KindGateway} {
		objs, _, err := c.List(t.Context(), kind)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			var s struct {
				ObservedGeneration int64     `json:"observedGeneration"`
				LastHeartbeat      time.Time `json:"lastHeartbeat"`
			}
			if len(o.Status) > 0 && json.Unmarshal(o.Status, &s) == nil && s.ObservedGeneration == o.Metadata.Generation {
				out[string(kind)+"/"+o.Metadata.Name] = s.LastHeartbeat
			}
		}
	}
	return out
}

func eventually(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFailoverController is failover scenario 4 (issue 11): the
// controller runs as a process of its own on a bolt file, the lab's
// agents reach it over its REST API, and a client loop opens a new
// connection to the VIP every 20 ms. The controller is killed (SIGKILL):
// every request still succeeds while it is down, the data plane keeping
// its last programming. Restarted on the same file, it holds the same
// desired state; every agent lists and watches it again and writes its
// node's status anew, and a change applied after the restart (the inbound
// NAT rule moving from port 8080 to 8081) reaches the data plane.
func TestFailoverController(t *testing.T) {
	needLab(t)
	p := prefix(t, "ffctl")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir, listen := t.TempDir(), freeAddr(t)
	ctl := startController(t, dir, listen)
	token, err := api.LoadOrCreateToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	client, err := api.NewClient(ctl.url, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	topo := applySeed(ctx, t, client)
	l := upWithAgents(ctx, t, topo, lab.Options{Prefix: p}, client) // agents stop before the controller is killed
	nodes := len(topo.Hosts) + len(topo.Muxes) + len(topo.Gateways)
	eventually(t, "every node programmed", 10*time.Second, func() bool { return len(heartbeats(t, client)) == nodes })

	vip := "http://" + l.Runtime().VIPs()[0].String()
	loop := startRequests(ctx, l.HTTPClient("clientvm"), vip+"/", 20*time.Millisecond, 5*time.Second)
	t.Cleanup(func() { loop.end() })
	time.Sleep(300 * time.Millisecond)

	before := desired(t, client)
	killed := time.Now()
	ctl.kill()
	time.Sleep(2 * time.Second) // the agents' watches break; they retry
	restarted := time.Now()
	ctl = startController(t, dir, listen)
	t.Logf("controller killed (SIGKILL), restarted after %s", time.Since(killed).Round(time.Millisecond))

	// The store is as it was: the desired state, status aside.
	if d := cmp.Diff(before, desired(t, client)); d != "" {
		t.Errorf("desired state changed across the kill (-before +after):\n%s", d)
	}
	// Every agent resyncs: its node's status is written again.
	eventually(t, "every node's status written after the restart", 10*time.Second, func() bool {
		hb := heartbeats(t, client)
		for _, at := range hb {
			if at.Before(restarted) {
				return false
			}
		}
		return len(hb) == nodes
	})
	resynced := time.Now()

	// A change after the restart reaches the data plane.
	lb, err := client.Get(ctx, model.KindLoadBalancer, "portal")
	if err != nil {
		t.Fatal(err)
	}
	nic, err := client.Get(ctx, model.KindNetworkInterface, "portalvm1")
	if err != nil {
		t.Fatal(err)
	}
	var lbSpec model.LoadBalancerSpec
	var nicSpec model.NetworkInterfaceSpec
	if json.Unmarshal(lb.Spec, &lbSpec) != nil || json.Unmarshal(nic.Spec, &nicSpec) != nil {
		t.Fatal("specs do not decode")
	}
	lbSpec.InboundNatRules[0].FrontendPort = 8081
	for i := range nicSpec.Endpoints {
		if nicSpec.Endpoints[i].PublicPort == 8080 {
			nicSpec.Endpoints[i].PublicPort = 8081
		}
	}
	if lb.SetSpec(&lbSpec) != nil || nic.SetSpec(&nicSpec) != nil {
		t.Fatal("specs do not encode")
	}
	lb.Status, nic.Status = nil, nil
	if _, _, err := client.Apply(ctx, []model.Object{lb, nic}); err != nil {
		t.Fatal(err)
	}
	direct := l.HTTPClient("clientvm")
	eventually(t, "VIP:8081 answers after the restart", 10*time.Second, func() bool {
		rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer rcancel()
		_, by, err := get(rctx, direct, vip+":8081/")
		return err == nil && by == "portalvm1"
	})
	t.Logf("agents resynced %s after the restart; the change applied after it reached the data plane within %s",
		resynced.Sub(restarted).Round(time.Millisecond), time.Since(resynced).Round(time.Millisecond))

	all := loop.end()
	down := between(all, killed, restarted)
	var failed []string
	for _, a := range all {
		if a.err != nil {
			failed = append(failed, a.start.Sub(killed).Round(time.Millisecond).String()+": "+a.err.Error())
		}
	}
	t.Logf("%d requests in all, %d while the controller was down", len(all), len(down))
	if len(down) == 0 || len(failed) > 0 {
		t.Errorf("%d of %d requests failed (times from the kill):\n%s", len(failed), len(all), strings.Join(failed, "\n"))
	}
	if !slices.ContainsFunc(all, func(a attempt) bool { return a.start.After(resynced) }) {
		t.Error("no request after the agents resynced")
	}
}
