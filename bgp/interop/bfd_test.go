package interop

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/bfd"
)

// TestFRRBFD runs a BFD session between our bfd.Endpoint and FRR's bfdd
// with 300 ms x 3 timers, then drops UDP 3784 both ways in our namespace
// with nftables: both sides must declare the path down in under a second
// (RFC 5880 detection time 900 ms), and the session must come back Up when
// the drop is removed.
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
	downAt := make(chan time.Time, 4)
	peer, err := ep.AddPeer(bfd.PeerConfig{Peer: tp.them, OnChange: func(c bfd.Change) {
		if c.New == bfd.Down {
			downAt <- c.Time
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
	cut := time.Now()
	run(t, "ip", "netns", "exec", tp.ours, "nft", "-f", drop)
	var ours time.Duration
	select {
	case at := <-downAt:
		ours = at.Sub(cut)
	case <-time.After(3 * time.Second):
		t.Fatal("our session stayed Up 3 s after the path was cut")
	}
	tp.eventually(3*time.Second, "FRR declares the session down", func() bool { return frrState() == "down" })
	theirs := time.Since(cut)
	t.Logf("path cut: we detected it after %v, FRR within %v (polled)", ours, theirs)
	if ours > time.Second {
		t.Errorf("our detection took %v, want under 1 s", ours)
	}

	if out, err := exec.Command("ip", "netns", "exec", tp.ours, "nft", "delete", "table", "inet", "bfdtest").CombinedOutput(); err != nil {
		t.Fatalf("nft delete: %v\n%s", err, out)
	}
	tp.eventually(10*time.Second, "BFD Up again after the path is restored", func() bool {
		return peer.State() == bfd.Up && frrState() == "up"
	})
}
