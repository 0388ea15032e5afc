//go:build linux

package lab_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/mux"
)

// routers are the real routers a lab can run, with the command each needs
// and the protocol its kernel routes carry.
var routers = []struct{ name, bin, proto string }{
	{lab.RouterBIRD, "bird", "proto bird"},
	{lab.RouterFRR, "/usr/lib/frr/bgpd", "proto bgp"},
}

// forRouters runs test once per real router, skipping those not installed.
func forRouters(t *testing.T, test func(t *testing.T, router, proto string)) {
	needLab(t)
	for _, r := range routers {
		t.Run(r.name, func(t *testing.T) {
			if _, err := exec.LookPath(r.bin); err != nil {
				t.Skipf("needs %s (%s)", r.name, r.bin)
			}
			test(t, r.name, r.proto)
		})
	}
}

// TestSeedWithRealRouter runs the seed topology with BIRD 2, then FRR, as
// the BGPVM, in its own namespace: it peers with our Mux, installs the VIP
// route into the kernel, and the kernel forwards ClientVM's requests to the
// Mux and the PortalVMs' DSR replies back.
func TestSeedWithRealRouter(t *testing.T) {
	forRouters(t, testSeedWithRealRouter)
}

func testSeedWithRealRouter(t *testing.T, router, proto string) {
	p := prefix(t, router)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	l, err := lab.Up(ctx, runtime.Seed(), lab.Options{Prefix: p, Router: router})
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
	if err != nil || !strings.Contains(routes, "via 192.168.100.20") || !strings.Contains(routes, proto) {
		t.Errorf("BGPVM's kernel route to the VIP: %q, %v; want one via the Mux, %s", routes, err, proto)
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
	t.Logf("8 requests through %s: %v", router, seen)
	// A download crosses the router's kernel as TCP super-frames: written
	// to one TAP as GSO frames, forwarded whole, read from the other.
	const size = 4 << 20
	body, by, err := get(ctx, client, fmt.Sprintf("http://192.168.102.10/?bytes=%d", size))
	if err != nil || len(body) != size {
		t.Fatalf("download of %d bytes: got %d from %q, %v", size, len(body), by, err)
	}
	if st, _ := l.Stats("BGPVM"); st.Super == 0 || st.Merged == 0 || st.Dropped != 0 {
		t.Errorf("%s's TAPs: %+v; want super-frames both ways and no drops", router, st)
	} else {
		t.Logf("%s's TAPs: %+v", router, st)
	}
	l.Close()
	closed = true
	if left, _ := lab.Namespaces(p); len(left) != 0 {
		t.Errorf("after Close: %v", left)
	}
}

// twoMuxes is the seed with a second Mux, MuxVM2, peering with the BGPVM.
func twoMuxes() *runtime.Topology {
	t := runtime.Seed()
	m2 := t.Muxes[0]
	m2.Name, m2.Addr, m2.MAC = "MuxVM2", netip.MustParsePrefix("192.168.100.21/24"), header.MAC{0x02, 0x5d, 0, 0, 0, 0x06}
	t.Muxes = append(t.Muxes, m2)
	bgpvm := &t.Gateways[1]
	bgpvm.BGP.Peers = append(bgpvm.BGP.Peers, runtime.Peer{Name: "MuxVM2", Addr: m2.Addr.Addr(), ASN: m2.ASN})
	return t
}

// keptConn is a keep-alive HTTP connection from a machine's namespace.
type keptConn struct {
	c  net.Conn
	br *bufio.Reader
}

// keepConns opens n keep-alive connections with dial, each with a first
// request answered, and returns them with the machine that served each;
// they close when the test ends.
func keepConns(t *testing.T, n int, dial func() (net.Conn, error)) ([]*keptConn, map[*keptConn]string) {
	t.Helper()
	var kept []*keptConn
	first := map[*keptConn]string{}
	for range n {
		c, err := dial()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		k := &keptConn{c: c, br: bufio.NewReader(c)}
		by, err := k.get()
		if err != nil {
			t.Fatal(err)
		}
		kept, first[k] = append(kept, k), by
	}
	return kept, first
}

func (k *keptConn) get() (string, error) {
	_ = k.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(k.c, "GET / HTTP/1.1\r\nHost: 192.168.102.10\r\n\r\n"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(k.br, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", err
	}
	return resp.Header.Get(runtime.ServedBy), nil
}

// TestRealRouterECMPAndMuxStop: with two Muxes, BIRD (then FRR) installs
// one kernel route with both as next hops, and the kernel spreads
// connections over them; when one Mux stops, the router withdraws its next
// hop and the established connections, including those it carried, go on
// to the same PortalVM through the other.
func TestRealRouterECMPAndMuxStop(t *testing.T) {
	forRouters(t, testRealRouterECMPAndMuxStop)
}

func testRealRouterECMPAndMuxStop(t *testing.T, router, _ string) {
	p := prefix(t, "ecmp-"+router)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	l, err := lab.Up(ctx, twoMuxes(), lab.Options{Prefix: p, Router: router})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	if err := l.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	vip := netip.MustParsePrefix("192.168.102.10/32")
	waitRoute := func(what string, ok func(string) bool) string {
		t.Helper()
		for {
			routes, err := l.Routes(ctx, "BGPVM", vip)
			if err != nil {
				t.Fatal(err)
			}
			if ok(routes) {
				return routes
			}
			if ctx.Err() != nil {
				t.Fatalf("BGPVM's route to the VIP: %q, want %s", routes, what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	both := func(r string) bool {
		return strings.Contains(r, "nexthop via 192.168.100.20") && strings.Contains(r, "nexthop via 192.168.100.21")
	}
	t.Logf("ECMP route:\n%s", waitRoute("both Muxes", both))

	kept, first := keepConns(t, 16, func() (net.Conn, error) {
		return l.DialContext(ctx, "ClientVM", "tcp4", "192.168.102.10:80")
	})
	st := l.Runtime().Status()
	for _, m := range st.Muxes {
		if m.Stats.Verdicts[mux.VerdictForward] == 0 {
			t.Errorf("%s forwarded nothing: the kernel did not spread the connections", m.Node)
		}
	}
	if err := l.Runtime().StopMux("MuxVM"); err != nil {
		t.Fatal(err)
	}
	t.Logf("after MuxVM stopped:\n%s", waitRoute("MuxVM2 only", func(r string) bool {
		return strings.Contains(r, "via 192.168.100.21") && !strings.Contains(r, "192.168.100.20")
	}))
	for _, k := range kept {
		by, err := k.get()
		if err != nil {
			t.Fatalf("a connection broke when its Mux stopped: %v", err)
		}
		if by != first[k] {
			t.Errorf("a connection moved from %s to %s", first[k], by)
		}
	}
}
