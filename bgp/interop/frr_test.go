//go:build linux

package interop

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func vtysh(tp *topo, cmds ...string) string {
	args := []string{"vtysh", "--vty_socket", tp.dir}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	return tp.cli(args...)
}

var frr = daemon{
	name: "FRR",
	bins: []string{"/usr/lib/frr/bgpd", "vtysh"},
	start: func(tp *topo, passive bool, password string) {
		extra := ""
		if passive {
			extra += fmt.Sprintf(" neighbor %s passive\n", tp.us)
		}
		if password != "" {
			extra += fmt.Sprintf(" neighbor %s password %s\n", tp.us, password)
		}
		conf := tp.write("bgpd.conf", fmt.Sprintf(`frr defaults traditional
hostname frr-%[5]d
log file %[6]s debugging
debug bgp neighbor-events
router bgp %[3]d
 bgp router-id %[2]s
 coalesce-time 50
 bgp log-neighbor-changes
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor %[1]s remote-as %[4]d
 neighbor %[1]s timers 3 9
 neighbor %[1]s timers connect 1
%[7]s address-family ipv4 unicast
  network %[8]s
 exit-address-family
`, tp.us, tp.them, theirAS, ourAS, tp.n, tp.path("bgpd.log"), extra, theirVIP))
		tp.start("bgpd", nil, "/usr/lib/frr/bgpd", "-Z", "-S", "-P", "0", "-l", tp.them.String(),
			"-f", conf, "-i", tp.path("bgpd.pid"), "--vty_socket", tp.dir, "--log", "file:"+tp.path("bgpd.log"))
	},
	established: func(tp *topo) bool {
		return strings.Contains(vtysh(tp, fmt.Sprintf("show bgp neighbor %s json", tp.us)), `"bgpState":"Established"`)
	},
	hasRoute: func(tp *topo, p netip.Prefix) bool {
		return strings.Contains(vtysh(tp, "show bgp ipv4 unicast"), p.String())
	},
	withdraw: func(tp *topo) {
		vtysh(tp, "configure terminal", fmt.Sprintf("router bgp %d", theirAS), "address-family ipv4 unicast",
			"no network "+theirVIP.String())
	},
	reportedShutdown: func(tp *topo, msg string) bool {
		return fileContains(tp.path("bgpd.log"), msg) ||
			strings.Contains(vtysh(tp, fmt.Sprintf("show bgp neighbor %s", tp.us)), msg)
	},
}

func TestFRR(t *testing.T) { roles(t, frr, 10*time.Second, 10*time.Second, true) }
