//go:build linux

package lab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/provision/jitter"
)

// needLab skips the test unless it can create namespaces and TAPs.
func needLab(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and TAP devices")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2) to configure namespaces")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skip("needs /dev/net/tun to create TAP devices")
	}
}

// seedObjects are the resources of examples/seed.yaml.
func seedObjects(t *testing.T) []model.Object {
	t.Helper()
	data, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := model.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// desiredState is a controller, or an API client of one.
type desiredState interface {
	Apply(context.Context, []model.Object) ([]model.Object, int64, error)
	List(context.Context, model.Kind) ([]model.Object, int64, error)
}

// applySeed applies the resources of examples/seed.yaml to c and returns
// the topology of the desired state c then holds.
func applySeed(ctx context.Context, t *testing.T, c desiredState) *runtime.Topology {
	t.Helper()
	if _, _, err := c.Apply(ctx, seedObjects(t)); err != nil {
		t.Fatal(err)
	}
	state, _, err := c.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := runtime.FromModel(state)
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// upWithAgents brings up a lab of topo with opts, waits until it is ready
// and starts its nodes' agents on backend, with a fast status interval and
// backoff; the agents stop and the lab closes when the test ends.
func upWithAgents(ctx context.Context, t *testing.T, topo *runtime.Topology, opts lab.Options, backend api.Backend) *lab.Lab {
	t.Helper()
	l, err := lab.Up(ctx, topo, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	if err := l.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	stop, err := l.Runtime().StartAgents(agent.Config{Backend: backend, Logger: slog.New(slog.DiscardHandler),
		StatusInterval: 200 * time.Millisecond, Settle: 10 * time.Millisecond,
		Backoff: jitter.FullJitter{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return l
}

// prefix is unique to this process and test, and removed when it ends.
func prefix(t testing.TB, tag string) string {
	p := fmt.Sprintf("fl%d-%s-", os.Getpid(), tag)
	t.Cleanup(func() { _, _ = lab.Down(p) })
	return p
}

// get fetches url with c and returns the body and the machine that served it.
func get(ctx context.Context, c *http.Client, url string) (body, servedBy string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), resp.Header.Get(runtime.ServedBy), nil
}

// TestSeedWithKernelGuests runs the seed topology with every machine a
// namespace on a TAP: curl in ClientVM's namespace reaches a PortalVM
// through the NAT, the router, the Mux, VXLAN and a host; requests spread
// over both PortalVMs; a PortalVM reaches the outside server (SNAT); the
// outside reaches the VIP through the NAT's port forward; and Close leaves
// no namespace behind.
func TestSeedWithKernelGuests(t *testing.T) {
	needLab(t)
	p := prefix(t, "seed")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	l, err := lab.Up(ctx, runtime.Seed(), lab.Options{Prefix: p})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			l.Close()
		}
	})
	if err := l.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	vip := "http://192.168.102.10/"

	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", l.Namespace("ClientVM"),
			"curl", "-sS", "-i", "-m", "5", vip).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %s in %s: %v\n%s", vip, l.Namespace("ClientVM"), err, out)
		}
		if !strings.Contains(string(out), runtime.ServedBy+": PortalVM") || !strings.Contains(string(out), "Hello from PortalVM") {
			t.Fatalf("curl %s: no PortalVM answered:\n%s", vip, out)
		}
		t.Logf("curl in %s:\n%s", l.Namespace("ClientVM"), out)
	} else {
		t.Log("curl is not installed; the Go client below stands in")
	}

	client := l.HTTPClient("ClientVM")
	seen := map[string]int{}
	for range 16 {
		body, by, err := get(ctx, client, vip)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(by, "PortalVM") || !strings.Contains(body, "Hello from "+by) {
			t.Fatalf("GET %s: served by %q: %q", vip, by, body)
		}
		seen[by]++
	}
	if len(seen) != 2 {
		t.Errorf("16 connections reached %v, want both PortalVMs", seen)
	}

	// Outbound from a PortalVM: SNAT on its host, the router, the NAT.
	if body, by, err := get(ctx, l.HTTPClient("PortalVM1"), "http://203.0.113.100/"); err != nil || by != "Internet" {
		t.Errorf("PortalVM1 -> outside: %q by %q, %v", body, by, err)
	}
	// Inbound through the NAT's port forward to the VIP.
	if body, by, err := get(ctx, l.HTTPClient("Internet"), "http://203.0.113.1/"); err != nil || !strings.HasPrefix(by, "PortalVM") {
		t.Errorf("outside -> NATVM:80 -> VIP: %q by %q, %v", body, by, err)
	}

	// A download: the PortalVM's kernel hands its TAP TCP super-segments
	// (TSO), which its vNIC segments.
	const size = 4 << 20
	body, by, err := get(ctx, client, fmt.Sprintf("%s?bytes=%d", vip, size))
	if err != nil || len(body) != size || !strings.HasPrefix(by, "PortalVM") {
		t.Fatalf("download of %d bytes: got %d from %q, %v", size, len(body), by, err)
	}
	st, _ := l.Stats(by)
	if st.Super == 0 {
		t.Errorf("%s sent no TCP super-segments: %+v", by, st)
	}
	// ... and ClientVM's TAP took the segments of bursts merged (GRO).
	if st, _ := l.Stats("ClientVM"); st.Merged == 0 {
		t.Errorf("ClientVM received no merged super-frames: %+v", st)
	}

	for _, m := range l.Machines() {
		st, _ := l.Stats(m)
		t.Logf("%s: %+v", m, st)
		if st.Dropped != 0 {
			t.Errorf("%s: %d frames dropped at the TAP", m, st.Dropped)
		}
	}

	l.Close()
	closed = true
	left, err := lab.Namespaces(p)
	if err != nil || len(left) != 0 {
		t.Errorf("after Close: namespaces %v left (%v)", left, err)
	}
}

