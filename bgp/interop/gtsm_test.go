//go:build linux

package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// TestBIRDGTSM checks GTSM (RFC 5082) on our listening socket with BIRD
// connecting: while BIRD sends with its eBGP default TTL of 1, its SYNs
// never reach a connection (our only peer uses GTSM, so the listener
// drops them); once BIRD turns on ttl security and sends with TTL 255,
// the session comes up.
func TestBIRDGTSM(t *testing.T) {
	t.Parallel()
	needRoot(t, bird.bins...)
	tp := newTopo(t)
	conf := func(gtsm string) string {
		return fmt.Sprintf(`router id %[2]s;
log %[3]q all;
protocol device { }
protocol static s4 { ipv4; route %[4]s blackhole; }
protocol bgp peer {
  local %[2]s as %[5]d;
  neighbor %[1]s as %[6]d;
  hold time 9; keepalive time 3;
  connect delay time 1; connect retry time 1; error wait time 1, 5;
  ttl security %[7]s;
  ipv4 { import all; export all; };
}
`, tp.us, tp.them, tp.path("bird.log"), theirVIP, theirAS, ourAS, gtsm)
	}
	s := tp.speaker(ourAS)
	sub := s.Subscribe(16)
	if err := s.AddPeer(bgp.PeerConfig{Address: tp.them, PeerASN: theirAS, Passive: true, HoldTime: 9 * time.Second,
		TTLSecurity: 1, Families: []wire.Family{wire.IPv4Unicast}}); err != nil {
		t.Fatal(err)
	}
	path := tp.write("bird.conf", conf("off"))
	tp.start("bird", nil, "bird", "-f", "-c", path, "-s", tp.path("bird.ctl"), "-P", tp.path("bird.pid"))
	select {
	case ev := <-sub.Events():
		t.Fatalf("BIRD without ttl security: %v %v", ev.Type, ev.Err)
	case <-time.After(3 * time.Second):
	}
	if bird.established(tp) {
		t.Fatal("BIRD shows Established while it sends with TTL 1")
	}
	// Dropped at the SYN: not even a TCP connection exists.
	if out := run(t, "ip", "netns", "exec", tp.ours, "ss", "-Htn", "state", "established"); strings.TrimSpace(out) != "" {
		t.Fatalf("TCP connections while BIRD sends with TTL 1:\n%s", out)
	}
	tp.write("bird.conf", conf("on"))
	if out := tp.cli("birdc", "-s", tp.path("bird.ctl"), "configure"); !strings.Contains(out, "onfigur") {
		t.Fatalf("birdc configure: %s", out)
	}
	tp.waitEvent(sub, 10*time.Second, "Established once BIRD uses GTSM", isUp)
	tp.waitEvent(sub, 10*time.Second, "BIRD's prefix", announces(theirVIP))
}
