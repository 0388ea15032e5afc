//go:build linux

package interop

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var bird = daemon{
	name: "BIRD",
	bins: []string{"bird", "birdc"},
	start: func(tp *topo, passive bool, password string) {
		extra := ""
		if passive {
			extra += "  passive on;\n"
		}
		if password != "" {
			extra += fmt.Sprintf("  password %q;\n", password)
		}
		conf := tp.write("bird.conf", fmt.Sprintf(`router id %[2]s;
log %[3]q all;
debug protocols { states, events };
protocol device { }
protocol static s4 { ipv4; route %[4]s blackhole; }
protocol bgp peer {
  local %[2]s as %[5]d;
  neighbor %[1]s as %[6]d;
  hold time 9; keepalive time 3;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
%[7]s  ipv4 { import all; export all; };
}
`, tp.us, tp.them, tp.path("bird.log"), theirVIP, theirAS, ourAS, extra))
		tp.start("bird", nil, "bird", "-f", "-c", conf, "-s", tp.path("bird.ctl"), "-P", tp.path("bird.pid"))
	},
	established: func(tp *topo) bool {
		return strings.Contains(tp.cli("birdc", "-s", tp.path("bird.ctl"), "show", "protocols", "peer"), "Established")
	},
	hasRoute: func(tp *topo, p netip.Prefix) bool {
		return strings.Contains(tp.cli("birdc", "-s", tp.path("bird.ctl"), "show", "route", "protocol", "peer"), p.String())
	},
	withdraw: func(tp *topo) {
		tp.cli("birdc", "-s", tp.path("bird.ctl"), "disable", "s4") // the static protocol holding theirVIP
	},
	reportedShutdown: func(tp *topo, msg string) bool {
		return fileContains(tp.path("bird.log"), msg) ||
			strings.Contains(tp.cli("birdc", "-s", tp.path("bird.ctl"), "show", "protocols", "all", "peer"), msg)
	},
}

func TestBIRD(t *testing.T) { roles(t, bird, 10*time.Second, 10*time.Second, true) }
