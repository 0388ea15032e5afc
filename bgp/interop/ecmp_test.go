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

// vipECMP is the VIP two of our speakers announce, as two Muxes do.
var vipECMP = netip.MustParsePrefix("192.0.2.77/32")

// twoMuxes starts two speakers of AS ourAS in our namespace, on tp.us and
// on a second address (10.99.N.3), each announcing vipECMP to the daemon.
func twoMuxes(t *testing.T, tp *topo) []netip.Addr {
	second := netip.AddrFrom4([4]byte{10, 99, byte(tp.n), 3})
	run(t, "ip", "-n", tp.ours, "addr", "add", second.String()+"/24", "dev", "va")
	addrs := []netip.Addr{tp.us, second}
	for i, a := range addrs {
		s, err := bgp.New(bgp.Config{ASN: ourAS, RouterID: a, NetNS: "/run/netns/" + tp.ours, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Announce(vipECMP, wire.Attributes{}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddPeer(bgp.PeerConfig{Address: tp.them, PeerASN: theirAS, SourceAddress: a,
			HoldTime: 9 * time.Second, ConnectTime: time.Second}); err != nil {
			t.Fatalf("speaker %d: %v", i, err)
		}
	}
	return addrs
}

// TestBIRDECMP: BIRD learns the VIP from both of our speakers and installs
// it in its namespace's kernel table with both next hops (merge paths).
func TestBIRDECMP(t *testing.T) {
	needRoot(t, "bird", "birdc")
	tp := newTopo(t)
	conf := tp.write("bird.conf", fmt.Sprintf(`router id %[1]s;
log %[2]q all;
protocol device { }
protocol direct { ipv4; }
protocol kernel { ipv4 { export all; }; merge paths on; }
template bgp mux {
  local %[1]s as %[3]d;
  hold time 9; keepalive time 3;
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  ipv4 { import all; export none; };
}
protocol bgp mux1 from mux { neighbor 10.99.%[5]d.1 as %[4]d; }
protocol bgp mux2 from mux { neighbor 10.99.%[5]d.3 as %[4]d; }
`, tp.them, tp.path("bird.log"), theirAS, ourAS, tp.n))
	tp.start("bird", nil, "bird", "-f", "-c", conf, "-s", tp.path("bird.ctl"), "-P", tp.path("bird.pid"))
	muxes := twoMuxes(t, tp)
	tp.eventually(20*time.Second, "the VIP in BIRD's kernel table over both Muxes", func() bool {
		out := tp.cli("ip", "-n", tp.peer, "route", "show", vipECMP.String())
		return strings.Contains(out, "nexthop via "+muxes[0].String()) && strings.Contains(out, "nexthop via "+muxes[1].String())
	})
}

// TestFRRECMP: FRR with maximum-paths 2 marks both of our speakers' paths
// to the VIP as multipath.
func TestFRRECMP(t *testing.T) {
	needRoot(t, "/usr/lib/frr/bgpd", "vtysh")
	tp := newTopo(t)
	conf := tp.write("bgpd.conf", fmt.Sprintf(`frr defaults traditional
hostname frrecmp-%[5]d
router bgp %[3]d
 bgp router-id %[2]s
 no bgp ebgp-requires-policy
 neighbor 10.99.%[5]d.1 remote-as %[4]d
 neighbor 10.99.%[5]d.1 timers 3 9
 neighbor 10.99.%[5]d.1 timers connect 1
 neighbor 10.99.%[5]d.3 remote-as %[4]d
 neighbor 10.99.%[5]d.3 timers 3 9
 neighbor 10.99.%[5]d.3 timers connect 1
 address-family ipv4 unicast
  maximum-paths 2
 exit-address-family
`, tp.us, tp.them, theirAS, ourAS, tp.n))
	tp.start("bgpd", nil, "/usr/lib/frr/bgpd", "-Z", "-S", "-P", "0", "-l", tp.them.String(),
		"-f", conf, "-i", tp.path("bgpd.pid"), "--vty_socket", tp.dir, "--log", "file:"+tp.path("bgpd.log"))
	twoMuxes(t, tp)
	tp.eventually(20*time.Second, "both paths to the VIP multipath in FRR", func() bool {
		out := vtysh(tp, "show bgp ipv4 unicast "+vipECMP.String()+" json")
		return strings.Count(out, `"multipath":true`) == 2
	})
}
