//go:build linux

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBIRDGracefulRestart: our bgpd, with graceful restart, announces a
// VIP to BIRD and is killed (SIGKILL: no NOTIFICATION). BIRD keeps the
// route while bgpd is down (without graceful_restart it drops it at once:
// checked by hand); a restarted bgpd (R bit set) re-establishes the
// session and the route is there throughout.
func TestBIRDGracefulRestart(t *testing.T) {
	needRoot(t, "bird", "birdc", "go")
	tp := newTopo(t)
	bin := tp.path("bgpd")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/bgpd").CombinedOutput(); err != nil {
		t.Fatalf("building bgpd: %v\n%s", err, out)
	}
	conf := tp.write("bird.conf", fmt.Sprintf(`router id %[2]s;
log %[3]q all;
protocol device { }
protocol bgp peer {
  local %[2]s as %[4]d;
  neighbor %[1]s as %[5]d;
  hold time 9; keepalive time 3;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  graceful restart on; graceful restart time 60;
  ipv4 { import all; export none; };
}
`, tp.us, tp.them, tp.path("bird.log"), theirAS, ourAS))
	tp.start("bird", nil, "bird", "-f", "-c", conf, "-s", tp.path("bird.ctl"), "-P", tp.path("bird.pid"))
	cfg := tp.write("bgpd.json", fmt.Sprintf(`{"asn": %d, "router_id": %q, "listen": ["%s:179"],
  "peers": [{"address": %q, "asn": %d, "hold_time": "9s", "connect_time": "1s", "source_address": %q}],
  "announce": [{"prefix": %q}],
  "graceful_restart": {"restart_time": "60s"}}`, ourAS, tp.us, tp.us, tp.them, theirAS, tp.us, ourVIP))
	startBgpd := func(args ...string) *exec.Cmd {
		cmd := exec.Command("ip", append([]string{"netns", "exec", tp.ours, bin, "-config", cfg}, args...)...)
		log, err := os.OpenFile(tp.path("bgpd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { log.Close() })
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	birdc := func(args ...string) string {
		return tp.cli(append([]string{"birdc", "-s", tp.path("bird.ctl")}, args...)...)
	}
	hasVIP := func() bool { return strings.Contains(birdc("show", "route", "protocol", "peer"), ourVIP.String()) }
	established := func() bool { return strings.Contains(birdc("show", "protocols", "peer"), "Established") }

	first := startBgpd()
	tp.eventually(20*time.Second, "BIRD has our VIP", func() bool { return established() && hasVIP() })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	tp.eventually(10*time.Second, "BIRD sees the session go", func() bool { return !established() })
	time.Sleep(3 * time.Second)
	if !hasVIP() {
		t.Fatalf("BIRD dropped our route while bgpd was down:\n%s", birdc("show", "protocols", "all", "peer"))
	}
	startBgpd("-restarting")
	tp.eventually(20*time.Second, "the session is back", established)
	if !hasVIP() {
		t.Fatal("the VIP is gone after the restart")
	}
	time.Sleep(time.Second) // past our End-of-RIB
	if !hasVIP() {
		t.Fatal("BIRD swept the VIP at our End-of-RIB although we sent it again")
	}
}
