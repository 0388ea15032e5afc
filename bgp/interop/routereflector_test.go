//go:build linux

package interop

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/rib"
)

// TestRouteReflector: our speaker (AS 65001, with a RIB and
// AdvertiseLearned) reflects between two iBGP clients, BIRD and FRR: the
// prefix BIRD originates reaches FRR with BIRD's router ID as
// ORIGINATOR_ID and our cluster ID in CLUSTER_LIST (RFC 4456).
func TestRouteReflector(t *testing.T) {
	needRoot(t, "bird", "birdc", "/usr/lib/frr/bgpd", "vtysh")
	tp := newTopo(t)
	frrAddr := netip.AddrFrom4([4]byte{10, 99, byte(tp.n), 4})
	run(t, "ip", "-n", tp.peer, "addr", "add", frrAddr.String()+"/24", "dev", "vb")
	const as = ourAS
	birdConf := tp.write("bird.conf", fmt.Sprintf(`router id %[2]s;
log %[3]q all;
protocol device { }
protocol static s4 { ipv4; route %[4]s blackhole; }
protocol bgp reflector {
  local %[2]s as %[5]d;
  neighbor %[1]s as %[5]d;
  hold time 9; keepalive time 3; connect delay time 1; connect retry time 2;
  strict bind on;
  ipv4 { import all; export all; next hop self; };
}
`, tp.us, tp.them, tp.path("bird.log"), theirVIP, as))
	tp.start("bird", nil, "bird", "-f", "-c", birdConf, "-s", tp.path("bird.ctl"), "-P", tp.path("bird.pid"))
	frrConf := tp.write("bgpd.conf", fmt.Sprintf(`frr defaults traditional
hostname frrrr-%[4]d
router bgp %[3]d
 bgp router-id %[2]s
 neighbor %[1]s remote-as %[3]d
 neighbor %[1]s timers 3 9
 neighbor %[1]s timers connect 1
`, tp.us, frrAddr, as, tp.n))
	tp.start("bgpd", nil, "/usr/lib/frr/bgpd", "-Z", "-S", "-P", "0", "-l", frrAddr.String(),
		"-f", frrConf, "-i", tp.path("bgpd.pid"), "--vty_socket", tp.dir, "--log", "file:"+tp.path("bgpd.log"))

	r := rib.New(rib.Options{LocalASN: as, RouterID: tp.us})
	s, err := bgp.New(bgp.Config{ASN: as, RouterID: tp.us, NetNS: "/run/netns/" + tp.ours, Logger: testLogger(),
		RIB: r, AdvertiseLearned: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, peer := range []netip.Addr{tp.them, frrAddr} {
		if err := s.AddPeer(bgp.PeerConfig{Address: peer, PeerASN: as, SourceAddress: tp.us,
			HoldTime: 9 * time.Second, ConnectTime: time.Second, RIB: rib.PeerConfig{RRClient: true}}); err != nil {
			t.Fatal(err)
		}
	}
	var out string
	tp.eventually(20*time.Second, "BIRD's prefix reflected to FRR", func() bool {
		out = vtysh(tp, "show bgp ipv4 unicast "+theirVIP.String()+" json")
		return strings.Contains(out, `"originatorId":"`+tp.them.String()+`"`)
	})
	if !strings.Contains(out, tp.us.String()) || !strings.Contains(out, "cluster") {
		t.Errorf("FRR's view of the reflected path lacks our cluster ID %v:\n%s", tp.us, out)
	}
}
