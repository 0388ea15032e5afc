//go:build linux

package interop

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// TestBIRDIPv6Transport runs a session over IPv6 (fd99:N::1 and
// fd99:N::2 on the veth pair) carrying IPv6 unicast, with BIRD active.
func TestBIRDIPv6Transport(t *testing.T) {
	t.Parallel()
	needRoot(t, bird.bins...)
	tp := newTopo(t)
	us, them := tp.addIPv6()

	ours6 := netip.MustParsePrefix("2001:db8:1::/48")
	theirs6 := netip.MustParsePrefix("2001:db8:2::/48")
	conf := tp.write("bird.conf", fmt.Sprintf(`router id %[3]s;
log %[4]q all;
protocol device { }
protocol static s6 { ipv6; route %[5]s blackhole; }
protocol bgp peer6 {
  local %[2]s as %[6]d;
  neighbor %[1]s as %[7]d;
  hold time 9; keepalive time 3;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  ipv6 { import all; export all; };
}
`, us, them, tp.them, tp.path("bird.log"), theirs6, theirAS, ourAS))
	s, err := bgp.New(bgp.Config{ASN: ourAS, RouterID: tp.us, Listen: []netip.AddrPort{netip.AddrPortFrom(us, 179)},
		NetNS: "/run/netns/" + tp.ours, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sub := s.Subscribe(256)
	s.Announce(ours6, wire.Attributes{})
	start := time.Now()
	tp.start("bird", nil, "bird", "-f", "-c", conf, "-s", tp.path("bird.ctl"), "-P", tp.path("bird.pid"))
	if err := s.AddPeer(bgp.PeerConfig{Address: them, PeerASN: theirAS, Passive: true, HoldTime: 9 * time.Second,
		Families: []wire.Family{wire.IPv6Unicast}}); err != nil {
		t.Fatal(err)
	}
	up := tp.waitEvent(sub, 10*time.Second, "Established over IPv6", isUp)
	t.Logf("BIRD over IPv6: Established %v after the daemon started, remote %v", time.Since(start).Round(time.Millisecond), up.Session.Remote)
	ev := tp.waitEvent(sub, 10*time.Second, "BIRD's IPv6 prefix", announces(theirs6))
	for _, r := range ev.Announced {
		if r.Prefix == theirs6 && r.Attrs.NextHop != them {
			t.Errorf("their next hop %v, want %v", r.Attrs.NextHop, them)
		}
	}
	tp.eventually(10*time.Second, "BIRD has our IPv6 prefix", func() bool {
		return strings.Contains(tp.cli("birdc", "-s", tp.path("bird.ctl"), "show", "route", "protocol", "peer6"), ours6.String())
	})
}
