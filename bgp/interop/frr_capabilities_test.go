//go:build linux

package interop

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// TestFRRCapabilities: with FRR sending all paths (addpath-tx-all-paths)
// and both sides offering ADD-PATH both ways and extended messages, all is
// negotiated, FRR's prefix arrives with a path identifier, and ours (sent
// as path 1) lands in FRR's table.
func TestFRRCapabilities(t *testing.T) {
	t.Parallel()
	needRoot(t, frr.bins...)
	tp := newTopo(t)
	conf := tp.write("bgpd.conf", fmt.Sprintf(`frr defaults traditional
hostname frr-%[5]d
log file %[6]s debugging
router bgp %[3]d
 bgp router-id %[2]s
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor %[1]s remote-as %[4]d
 neighbor %[1]s timers 3 9
 neighbor %[1]s timers connect 1
 neighbor %[1]s capability extended-message
 address-family ipv4 unicast
  network %[7]s
  neighbor %[1]s addpath-tx-all-paths
 exit-address-family
`, tp.us, tp.them, theirAS, ourAS, tp.n, tp.path("bgpd.log"), theirVIP))
	s := tp.speaker(ourAS)
	sub := s.Subscribe(64)
	s.Announce(ourVIP, wire.Attributes{})
	tp.start("bgpd", nil, "/usr/lib/frr/bgpd", "-Z", "-S", "-P", "0", "-l", tp.them.String(),
		"-f", conf, "-i", tp.path("bgpd.pid"), "--vty_socket", tp.dir, "--log", "file:"+tp.path("bgpd.log"))
	if err := s.AddPeer(bgp.PeerConfig{Address: tp.them, PeerASN: theirAS, Passive: true, HoldTime: 9 * time.Second,
		Families:        []wire.Family{wire.IPv4Unicast},
		AddPath:         []wire.AddPathFamily{{Family: wire.IPv4Unicast, Mode: wire.AddPathBoth}},
		ExtendedMessage: true,
	}); err != nil {
		t.Fatal(err)
	}
	up := tp.waitEvent(sub, 10*time.Second, "Established", isUp).Session
	v4 := []wire.Family{wire.IPv4Unicast}
	if !slices.Equal(up.AddPathReceive, v4) || !slices.Equal(up.AddPathSend, v4) || !up.ExtendedMessage {
		t.Fatalf("negotiated ADD-PATH receive %v send %v, extended message %v; want both ways for IPv4 unicast and extended messages",
			up.AddPathReceive, up.AddPathSend, up.ExtendedMessage)
	}
	ev := tp.waitEvent(sub, 10*time.Second, "FRR's prefix", announces(theirVIP))
	for _, r := range ev.Announced {
		if r.Prefix == theirVIP && r.PathID == 0 {
			t.Errorf("FRR's route without a path identifier")
		}
	}
	tp.eventually(10*time.Second, "FRR has our prefix", func() bool { return frr.hasRoute(tp, ourVIP) })
}
