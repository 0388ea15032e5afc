//go:build linux

package interop

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

func gobgp(tp *topo, args ...string) string {
	return tp.cli(append([]string{"gobgp", "--target", "unix://" + tp.path("api.sock")}, args...)...)
}

var gobgpd = daemon{
	name: "GoBGP",
	bins: []string{"gobgpd", "gobgp"},
	start: func(tp *topo, passive bool, password string) {
		extra := ""
		if password != "" {
			extra += fmt.Sprintf("    auth-password = %q\n", password)
		}
		transport := ""
		if passive {
			transport = "  [neighbors.transport.config]\n    passive-mode = true\n"
		}
		conf := tp.write("gobgp.toml", fmt.Sprintf(`[global.config]
  as = %[3]d
  router-id = "%[2]s"
  local-address-list = ["%[2]s"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "%[1]s"
    peer-as = %[4]d
%[5]s  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
%[6]s`, tp.us, tp.them, theirAS, ourAS, extra, transport))
		tp.start("gobgpd", nil, "gobgpd", "-f", conf, "--api-hosts", "unix://"+tp.path("api.sock"), "--pprof-disable", "-p", "-l", "debug")
		tp.eventually(10*time.Second, "gobgpd API socket", func() bool {
			_, err := os.Stat(tp.path("api.sock"))
			return err == nil
		})
		tp.eventually(5*time.Second, "gobgp announces its /32", func() bool {
			gobgp(tp, "global", "rib", "add", theirVIP.String(), "-a", "ipv4")
			return strings.Contains(gobgp(tp, "global", "rib"), theirVIP.String())
		})
	},
	established: func(tp *topo) bool {
		return strings.Contains(strings.ToLower(gobgp(tp, "neighbor", tp.us.String())), "bgp state = established")
	},
	hasRoute: func(tp *topo, p netip.Prefix) bool {
		return strings.Contains(gobgp(tp, "global", "rib"), p.String())
	},
	withdraw: func(tp *topo) {
		gobgp(tp, "global", "rib", "del", theirVIP.String(), "-a", "ipv4")
	},
	reportedShutdown: func(tp *topo, msg string) bool {
		return fileContains(tp.path("gobgpd.out"), msg)
	},
}

// GoBGP connects out 5 to 10 s after it starts whatever its timers say, so
// the passive role waits longer.
func TestGoBGP(t *testing.T) { roles(t, gobgpd, 10*time.Second, 20*time.Second, true) }
