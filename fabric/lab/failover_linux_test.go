//go:build linux

package lab_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
)

// attempt is one request of a requestLoop.
type attempt struct {
	start, end time.Time
	local      string // the connection's local address
	servedBy   string
	err        error
}

// requestLoop fetches url with a new connection every interval until
// stopped, and keeps every attempt. Each may take up to a timeout long
// enough for TCP to retransmit a lost SYN twice (1 s, then 2 s more): on
// a busy machine, under the race detector, the fabric's queues drop a
// frame now and then, and a request that recovers from it has not failed.
type requestLoop struct {
	mu       sync.Mutex
	attempts []attempt
	stop     func()
	done     chan struct{}
}

func startRequests(ctx context.Context, c *http.Client, url string, every, timeout time.Duration) *requestLoop {
	ctx, cancel := context.WithCancel(ctx)
	r := &requestLoop{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			a := attempt{start: time.Now()}
			rctx, rcancel := context.WithTimeout(ctx, timeout)
			rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { a.local = i.Conn.LocalAddr().String() }})
			_, a.servedBy, a.err = get(rctx, c, url)
			rcancel()
			if ctx.Err() != nil {
				return // stopped: this attempt does not count
			}
			a.end = time.Now()
			r.mu.Lock()
			r.attempts = append(r.attempts, a)
			r.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return r
}

// served returns who answered the attempts so far, and how often.
func (r *requestLoop) served() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	by := map[string]int{}
	for _, a := range r.attempts {
		if a.err == nil {
			by[a.servedBy]++
		}
	}
	return by
}

