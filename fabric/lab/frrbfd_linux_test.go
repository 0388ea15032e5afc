//go:build linux

package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// needFRRBFD skips the test unless FRR's zebra, bfdd, bgpd and vtysh are
// installed.
func needFRRBFD(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"/usr/lib/frr/zebra", "/usr/lib/frr/bfdd", "/usr/lib/frr/bgpd", "vtysh"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs FRR (%s) as the router", bin)
		}
	}
}

// waitFRRBFDUp waits until an FRR router's BFD sessions are Up with every
// one of peers at interval (multiplier 3) on both sides, and returns them.
func waitFRRBFDUp(ctx context.Context, t *testing.T, get func(context.Context) ([]lab.FRRBFDPeer, error), interval time.Duration, peers ...netip.Addr) []lab.FRRBFDPeer {
	t.Helper()
	for {
		got, err := get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		up := 0
		for _, p := range got {
			for _, want := range peers {
				if p.Peer == want && p.Status == "up" && p.ReceiveInterval == interval && p.TransmitInterval == interval &&
					p.RemoteReceiveInterval == interval && p.RemoteTransmitInterval == interval && p.DetectMultiplier == 3 && p.RemoteDetectMultiplier == 3 {
					up++
				}
			}
		}
		if up == len(peers) && len(got) == len(peers) {
			return got
		}
		if ctx.Err() != nil {
			t.Fatalf("FRR's BFD sessions are not Up with %v at %s x 3: %+v", peers, interval, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFRRBFD: in a lab with runtime BFD (100 ms x 3), FRR as the BGPVM
// runs bfdd, and its BFD sessions with both Muxes (bgp/bfd on their gVisor
// stacks) come Up, at 100 ms x 3 both ways.
func TestFRRBFD(t *testing.T) {
	needLab(t)
	needFRRBFD(t)
	p := prefix(t, "frrbfd")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	const interval = 100 * time.Millisecond
	l, err := lab.Up(ctx, twoMuxes(), lab.Options{Prefix: p, Router: lab.RouterFRR, Runtime: runtime.Options{BFD: interval}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	if err := l.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	peers := waitFRRBFDUp(ctx, t, func(ctx context.Context) ([]lab.FRRBFDPeer, error) { return l.FRRBFDPeers(ctx, "BGPVM") },
		interval, netip.MustParseAddr("192.168.100.20"), netip.MustParseAddr("192.168.100.21"))
	var b strings.Builder
	for _, p := range peers {
		fmt.Fprintf(&b, "\n  %+v", p)
	}
	t.Logf("FRR's BFD sessions Up %s after the lab was ready:%s", time.Since(start).Round(time.Millisecond), b.String())
}

// TestDistributedMuxKillFRR is failover scenario 1 with FRR as the router
// (TestDistributedMuxKill runs it with BIRD): two Mux processes announce
// the VIP, FRR spreads flows over both by ECMP, with a BFD session (the
// lab's default, 100 ms x 3) under each BGP session. One Mux process is
// killed (SIGKILL) while a client keeps opening connections: bfdd detects
// it, bgpd drops the session (hold time 3 s, far longer) and zebra the
// next hop within about a second; every request started after that
// succeeds. The killed Mux's agent started again peers with BFD again and
// is back in the route.
func TestDistributedMuxKillFRR(t *testing.T) {
	needDistributed(t)
	needFRRBFD(t)
	d := upDistributed(t, "frr", twoMuxObjects(t), lab.DistOptions{Router: lab.RouterFRR, HoldTime: 3 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	mux1, mux2 := netip.MustParseAddr("192.168.100.10"), netip.MustParseAddr("192.168.100.11")
	waitRoute := func(what string, ok func(string) bool) (string, time.Time) {
		t.Helper()
		return waitVIPRoute(ctx, t, d, what, ok)
	}
	both := func(r string) bool {
		return strings.Contains(r, "via "+mux1.String()) && strings.Contains(r, "via "+mux2.String())
	}
	bfdPeers := func(ctx context.Context) ([]lab.FRRBFDPeer, error) { return d.FRRBFDPeers(ctx, "bgpvm") }
	r, _ := waitRoute("both Muxes", both)
	t.Logf("ECMP route:\n%s", r)
	waitFRRBFDUp(ctx, t, bfdPeers, lab.DefaultBFD, mux1, mux2)

	loop, killed, withdrawn := killMux1(ctx, t, d)
	time.Sleep(time.Second)
	results := loop()

	// bfdd saw it (detection time expired).
	peers, err := bfdPeers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range peers {
		if p.Peer == mux1 {
			t.Logf("FRR's BFD session with mux1: %s, %s", p.Status, p.Diagnostic)
			if p.Status == "up" || p.Diagnostic != "control detection time expired" {
				t.Errorf("FRR's BFD session with the killed mux1 is %s (%s), want down, control detection time expired", p.Status, p.Diagnostic)
			}
		}
	}
	out, err := d.FRR(ctx, "bgpvm", "show bgp neighbors "+mux1.String()+" json")
	if err != nil {
		t.Fatal(err)
	}
	// bgpd sent mux1 a Cease, subcode 10 (BFD Down, RFC 9384), which it
	// did not hear.
	var nb map[string]struct {
		State  string `json:"bgpState"`
		Reason string `json:"lastNotificationReason"`
	}
	if err := json.Unmarshal([]byte(out), &nb); err != nil {
		t.Fatalf("show bgp neighbors json: %v: %s", err, out)
	}
	n := nb[mux1.String()]
	t.Logf("FRR's BGP session with mux1: %s, last NOTIFICATION: %s", n.State, n.Reason)
	if n.Reason != "Cease/BFD Down" {
		t.Errorf("FRR's session with the killed mux1 ended by %q, want by BFD (Cease/BFD Down)", n.Reason)
	}

	checkFailover(t, results, killed, withdrawn)
	// BFD detects in 300 ms: a withdrawal before the hold time (3 s)
	// expired is BFD's, whatever the machine's load added.
	if took := withdrawn.Sub(killed); took >= 3*time.Second {
		t.Errorf("mux1's route withdrawn %s after the kill, want before the 3 s hold time expired (BFD detects in 300 ms)", took.Round(time.Millisecond))
	}

	// mux1's agent again: BGP and BFD come back, and so does its next hop.
	restarted := time.Now()
	if err := d.RestartAgent("mux1"); err != nil {
		t.Fatal(err)
	}
	_, back := waitRoute("both Muxes again", both)
	waitFRRBFDUp(ctx, t, bfdPeers, lab.DefaultBFD, mux1, mux2)
	t.Logf("mux1 restarted: back in the route after %s, BFD Up after %s", back.Sub(restarted).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
}
