//go:build linux

package lab_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/slb"
)

// fabricBinary builds the fabric command once per test process, into
// fabricDir (removed by TestMain).
func fabricBinary(t *testing.T) string {
	t.Helper()
	fabricOnce.Do(func() {
		dir, err := os.MkdirTemp("", fmt.Sprintf(fabricDirPattern, os.Getpid()))
		if err != nil {
			fabricErr = err
			return
		}
		fabricDir = dir
		bin := filepath.Join(dir, "fabric")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/sdnfabric/sdnfabric/fabric/cmd/fabric").CombinedOutput(); err != nil {
			fabricErr = fmt.Errorf("go build: %w: %s", err, out)
		}
	})
	if fabricErr != nil {
		t.Fatal(fabricErr)
	}
	return filepath.Join(fabricDir, "fabric")
}

var (
	fabricOnce sync.Once
	fabricErr  error
)

// needDistributed skips the test unless a distributed lab can run here.
func needDistributed(t *testing.T) {
	t.Helper()
	needLab(t)
	if testing.Short() {
		t.Skip("starts etcd, the controller and an agent per node")
	}
	for _, b := range []string{"etcd", "nsenter"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("needs %s (Debian packages etcd-server, util-linux)", b)
		}
	}
}

// upDistributed starts a distributed lab of objs and waits until it is
// ready; it is closed when the test ends.
func upDistributed(t *testing.T, tag string, objs []model.Object, opts lab.DistOptions) *lab.Distributed {
	t.Helper()
	opts.Prefix = fmt.Sprintf("fd%d-%s-", os.Getpid(), tag)
	t.Cleanup(func() { _, _ = lab.Down(opts.Prefix) })
	opts.Binary = fabricBinary(t)
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	start := time.Now()
	d, err := lab.UpDistributed(ctx, objs, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if err := d.Ready(ctx); err != nil {
		for _, n := range []string{"controller", "etcd", "host1", "host2", "mux1", "bgpvm", "natvm"} {
			t.Logf("%s log:\n%s", n, d.Log(n))
		}
		t.Fatal(err)
	}
	t.Logf("distributed lab ready in %s", time.Since(start).Round(time.Millisecond))
	return d
}

// fetch gets the VIP from the client's namespace until both PortalVMs
// answered, and returns who did.
func fetch(t *testing.T, ctx context.Context, d *lab.Distributed, url string, n int) map[string]int {
	t.Helper()
	c := d.HTTPClient("clientvm")
	seen := map[string]int{}
	for range n {
		body, by, err := get(ctx, c, url)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(by, "portalvm") || !strings.Contains(body, "Hello from "+by) {
			t.Fatalf("served by %q: %q", by, body)
		}
		seen[by]++
	}
	return seen
}

// TestDistributedSeed runs examples/seed.yaml with etcd, the controller
// and every node in a process and namespace of its own: the client's
// kernel reaches the VIP through the NAT agent, the BGPVM agent, the Mux
// agent and the host agents, over Linux bridges between the namespaces;
// a PortalVM reaches the outside server through SNAT (its host's agent
// and the Mux's are different processes); a NIC added to the controller
// gets its namespace from its running host agent and serves the VIP, and
// deleted loses it (attachAndDetach); Down removes everything, the
// processes first, as after a crash of the lab's own process.
func TestDistributedSeed(t *testing.T) {
	needDistributed(t)
	d := upDistributed(t, "a", seedObjects(t), lab.DistOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	seen := fetch(t, ctx, d, "http://192.168.102.10/", 16)
	t.Logf("16 requests: %v", seen)
	if len(seen) != 2 {
		t.Errorf("served by %v, want both PortalVMs", seen)
	}
	// Outbound SNAT across processes: host2's agent SNATs portalvm2's
	// connection into the controller's allocation, and mux1's agent,
	// another process, sends the reply back to host2.
	c := d.HTTPClient("portalvm2")
	c.Timeout = time.Second
	var body, by string
	var err error
	for ctx.Err() == nil {
		if body, by, err = get(ctx, c, "http://203.0.113.80/"); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || by != "internetvm" || !strings.Contains(body, "you are 203.0.113.2:") {
		t.Errorf("portalvm2 to the outside server: %q by %q, %v", body, by, err)
	}
	attachAndDetach(t, ctx, d)
	// What `fabric lab down` does after the lab's own process crashed:
	// the agents, the controller and etcd still run in their namespaces.
	prefix := d.Namespace("")
	if _, err := lab.Down(prefix); err != nil {
		t.Error(err)
	}
	if left, _ := lab.Namespaces(prefix); len(left) != 0 {
		t.Errorf("after Down: %v", left)
	}
	if _, err := os.Stat(d.Dir()); err == nil {
		t.Errorf("after Down: %s is left", d.Dir())
	}
	for _, p := range []string{"etcd", "controller", "mux1", "host1"} {
		for deadline := time.Now().Add(2 * time.Second); d.Running(p); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("after Down: %s still runs", p)
				break
			}
		}
	}
}

// attachAndDetach adds a third PortalVM's NIC on host1 through the
// controller's API: host1's agent, running, makes its namespace and the
// VIP reaches it; the NIC deleted, the agent removes the namespace and
// the VIP is served by the others.
func attachAndDetach(t *testing.T, ctx context.Context, d *lab.Distributed) {
	t.Helper()
	nic := portalVM3(t, "host1")
	applied := time.Now()
	if _, _, err := d.Client().Apply(ctx, []model.Object{nic}); err != nil {
		t.Fatal(err)
	}
	ns := d.Namespace("portalvm3")
	// Until the VM answers, a new flow the Mux sends it may fail.
	c := d.HTTPClient("clientvm")
	c.Timeout = time.Second
	for by := ""; by != "portalvm3"; _, by, _ = get(ctx, c, "http://192.168.102.10/") {
		if ctx.Err() != nil {
			t.Fatalf("portalvm3 never served the VIP (namespaces %v)", namespaces(t, d))
		}
	}
	t.Logf("portalvm3 served the VIP %s after its NIC was applied", time.Since(applied).Round(time.Millisecond))
	if !slices.Contains(namespaces(t, d), ns) {
		t.Errorf("portalvm3 served, but no namespace %s", ns)
	}
	deleted := time.Now()
	if _, err := d.Client().Delete(ctx, model.KindNetworkInterface, "portalvm3", 0); err != nil {
		t.Fatal(err)
	}
	for slices.Contains(namespaces(t, d), ns) {
		if ctx.Err() != nil {
			t.Fatalf("namespace %s still there after the NIC was deleted", ns)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("its namespace went %s after the NIC was deleted", time.Since(deleted).Round(time.Millisecond))
	if seen := fetch(t, ctx, d, "http://192.168.102.10/", 8); seen["portalvm3"] != 0 {
		t.Errorf("after the delete the VIP was served by %v", seen)
	}
}

// portalVM3 is a third PortalVM's NIC on host at 10.1.0.6, in the
// portal's backend pool, as a test adds it to a running lab.
func portalVM3(t *testing.T, host string) model.Object {
	t.Helper()
	nic, err := model.NewObject("portalvm3", &model.NetworkInterfaceSpec{
		VirtualNetwork: "portal-vnet", Subnet: "web", Host: host, Addresses: []netip.Addr{netip.MustParseAddr("10.1.0.6")}, Service: "portal",
		Endpoints:                []model.Endpoint{{Name: "http", Type: model.EndpointInput, Protocol: slb.ProtocolTCP, Port: 80, PublicPort: 80, LoadBalancer: "portal"}},
		LoadBalancerBackendPools: []model.BackendPoolRef{{LoadBalancer: "portal", Pool: "portal-pool"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return nic
}

func namespaces(t *testing.T, d *lab.Distributed) []string {
	t.Helper()
	ns, err := lab.Namespaces(d.Namespace(""))
	if err != nil {
		t.Fatal(err)
	}
	return ns
}