// end stops the loop and returns its attempts.
func (r *requestLoop) end() []attempt {
	r.stop()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

// between returns the attempts that started in [from, to).
func between(as []attempt, from, to time.Time) []attempt {
	var out []attempt
	for _, a := range as {
		if !a.start.Before(from) && a.start.Before(to) {
			out = append(out, a)
		}
	}
	return out
}

// waitDown polls the runtime until dip's host reports it out of rotation,
// and returns when that was seen.
func waitDown(t *testing.T, rt *runtime.Runtime, dip netip.Addr, limit time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		for _, h := range rt.Status().Health {
			if h.DIP == dip && !h.Healthy {
				return time.Now()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s still in rotation after %s", dip, limit)
	return time.Time{}
}

// probeTopology is the seed with a third PortalVM (on Host2) and the
// load balancer probing a dedicated health port, 8081, every 5 s (the
// shortest interval slb allows) with a threshold of one failure.
func probeTopology() *runtime.Topology {
	topo := runtime.Seed()
	health := runtime.Endpoint{Name: "health", Proto: header.ProtocolTCP, Port: 8081}
	for i := range topo.Machines {
		if topo.Machines[i].Role == runtime.RoleWebServer {
			topo.Machines[i].Endpoints = append(topo.Machines[i].Endpoints, health)
		}
	}
	third := topo.Machines[2]
	third.Name, third.Addr, third.MAC = "PortalVM3", netip.MustParsePrefix("10.10.0.13/24"), header.MAC{0x02, 0x5d, 0, 0, 0, 0x23}
	topo.Machines = append(topo.Machines, third)
	lb := &topo.LoadBalancers[0]
	pool := &lb.BackendAddressPools[0]
	pool.Backends = append(pool.Backends, slb.Backend{Name: third.Name, DIP: third.Addr.Addr(), HostPA: netip.MustParseAddr("192.168.100.32")})
	lb.Probes = []slb.Probe{{Name: "http", Protocol: slb.ProbeHTTP, Port: 8081, RequestPath: "/", IntervalInSeconds: 5, ProbeThreshold: 1}}
	return topo
}

// TestFailoverProbe is failover scenario 2 (issue 11): a PortalVM stops
// answering its probe. A client loop in ClientVM's namespace opens a new
// connection to the VIP every 20 ms throughout.
//
// First PortalVM1's health port stops answering while its service goes
// on (an instance taking itself out of rotation): its host's probe sees
// it within interval x threshold, the Muxes send it no new flow, and not
// one request fails. Then PortalVM2's server stops altogether: it is out
// of rotation as quickly; the requests that reached it before are counted
// (logged), and none fails after it is out.
func TestFailoverProbe(t *testing.T) {
	needLab(t)
	p := prefix(t, "ffprobe")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	topo := probeTopology()
	l, err := lab.Up(ctx, topo, lab.Options{Prefix: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	if err := l.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	rt := l.Runtime()
	pr := topo.LoadBalancers[0].Probes[0]
	detect := time.Duration(pr.IntervalInSeconds*max(pr.ProbeThreshold, 1))*time.Second +
		3*time.Second // slack: the host agent's 1 s tick, and a busy machine
	dip := func(name string) netip.Addr {
		for _, m := range topo.Machines {
			if m.Name == name {
				return m.Addr.Addr()
			}
		}
		t.Fatalf("no machine %s", name)
		return netip.Addr{}
	}
	// Plain connections, a new one per request, from the kernel's
	// ephemeral ports: the kernel may reuse a source port within a few
	// hundred connections, and a SYN on the 5-tuple of an old flow whose
	// DIP has left rotation must go to a DIP in rotation, not follow the
	// old flow to a stopped server.
	loop := startRequests(ctx, l.HTTPClient("ClientVM"), "http://"+rt.VIPs()[0].String()+"/", 20*time.Millisecond, 5*time.Second)
	t.Cleanup(func() { loop.end() })
	eventually(t, "every PortalVM serves", 10*time.Second, func() bool { return len(loop.served()) == 3 })

	// 1. The probe fails, the service answers.
	soft := time.Now()
	if err := l.SetServing("PortalVM1", false, 8081); err != nil {
		t.Fatal(err)
	}
	softOut := waitDown(t, rt, dip("PortalVM1"), detect+time.Second)
	t.Logf("PortalVM1's probe port closed: out of rotation after %s (limit %s)", softOut.Sub(soft).Round(time.Millisecond), detect)
	if d := softOut.Sub(soft); d > detect {
		t.Errorf("PortalVM1 left rotation after %s, want within %s", d, detect)
	}
	time.Sleep(time.Second)

	// 2. The whole server stops.
	hard := time.Now()
	if err := l.SetServing("PortalVM2", false); err != nil {
		t.Fatal(err)
	}
	hardOut := waitDown(t, rt, dip("PortalVM2"), detect+time.Second)
	t.Logf("PortalVM2's server stopped: out of rotation after %s (limit %s)", hardOut.Sub(hard).Round(time.Millisecond), detect)
	if d := hardOut.Sub(hard); d > detect {
		t.Errorf("PortalVM2 left rotation after %s, want within %s", d, detect)
	}
	time.Sleep(time.Second)
	all := loop.end()

	count := func(as []attempt) (failed int, by map[string]int) {
		by = map[string]int{}
		for _, a := range as {
			if a.err != nil {
				failed++
				continue
			}
			by[a.servedBy]++
		}
		return failed, by
	}
	failures := func(as []attempt) string {
		var b strings.Builder
		for _, a := range as {
			if a.err != nil {
				fmt.Fprintf(&b, "\n  at +%s from %s: %v", a.start.Sub(soft).Round(time.Millisecond), a.local, a.err)
			}
		}
		return b.String()
	}
	before := between(all, time.Time{}, soft)
	if f, by := count(before); f > 0 || len(by) != 3 {
		t.Errorf("before the faults: %d failed, served by %v (want all three PortalVMs)%s", f, by, failures(before))
	}
	// Case 1: no request fails, and none reaches PortalVM1 once it is out
	// (those still running when PortalVM2 stops belong to case 2).
	var w1, w2 []attempt
	for _, a := range all {
		switch {
		case a.start.Before(soft):
		case a.end.Before(hard):
			w1 = append(w1, a)
		case a.start.Before(hardOut):
			w2 = append(w2, a)
		}
	}
	f1, by1 := count(w1)
	t.Logf("probe failing: %d requests, %d failed, served by %v", len(w1), f1, by1)
	if f1 > 0 {
		t.Errorf("probe failing, service up: %d of %d requests failed%s", f1, len(w1), failures(w1))
	}
	for _, a := range all {
		if a.start.After(softOut) && a.servedBy == "PortalVM1" || a.start.After(hardOut) && a.servedBy != "PortalVM3" {
			t.Logf("after removal at +%s from %s: served by %q, %v", a.start.Sub(soft).Round(time.Millisecond), a.local, a.servedBy, a.err)
		}
	}
	if _, by := count(between(all, softOut, hard)); by["PortalVM1"] > 0 {
		t.Errorf("after PortalVM1 left rotation %d new connections reached it", by["PortalVM1"])
	}
	// Case 2: report the failures of the detection window; none after.
	f2, by2 := count(w2)
	t.Logf("server stopped: %d requests in the %s detection window, %d failed, served by %v", len(w2), hardOut.Sub(hard).Round(time.Millisecond), f2, by2)
	after := between(all, hardOut, time.Now())
	fa, bya := count(after)
	t.Logf("after removal: %d requests, %d failed, served by %v", len(after), fa, bya)
	if fa > 0 || len(after) == 0 || bya["PortalVM3"] != len(after) {
		t.Errorf("after PortalVM2 left rotation: %d of %d failed, served by %v (want all by PortalVM3)%s", fa, len(after), bya, failures(after))
	}
}
