//go:build linux

package interop

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// TestBIRDCapabilities runs an IPv6 session carrying IPv4 unicast with
// ADD-PATH (both directions, RFC 7911), extended messages (RFC 8654) and
// extended next hop (RFC 8950) offered on both sides: all three are
// negotiated, BIRD's IPv4 prefix arrives with a path identifier and an
// IPv6 next hop, and ours, sent the same way, lands in BIRD's table.
func TestBIRDCapabilities(t *testing.T) {
	t.Parallel()
	needRoot(t, bird.bins...)
	tp := newTopo(t)
	us, them := tp.addIPv6()

	conf := tp.write("bird.conf", fmt.Sprintf(`router id %[3]s;
log %[4]q all;
protocol device { }
protocol static s4 { ipv4; route %[5]s blackhole; }
protocol bgp peer {
  local %[2]s as %[6]d;
  neighbor %[1]s as %[7]d;
  hold time 9; keepalive time 3;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  enable extended messages on;
  ipv4 { import all; export all; add paths on; extended next hop on; };
}
`, us, them, tp.them, tp.path("bird.log"), theirVIP, theirAS, ourAS))
	s, err := bgp.New(bgp.Config{ASN: ourAS, RouterID: tp.us, Listen: []netip.AddrPort{netip.AddrPortFrom(us, 179)},
		NetNS: "/run/netns/" + tp.ours, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sub := s.Subscribe(256)
	s.Announce(ourVIP, wire.Attributes{})
	tp.start("bird", nil, "bird", "-f", "-c", conf, "-s", tp.path("bird.ctl"), "-P", tp.path("bird.pid"))
	if err := s.AddPeer(bgp.PeerConfig{Address: them, PeerASN: theirAS, Passive: true, HoldTime: 9 * time.Second,
		Families:        []wire.Family{wire.IPv4Unicast},
		AddPath:         []wire.AddPathFamily{{Family: wire.IPv4Unicast, Mode: wire.AddPathBoth}},
		ExtendedMessage: true, ExtendedNextHop: true,
	}); err != nil {
		t.Fatal(err)
	}
	up := tp.waitEvent(sub, 10*time.Second, "Established", isUp).Session
	v4 := []wire.Family{wire.IPv4Unicast}
	if !slices.Equal(up.AddPathReceive, v4) || !slices.Equal(up.AddPathSend, v4) || !up.ExtendedMessage || !slices.Equal(up.ExtendedNextHop, v4) {
		t.Fatalf("negotiated ADD-PATH receive %v send %v, extended message %v, extended next hop %v; want all for IPv4 unicast",
			up.AddPathReceive, up.AddPathSend, up.ExtendedMessage, up.ExtendedNextHop)
	}
	ev := tp.waitEvent(sub, 10*time.Second, "BIRD's IPv4 prefix", announces(theirVIP))
	for _, r := range ev.Announced {
		if r.Prefix == theirVIP && (r.PathID == 0 || r.Attrs.NextHop != them) {
			t.Errorf("their route: path %d next hop %v, want a path identifier and %v", r.PathID, r.Attrs.NextHop, them)
		}
	}
	tp.eventually(10*time.Second, "BIRD has our IPv4 prefix via our IPv6 address", func() bool {
		out := tp.cli("birdc", "-s", tp.path("bird.ctl"), "show", "route", "protocol", "peer", "all")
		return strings.Contains(out, ourVIP.String()) && strings.Contains(out, us.String())
	})
}
