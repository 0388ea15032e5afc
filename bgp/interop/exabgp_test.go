//go:build linux

package interop

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func exabgpcli(tp *topo, args ...string) string {
	return tp.cli(append([]string{"exabgpcli", "--root", tp.dir}, args...)...)
}

var exabgp = daemon{
	name: "ExaBGP",
	bins: []string{"exabgp", "exabgpcli"},
	start: func(tp *topo, passive bool, password string) {
		extra := ""
		if passive {
			extra += "    passive true;\n"
		}
		if password != "" {
			extra += fmt.Sprintf("    md5-password %q;\n", password)
		}
		conf := tp.write("exabgp.conf", fmt.Sprintf(`neighbor %[1]s {
    router-id %[2]s;
    local-address %[2]s;
    local-as %[3]d;
    peer-as %[4]d;
    hold-time 9;
    adj-rib-in true;
%[6]s    family { ipv4 unicast; }
    static { route %[5]s next-hop self; }
}
`, tp.us, tp.them, theirAS, ourAS, theirVIP, extra))
		// The CLI pipes: --root makes ExaBGP look for them in $dir/run.
		if err := os.Mkdir(tp.path("run"), 0o755); err != nil {
			tp.t.Fatal(err)
		}
		for _, f := range []string{"exabgp.in", "exabgp.out"} {
			if err := syscall.Mkfifo(tp.path("run/"+f), 0o600); err != nil {
				tp.t.Fatal(err)
			}
		}
		tp.start("exabgp", []string{
			"exabgp_daemon_user=root", "exabgp_daemon_drop=false", "exabgp_daemon_daemonize=false",
			"exabgp_log_destination=stdout", "exabgp_log_level=DEBUG", "exabgp_log_message=true", "exabgp_log_all=true", "exabgp_tcp_bind=" + tp.them.String(),
		}, "exabgp", "--root", tp.dir, conf)
	},
	established: func(tp *topo) bool {
		return strings.Contains(exabgpcli(tp, "show", "neighbor", "summary"), "established")
	},
	hasRoute: func(tp *topo, p netip.Prefix) bool {
		return strings.Contains(exabgpcli(tp, "show", "adj-rib", "in"), p.String())
	},
	withdraw: func(tp *topo) {
		exabgpcli(tp, "withdraw", "route", theirVIP.String(), "next-hop", "self")
	},
	// ExaBGP 4.2.21 fails to decode any shutdown communication (a Python 3
	// bug: b"%s" % str in Notification.__init__ raises TypeError) and
	// answers with a Message Header Error. What it does show is the
	// NOTIFICATION it received, byte for byte, in its packet log.
	reportedShutdown: func(tp *topo, msg string) bool {
		return fileContains(tp.path("exabgp.out"), "<< message of type NOTIFICATION") &&
			fileContains(tp.path("exabgp.out"), exaHex(append([]byte{6, 2, byte(len(msg))}, msg...)))
	},
}

func TestExaBGP(t *testing.T) { roles(t, exabgp, 10*time.Second, 10*time.Second, true) }

// exaHex formats b as ExaBGP's packet log does: upper-case hex in groups
// of two bytes.
func exaHex(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); i += 2 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02X", b[i])
		if i+1 < len(b) {
			fmt.Fprintf(&sb, "%02X", b[i+1])
		}
	}
	return sb.String()
}
