//go:build linux

package lab_test

import (
	"context"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// TestSeedWithBIRD runs the seed topology with BIRD 2 as the BGPVM, in its
// own namespace: it peers with our Mux, installs the VIP route into the
// kernel, and the kernel forwards ClientVM's requests to the Mux and the
// PortalVMs' DSR replies back.
func TestSeedWithBIRD(t *testing.T) {
	needLab(t)
	if _, err := exec.LookPath("bird"); err != nil {
		t.Skip("needs BIRD 2 (the bird command)")
	}
	p := prefix(t, "bird")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	l, err := lab.Up(ctx, runtime.Seed(), lab.Options{Prefix: p, Router: lab.RouterBIRD})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			l.Close()
		}
	})
	start := time.Now()
	if err := l.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("ready in %s", time.Since(start).Round(time.Millisecond))
	routes, err := l.Routes(ctx, "BGPVM", netip.MustParsePrefix("192.168.102.10/32"))
	if err != nil || !strings.Contains(routes, "via 192.168.100.20") || !strings.Contains(routes, "proto bird") {
		t.Errorf("BGPVM's kernel route to the VIP: %q, %v; want one via the Mux, from BIRD", routes, err)
	}
	client := l.HTTPClient("ClientVM")
	seen := map[string]int{}
	for range 8 {
		body, by, err := get(ctx, client, "http://192.168.102.10/")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(by, "PortalVM") || !strings.Contains(body, "Hello from "+by) {
			t.Fatalf("served by %q: %q", by, body)
		}
		seen[by]++
	}
	t.Logf("8 requests through BIRD: %v", seen)
	l.Close()
	closed = true
	if left, _ := lab.Namespaces(p); len(left) != 0 {
		t.Errorf("after Close: %v", left)
	}
}
