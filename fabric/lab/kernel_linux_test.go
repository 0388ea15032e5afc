//go:build linux

package lab_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// needKernelLab skips the test unless it can build the kernel-only lab.
func needKernelLab(t testing.TB) {
	t.Helper()
	needLab(t)
	for _, bin := range []string{"nft", "bird", "bridge"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s for the kernel-only lab (scripts/install-test-deps.sh installs it)", bin)
		}
	}
}

// TestKernelSeed builds the seed topology from kernel parts only: curl in
// ClientVM's namespace reaches a PortalVM through the NAT's forwarding,
// BIRD's route to the VIP, the Mux's nftables jhash and kernel VXLAN, and
// the host's DNAT (the reply by DSR); connections spread over both
// PortalVMs; the outside reaches the VIP through the NAT's port forward;
// and Close leaves no namespace behind.
func TestKernelSeed(t *testing.T) {
	needKernelLab(t)
	p := prefix(t, "fk")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	k, err := lab.KernelUp(ctx, runtime.Seed(), lab.KernelOptions{Prefix: p, HoldTime: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			k.Close()
		}
	})
	if err := k.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	curl := func(machine, url string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, "ip", "netns", "exec", k.Namespace(machine),
			"curl", "-sS", "-i", "-m", "5", url).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %s in %s: %v\n%s", url, k.Namespace(machine), err, out)
		}
		return string(out)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("needs curl")
	}
	// New connections until both PortalVMs answered: a jhash of the flow
	// sent all of 12 to one about once in 2048 runs; 48 never will.
	seen := map[string]int{}
	for n := 0; n < 48 && len(seen) < 2; n++ {
		out := curl("ClientVM", "http://192.168.102.10/")
		i := strings.Index(out, runtime.ServedBy+": ")
		if i < 0 || !strings.Contains(out, "Hello from PortalVM") {
			t.Fatalf("curl through the VIP: no PortalVM answered:\n%s", out)
		}
		by, _, _ := strings.Cut(out[i+len(runtime.ServedBy)+2:], "\r\n")
		seen[by]++
	}
	if len(seen) != 2 {
		t.Errorf("48 connections reached %v, want both PortalVMs", seen)
	}
	if out := curl("ClientVM", "http://192.168.102.10:8080/"); !strings.Contains(out, runtime.ServedBy+": PortalVM1") {
		t.Errorf("VIP:8080 (inbound NAT rule to PortalVM1:80):\n%s", out)
	}
	if out := curl("Internet", "http://203.0.113.1/"); !strings.Contains(out, runtime.ServedBy+": PortalVM") {
		t.Errorf("outside -> NATVM:80 -> VIP:\n%s", out)
	}
	k.Close()
	closed = true
	if left, err := lab.Namespaces(p); err != nil || len(left) != 0 {
		t.Errorf("after Close: namespaces %v left (%v)", left, err)
	}
}

// TestRunLoadKernel: RunLoad measures throughput, CPU per byte and HTTP
// figures through the kernel build (one second per run, one stream, up
// only: a smoke test of the benchmark's tools, not a measurement).
func TestRunLoadKernel(t *testing.T) {
	needKernelLab(t)
	for _, bin := range []string{"iperf3", "wrk"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s", bin)
		}
	}
	p := prefix(t, "fkload")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	topo := lab.BenchTopology()
	k, err := lab.KernelUp(ctx, topo, lab.KernelOptions{Prefix: p, FreePorts: []uint16{lab.IperfPort}, HoldTime: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	ms, err := lab.RunLoad(ctx, k.Namespace, topo, lab.LoadOptions{Duration: time.Second, Streams: []int{1}, NoDownload: true, Connections: 4})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range ms {
		t.Logf("%-28s %10.3f %s", m.Name, m.Value, m.Unit)
		names[m.Name] = true
		if !(m.Value > 0) {
			t.Errorf("%s: %v %s", m.Name, m.Value, m.Unit)
		}
	}
	for _, want := range []string{"iperf3 up, 1 stream", "iperf3 up, 1 stream, CPU", "http", "http p50", "http p99", "http, CPU"} {
		if !names[want] {
			t.Errorf("no %q among %v", want, names)
		}
	}
}
