package vswitch

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// TestDeliveryReportedBeforeNextNode: the next node may take a frame in
// the switch's goroutine and rewrite it there (netsim's run to
// completion), as a router does. The switch's delivery event must come
// before that node's work and describe the packet as it left, for a DSR
// reply to the router and for a packet to a guest.
func TestDeliveryReportedBeforeNextNode(t *testing.T) {
	var (
		mu     sync.Mutex
		events []Event
		seen   = map[string]int{} // port -> events recorded when its far end took a frame
	)
	// nextNode takes a frame as a router would, in the sender's
	// goroutine when idle: it notes what the trace held, then rewrites
	// the IPv4 source address in place.
	nextNode := func(name string, p *netsim.Port) {
		p.SetReceiver(func(f []byte) {
			mu.Lock()
			seen[name] = len(events)
			mu.Unlock()
			if len(f) >= 34 {
				copy(f[26:30], []byte{192, 0, 2, 99})
			}
		})
		t.Cleanup(p.Close)
	}
	up, upFar := netsim.NewWire("up", netsim.WireConfig{})
	nic, guest := netsim.NewWire("nic", netsim.WireConfig{})
	nextNode("uplink", upFar)
	nextNode("vm4", guest)
	s, err := New(Config{Name: "h1", Uplink: up, HostPA: rigPA, HostMAC: hwaddr(0xaa, 1), ProviderPrefix: provider,
		RouterPA: routerPA, RouterMAC: hwaddr(0xee, 1), SLB: fakeSLB{},
		Trace: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	v, err := s.AddVNIC(VNICConfig{Name: "vm4", Port: nic, MAC: rigMAC[:], Addr: rigCA, VNI: vni,
		Sources: []netip.Addr{vip}, Endpoints: []Endpoint{{Name: "rpc", Kind: Internal, Protocol: protoTCP, Port: 9000}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetMapping(vni, peerCA, remotePA, peerMAC[:]); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, port, rule string
		src              netip.AddrPort
		send             func(src netip.AddrPort)
	}{
		{"DSR reply to the router", "uplink", "to router", netip.MustParseAddrPort("203.0.113.10:80"), func(src netip.AddrPort) {
			v.fromGuest(tcpFrame(gw, rigMAC, src, netip.MustParseAddrPort("198.51.100.7:5000"), ack, 10))
		}},
		{"packet to a guest", "vm4", "", netip.MustParseAddrPort("10.1.0.5:5000"), func(src netip.AddrPort) {
			s.fromUplink(encap(t, tcpFrame(gw, peerMAC, src, netip.MustParseAddrPort("10.1.0.4:9000"), syn, 0)))
		}},
	} {
		mu.Lock()
		events, seen[tc.port] = nil, -1
		mu.Unlock()
		tc.send(tc.src)
		mu.Lock()
		at := -1
		for i, e := range events {
			if e.Port == tc.port && e.Layer == LayerPort && e.Action == ActionDeliver && e.Rule == tc.rule {
				at = i
				if e.Src != tc.src {
					t.Errorf("%s: delivery reported from %s, the packet left from %s", tc.name, e.Src, tc.src)
				}
			}
		}
		switch {
		case at < 0:
			t.Errorf("%s: no delivery event in %v", tc.name, events)
		case seen[tc.port] < 0:
			t.Errorf("%s: the next node did not take the frame", tc.name)
		case at >= seen[tc.port]:
			t.Errorf("%s: delivery reported as event %d, after the next node took the frame (%d events then)", tc.name, at, seen[tc.port])
		}
		mu.Unlock()
	}
}
