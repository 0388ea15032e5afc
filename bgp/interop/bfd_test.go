//go:build linux

package interop

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/bfd"
)

// detectLimit bounds the time from a cut path to our session going Down.
// The RFC 5880 detection time of the tests' 300 ms x 3 timers is 900 ms
// after the last packet heard; on a busy machine packets and timers are
// handled late, so the bound is more than twice that. A detection time of
// 3 s or more (intervals of 1 s, the rate of a session not Up) would take
// at least 2 s after the cut, and the hold time is 9 s.
const detectLimit = 2 * time.Second

// TestFRRBFD runs a BFD session between our bfd.Endpoint and FRR's bfdd
// with 300 ms x 3 timers, then drops UDP 3784 both ways in our namespace
// with nftables: both sides must declare the path down within the
// detection time (RFC 5880: 900 ms; detectLimit), and the session must come
// back Up when the drop is removed.
func TestFRRBFD(t *testing.T) {
	needRoot(t, "/usr/lib/frr/bfdd", "vtysh", "nft")
	tp := newTopo(t)
	run(t, "chown", "frr:frr", tp.dir)
	conf := tp.write("bfdd.conf", fmt.Sprintf(`bfd
 peer %s local-address %s
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
`, tp.us, tp.them))
	tp.start("bfdd", nil, "/usr/lib/frr/bfdd", "-P", "0", "-f", conf, "-i", tp.path("bfdd.pid"),
		"--vty_socket", tp.dir, "--bfdctl", tp.path("bfdd.sock"), "--log", "file:"+tp.path("bfdd.log"))

	ep, err := bfd.Listen(bfd.EndpointConfig{Local: tp.us, NetNS: "/run/netns/" + tp.ours, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	downs := make(chan bfd.Change, 4)
	peer, err := ep.AddPeer(bfd.PeerConfig{Peer: tp.them, OnChange: func(c bfd.Change) {
		if c.New == bfd.Down {
			downs <- c
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	frrState := func() string {
		out := vtysh(tp, "show bfd peers brief")
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, tp.us.String()) {
				f := strings.Fields(line)
				return f[len(f)-1]
			}
		}
		return "absent: " + out
	}
	tp.eventually(10*time.Second, "BFD Up on both sides", func() bool {
		return peer.State() == bfd.Up && frrState() == "up"
	})

	drop := tp.write("drop.nft", `table inet bfdtest {
  chain in  { type filter hook input  priority 0; udp dport 3784 drop; }
  chain out { type filter hook output priority 0; udp dport 3784 drop; }
}
`)
	run(t, "ip", "netns", "exec", tp.ours, "nft", "-f", drop)
	// From when the cut is surely in effect (starting nft takes a while
	// on a busy machine, and packets pass until it has loaded the rules).
	cut := time.Now()
	var ours time.Duration
	select {
	case c := <-downs:
		ours = c.Time.Sub(cut)
		if c.Diag != bfd.DiagDetectionTimeExpired {
			t.Errorf("our session went Down with %v, want %v", c.Diag, bfd.DiagDetectionTimeExpired)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("our session stayed Up 3 s after the path was cut")
	}
	tp.eventually(3*time.Second, "FRR declares the session down", func() bool { return frrState() == "down" })
	theirs := time.Since(cut)
	t.Logf("path cut: we detected it after %v, FRR within %v (polled)", ours, theirs)
	if ours > detectLimit {
		t.Errorf("our detection took %v, want within the detection time (3 x 300 ms) plus slack, %v", ours, detectLimit)
	}

	if out, err := exec.Command("ip", "netns", "exec", tp.ours, "nft", "delete", "table", "inet", "bfdtest").CombinedOutput(); err != nil {
		t.Fatalf("nft delete: %v\n%s", err, out)
	}
	tp.eventually(10*time.Second, "BFD Up again after the path is restored", func() bool {
		return peer.State() == bfd.Up && frrState() == "up"
	})
}

// TestFRRBGPWithBFD: a BGP session to FRR (zebra, bgpd and bfdd) with BFD
// on both sides at 300 ms x 3. With all traffic to the peer dropped, our
// session leaves Established within the detection time (BFD; detectLimit) instead of the 9 s
// hold time, and FRR's does too.
func TestFRRBGPWithBFD(t *testing.T) {
	needRoot(t, "/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "/usr/lib/frr/zebra", "vtysh", "nft")
	tp := newTopo(t)
	run(t, "chown", "frr:frr", tp.dir)
	conf := tp.write("frr.conf", fmt.Sprintf(`frr defaults traditional
hostname frrbfd-%[5]d
bfd
 profile fast
  receive-interval 300
  transmit-interval 300
  detect-multiplier 3
router bgp %[3]d
 bgp router-id %[2]s
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor %[1]s remote-as %[4]d
 neighbor %[1]s timers 3 9
 neighbor %[1]s timers connect 1
 neighbor %[1]s bfd
 neighbor %[1]s bfd profile fast
`, tp.us, tp.them, theirAS, ourAS, tp.n))
	zapi := tp.path("zserv.api")
	tp.start("zebra", nil, "/usr/lib/frr/zebra", "-P", "0", "-f", conf, "-i", tp.path("zebra.pid"), "-z", zapi,
		"--vty_socket", tp.dir, "--log", "file:"+tp.path("zebra.log"))
	tp.eventually(5*time.Second, "zebra's socket", func() bool { _, err := os.Stat(zapi); return err == nil })
	tp.start("bfdd", nil, "/usr/lib/frr/bfdd", "-P", "0", "-f", conf, "-i", tp.path("bfdd.pid"), "-z", zapi,
		"--vty_socket", tp.dir, "--bfdctl", tp.path("bfdd.sock"), "--log", "file:"+tp.path("bfdd.log"))
	tp.start("bgpd", nil, "/usr/lib/frr/bgpd", "-S", "-P", "0", "-l", tp.them.String(), "-f", conf,
		"-i", tp.path("bgpd.pid"), "-z", zapi, "--vty_socket", tp.dir, "--log", "file:"+tp.path("bgpd.log"))

	s := tp.speaker(ourAS)
	sub := s.Subscribe(64)
	if err := s.AddPeer(bgp.PeerConfig{Address: tp.them, PeerASN: theirAS, SourceAddress: tp.us,
		HoldTime: 9 * time.Second, ConnectTime: time.Second, BFD: &bfd.Config{}}); err != nil {
		t.Fatal(err)
	}
	tp.waitEvent(sub, 20*time.Second, "session Established", isUp)
	tp.eventually(10*time.Second, "BFD Up on both sides", func() bool {
		st := s.Peers()
		return len(st) == 1 && st[0].BFD == bfd.Up && strings.Contains(vtysh(tp, "show bfd peers brief"), "up")
	})

	drop := tp.write("dropall.nft", fmt.Sprintf(`table inet bgpbfdtest {
  chain in  { type filter hook input  priority 0; ip saddr %s drop; }
  chain out { type filter hook output priority 0; ip daddr %s drop; }
}
`, tp.them, tp.them))
	run(t, "ip", "netns", "exec", tp.ours, "nft", "-f", drop)
	cut := time.Now() // the cut is in effect
	ev := tp.waitEvent(sub, 5*time.Second, "session down after the cut", func(ev bgp.Event) bool { return ev.Type == bgp.SessionDown })
	took := time.Since(cut)
	if !errors.Is(ev.Err, bgp.ErrBFDDown) {
		t.Errorf("session down with %v, want ErrBFDDown", ev.Err)
	}
	tp.eventually(5*time.Second, "FRR leaves Established", func() bool { return !frr.established(tp) })
	t.Logf("path cut: our BGP session went down after %v (hold time 9 s); FRR's within %v", took, time.Since(cut))
	if took > detectLimit {
		t.Errorf("our session went down after %v, want within BFD's detection time (3 x 300 ms) plus slack, %v, far under the hold time", took, detectLimit)
	}
}