// TestDownRemovesLeftovers: Up refuses to start over namespaces with its
// prefix, and Down removes them, ends the processes inside and removes the
// routers' directories, as after a crash.
func TestDownRemovesLeftovers(t *testing.T) {
	needLab(t)
	p := prefix(t, "down")
	ns := p + "clientvm"
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", p+"bgpvm.*.labrun") // a crashed router's directory
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sleep := exec.Command("ip", "netns", "exec", ns, "sleep", "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- sleep.Wait() }()
	t.Cleanup(func() { _ = sleep.Process.Kill() })

	if _, err := lab.Up(t.Context(), runtime.Seed(), lab.Options{Prefix: p}); !errors.Is(err, lab.ErrExists) {
		t.Fatalf("Up over a leftover namespace: %v, want ErrExists", err)
	}
	// Wait until ip netns exec has entered the namespace: before, Down
	// would find nobody there and the sleep would enter it as it goes.
	pid := strconv.Itoa(sleep.Process.Pid)
	eventually(t, "the sleep runs in the namespace", 10*time.Second, func() bool {
		out, _ := exec.Command("ip", "netns", "pids", ns).Output()
		return slices.Contains(strings.Fields(string(out)), pid)
	})
	removed, err := lab.Down(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != ns {
		t.Errorf("Down removed %v, want [%s]", removed, ns)
	}
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Error("the process in the namespace still runs after Down")
	}
	if left, _ := lab.Namespaces(p); len(left) != 0 {
		t.Errorf("after Down: %v", left)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Down: the router's directory %s: %v", dir, err)
	}
}

// TestUpFailsCleanly: a topology Up cannot build (two machines whose
// namespace names collide) fails, and leaves no namespace behind.
func TestUpFailsCleanly(t *testing.T) {
	needLab(t)
	p := prefix(t, "fail")
	topo := runtime.Seed()
	topo.Outside.Name = "client VM" // namespace <prefix>client-vm
	topo.Machines[0].Name = "Client-VM"
	if _, err := lab.Up(t.Context(), topo, lab.Options{Prefix: p}); err == nil {
		t.Fatal("Up with colliding namespace names: no error")
	} else {
		t.Log(err)
	}
	if left, _ := lab.Namespaces(p); len(left) != 0 {
		t.Errorf("after a failed Up: %v", left)
	}
}
