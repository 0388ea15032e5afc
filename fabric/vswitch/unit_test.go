package vswitch

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

// rig is one switch whose uplink and vNIC ports end in recorders instead
// of nodes; tests call the ports' handlers directly.
type rig struct {
	s      *Switch
	v      *VNIC
	events []Event
	mu     sync.Mutex
}

var (
	rigPA    = netip.MustParseAddr("10.0.0.11")
	remotePA = netip.MustParseAddr("10.0.0.12")
	rigCA    = netip.MustParseAddr("10.1.0.4")
	peerCA   = netip.MustParseAddr("10.1.0.5")
	rigMAC   = header.MAC{0x02, 0, 0, 0, 0xbb, 4}
	peerMAC  = header.MAC{0x02, 0, 0, 0, 0xbb, 5}
)

// fakeSLB translates nothing: packets to the VIP are delivered to rigCA,
// packets from the VIP go to the router.
type fakeSLB struct{}

func (fakeSLB) Inbound(pkt []byte, vni uint32, dip netip.Addr) (SLBResult, error) {
	if netip.AddrFrom4([4]byte(pkt[16:20])) == vip {
		return SLBResult{Verdict: SLBDeliver, DIP: rigCA, Rule: "lb/rule"}, nil
	}
	return SLBResult{Verdict: SLBPass}, nil
}

func (fakeSLB) Outbound(pkt []byte, vni uint32) (SLBResult, error) {
	if netip.AddrFrom4([4]byte(pkt[12:16])) == vip {
		return SLBResult{Verdict: SLBToRouter, VNI: vni, Rule: "lb/rule"}, nil
	}
	return SLBResult{Verdict: SLBPass}, nil
}

func newRig(t testing.TB, trace bool, eps ...Endpoint) *rig {
	t.Helper()
	r := &rig{}
	// Queues of one frame and no receivers: the far ends fill up at once,
	// and later frames are dropped there, reusing netsim's frame buffers.
	up, _ := netsim.NewWire("up", netsim.WireConfig{Queue: 1})
	nic, _ := netsim.NewWire("nic", netsim.WireConfig{Queue: 1})
	cfg := Config{Name: "h1", Uplink: up, HostPA: rigPA, HostMAC: hwaddr(0xaa, 1), ProviderPrefix: provider,
		RouterPA: routerPA, RouterMAC: hwaddr(0xee, 1), SLB: fakeSLB{}}
	if trace {
		cfg.Trace = func(e Event) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	r.s = s
	r.v, err = s.AddVNIC(VNICConfig{Name: "vm4", Port: nic, MAC: rigMAC[:], Addr: rigCA, VNI: vni,
		Sources: []netip.Addr{vip}, Endpoints: eps})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetMapping(vni, peerCA, remotePA, peerMAC[:]); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNeighbor(remotePA, hwaddr(0xaa, 2)); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) last() Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == 0 {
		return Event{}
	}
	return r.events[len(r.events)-1]
}

// tcpFrame builds an Ethernet frame with a TCP segment and valid checksums.
func tcpFrame(dstMAC, srcMAC header.MAC, src, dst netip.AddrPort, flags byte, payload int) []byte {
	f := make([]byte, 14+20+20+payload)
	copy(f, dstMAC[:])
	copy(f[6:], srcMAC[:])
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	ip[8], ip[9] = 64, protoTCP
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:], s4[:])
	copy(ip[16:], d4[:])
	binary.BigEndian.PutUint16(ip[10:], ^checksum.Sum(ip[:20], 0))
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	tcp[12] = 5 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[16:], ^checksum.Sum(tcp, checksum.PseudoHeader(src.Addr(), dst.Addr(), protoTCP, len(tcp))))
	return f
}

// encap wraps an inner frame from the remote host to the rig's host.
func encap(t testing.TB, inner []byte) []byte {
	t.Helper()
	o := vxlan.Outer{Ethernet: true, SrcMAC: header.MAC(hwaddr(0xaa, 2)), DstMAC: header.MAC(hwaddr(0xaa, 1)), Src: remotePA, Dst: rigPA}
	out, err := o.Encapsulate(nil, vxlan.Header{VNI: vni}, inner)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const syn, ack = 0x02, 0x10

var gw = header.MAC(DefaultGatewayMAC)

func TestACLLayer(t *testing.T) {
	eps := []Endpoint{
		{Name: "web", Kind: Input, Protocol: protoTCP, Port: 8080},
		{Name: "rpc", Kind: Internal, Protocol: protoTCP, Port: 9000},
	}
	outsider := netip.MustParseAddr("198.51.100.7")
	for _, tc := range []struct {
		name     string
		setup    func(r *rig)
		src, dst string
		viaVIP   bool
		action   Action
		rule     string
	}{
		{name: "input endpoint through the load balancer", src: "198.51.100.7:5000", dst: "203.0.113.10:8080", viaVIP: true, action: ActionAllow, rule: "input:web"},
		{name: "input endpoint not through the load balancer", src: "10.1.0.5:5000", dst: "10.1.0.4:8080", action: ActionDeny, rule: "default deny"},
		{name: "internal endpoint from the same VNet", src: "10.1.0.5:5000", dst: "10.1.0.4:9000", action: ActionAllow, rule: "internal:rpc"},
		{name: "internal endpoint through the load balancer", src: "198.51.100.7:5000", dst: "203.0.113.10:9000", viaVIP: true, action: ActionDeny, rule: "default deny"},
		{name: "no endpoint", src: "10.1.0.5:5000", dst: "10.1.0.4:22", action: ActionDeny, rule: "default deny"},
		{name: "reply to a flow the guest opened", src: "10.1.0.5:443", dst: "10.1.0.4:40000", action: ActionAllow, rule: "established",
			setup: func(r *rig) {
				r.v.fromGuest(tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.4:40000"), netip.MustParseAddrPort("10.1.0.5:443"), syn, 0))
			}},
		{name: "reply to another port", src: "10.1.0.5:443", dst: "10.1.0.4:40001", action: ActionDeny, rule: "default deny",
			setup: func(r *rig) {
				r.v.fromGuest(tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.4:40000"), netip.MustParseAddrPort("10.1.0.5:443"), syn, 0))
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, true, eps...)
			if tc.setup != nil {
				tc.setup(r)
			}
			src, dst := netip.MustParseAddrPort(tc.src), netip.MustParseAddrPort(tc.dst)
			r.s.fromUplink(encap(t, tcpFrame(gw, peerMAC, src, dst, syn, 0)))
			var got Event
			r.mu.Lock()
			for _, e := range r.events {
				if e.Layer == LayerACL && e.Dir == In {
					got = e
				}
			}
			r.mu.Unlock()
			if got.Action != tc.action || got.Rule != tc.rule {
				t.Fatalf("ACL: %s [%s], want %s [%s]", got.Action, got.Rule, tc.action, tc.rule)
			}
			_ = outsider
		})
	}
}

// TestVNetLayer checks what the VNet layer does with a guest's packet.
func TestVNetLayer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		src    string
		dst    string
		layer  Layer
		action Action
		rule   string
	}{
		{name: "to a CA on another host", src: "10.1.0.4:1000", dst: "10.1.0.5:80", layer: LayerPort, action: ActionDeliver},
		{name: "to an unmapped CA", src: "10.1.0.4:1000", dst: "10.1.0.99:80", layer: LayerVNet, action: ActionDrop, rule: "no mapping"},
		{name: "spoofed source", src: "10.1.0.7:1000", dst: "10.1.0.5:80", layer: LayerACL, action: ActionDeny, rule: "anti-spoofing"},
		{name: "DSR reply from the VIP", src: "203.0.113.10:80", dst: "198.51.100.7:5000", layer: LayerPort, action: ActionDeliver, rule: "to router"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, true)
			r.v.fromGuest(tcpFrame(gw, rigMAC, netip.MustParseAddrPort(tc.src), netip.MustParseAddrPort(tc.dst), ack, 10))
			got := r.last()
			if got.Layer != tc.layer || got.Action != tc.action || got.Rule != tc.rule {
				t.Fatalf("last event %v, want %s %s [%s]", got, tc.layer, tc.action, tc.rule)
			}
		})
	}
}

// TestEncapsulation checks the bytes a guest's packet to a remote CA
// leaves with.
func TestEncapsulation(t *testing.T) {
	up, far := netsim.NewWire("up", netsim.WireConfig{})
	nic, _ := netsim.NewWire("nic", netsim.WireConfig{})
	got := make(chan []byte, 1)
	far.SetReceiver(func(f []byte) { got <- append([]byte(nil), f...) })
	defer far.Close()
	s, err := New(Config{Name: "h1", Uplink: up, HostPA: rigPA, HostMAC: hwaddr(0xaa, 1), ProviderPrefix: provider})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.AddVNIC(VNICConfig{Name: "vm4", Port: nic, MAC: rigMAC[:], Addr: rigCA, VNI: vni})
	if err != nil {
		t.Fatal(err)
	}
	s.SetMapping(vni, peerCA, remotePA, peerMAC[:])
	s.SetNeighbor(remotePA, hwaddr(0xaa, 2))
	in := tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.4:1000"), netip.MustParseAddrPort("10.1.0.5:80"), ack, 100)
	want := append([]byte(nil), in...)
	v.fromGuest(in)
	out := <-got
	pk, err := (&vxlan.Decap{Ethernet: true, Port: vxlan.Port}).Decapsulate(out)
	if err != nil {
		t.Fatal(err)
	}
	if pk.Header.VNI != vni || pk.Src.Addr() != rigPA || pk.Dst.Addr() != remotePA {
		t.Fatalf("outer: VNI %d %s -> %s", pk.Header.VNI, pk.Src, pk.Dst)
	}
	if e := header.Ethernet(out); e.Destination() != header.MAC(hwaddr(0xaa, 2)) || e.Source() != header.MAC(hwaddr(0xaa, 1)) {
		t.Fatalf("outer Ethernet %s -> %s", e.Source(), e.Destination())
	}
	copy(want[0:6], peerMAC[:]) // the inner frame goes to the CA's MAC from the gateway's
	copy(want[6:12], gw[:])
	if string(pk.Frame) != string(want) {
		t.Fatalf("inner frame\n got %x\nwant %x", pk.Frame, want)
	}
}

// TestProxyARP: the switch answers a guest's ARP for any address with the
// gateway MAC, and ignores the guest's probes for its own address.
func TestProxyARP(t *testing.T) {
	up, _ := netsim.NewWire("up", netsim.WireConfig{})
	nic, guestEnd := netsim.NewWire("nic", netsim.WireConfig{})
	got := make(chan []byte, 4)
	guestEnd.SetReceiver(func(f []byte) { got <- append([]byte(nil), f...) })
	defer guestEnd.Close()
	s, _ := New(Config{Name: "h1", Uplink: up, HostPA: rigPA, HostMAC: hwaddr(0xaa, 1), ProviderPrefix: provider})
	defer s.Close()
	v, err := s.AddVNIC(VNICConfig{Name: "vm4", Port: nic, MAC: rigMAC[:], Addr: rigCA, VNI: vni})
	if err != nil {
		t.Fatal(err)
	}
	req := make([]byte, 14+header.ARPSize)
	copy(req, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(req[6:], rigMAC[:])
	header.Ethernet(req).SetEtherType(header.EtherTypeARP)
	header.InitARPRequest(req[14:], rigMAC, rigCA, gatewayCA)
	v.fromGuest(req)
	reply := <-got
	a, err := header.ParseARP(reply[14:])
	if err != nil || a.Op() != header.ARPReply || a.SenderIP() != gatewayCA || a.SenderMAC() != gw || a.TargetMAC() != rigMAC {
		t.Fatalf("reply %x: %v", reply, err)
	}
	header.InitARPRequest(req[14:], rigMAC, netip.IPv4Unspecified(), rigCA) // a probe
	v.fromGuest(req)
	select {
	case f := <-got:
		t.Fatalf("answered a probe for the guest's own address: %x", f)
	default:
	}
}

// TestUplinkARP: the switch answers ARP for its PA and learns the asker.
func TestUplinkARP(t *testing.T) {
	up, far := netsim.NewWire("up", netsim.WireConfig{})
	got := make(chan []byte, 1)
	far.SetReceiver(func(f []byte) { got <- append([]byte(nil), f...) })
	defer far.Close()
	s, _ := New(Config{Name: "h1", Uplink: up, HostPA: rigPA, HostMAC: hwaddr(0xaa, 1), ProviderPrefix: provider})
	defer s.Close()
	asker := header.MAC(hwaddr(0xaa, 9))
	req := make([]byte, 14+header.ARPSize)
	copy(req, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(req[6:], asker[:])
	header.Ethernet(req).SetEtherType(header.EtherTypeARP)
	header.InitARPRequest(req[14:], asker, netip.MustParseAddr("10.0.0.9"), rigPA)
	s.fromUplink(req)
	a, err := header.ParseARP((<-got)[14:])
	if err != nil || a.SenderIP() != rigPA || a.SenderMAC() != header.MAC(hwaddr(0xaa, 1)) {
		t.Fatalf("reply: %v %v", a, err)
	}
	if mac, ok := s.neighbors.lookup(netip.MustParseAddr("10.0.0.9")); !ok || mac != asker {
		t.Fatal("the asker was not learned")
	}
}

func TestConfigErrors(t *testing.T) {
	up, _ := netsim.NewWire("up", netsim.WireConfig{})
	defer up.Close()
	ok := Config{Uplink: up, HostPA: rigPA, HostMAC: hwaddr(0xaa, 1), ProviderPrefix: provider}
	for name, edit := range map[string]func(*Config){
		"no uplink":         func(c *Config) { c.Uplink = nil },
		"IPv6 PA":           func(c *Config) { c.HostPA = netip.MustParseAddr("fd00::1") },
		"PA off prefix":     func(c *Config) { c.HostPA = netip.MustParseAddr("10.9.0.1") },
		"short MAC":         func(c *Config) { c.HostMAC = c.HostMAC[:3] },
		"router off prefix": func(c *Config) { c.RouterPA = netip.MustParseAddr("10.9.0.1") },
	} {
		cfg := ok
		edit(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	r := newRig(t, false)
	nic, _ := netsim.NewWire("nic2", netsim.WireConfig{})
	defer nic.Close()
	for name, vc := range map[string]VNICConfig{
		"taken CA":     {Name: "x", Port: nic, MAC: rigMAC[:], Addr: rigCA, VNI: vni},
		"taken name":   {Name: "vm4", Port: nic, MAC: rigMAC[:], Addr: peerCA, VNI: vni},
		"bad VNI":      {Name: "y", Port: nic, MAC: rigMAC[:], Addr: peerCA, VNI: 1 << 24},
		"bad endpoint": {Name: "z", Port: nic, MAC: rigMAC[:], Addr: peerCA, VNI: vni, Endpoints: []Endpoint{{Name: "e", Kind: Input, Protocol: 1, Port: 1}}},
	} {
		if _, err := r.s.AddVNIC(vc); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestZeroAllocs holds the forwarding paths at zero allocations: a guest's
// packet encapsulated to another host, a DSR reply to the router, and an
// encapsulated packet from the uplink delivered to a guest.
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so allocations are not counted under -race")
	}
	r := newRig(t, false, Endpoint{Name: "web", Kind: Internal, Protocol: protoTCP, Port: 80})
	east := tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.4:1000"), netip.MustParseAddrPort("10.1.0.5:80"), ack, 100)
	dsr := tcpFrame(gw, rigMAC, netip.MustParseAddrPort("203.0.113.10:80"), netip.MustParseAddrPort("198.51.100.7:5000"), ack, 100)
	in := encap(t, tcpFrame(gw, peerMAC, netip.MustParseAddrPort("10.1.0.5:1000"), netip.MustParseAddrPort("10.1.0.4:80"), ack, 100))
	for name, f := range map[string]func(){
		"east-west out": func() { r.v.fromGuest(east) },
		"dsr out":       func() { r.v.fromGuest(dsr) },
		"uplink in":     func() { r.s.fromUplink(in) },
		"uplink super":  func() { r.s.fromUplinkSuper(in, 40) },
	} {
		f() // warm the ACL's flow table
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %.1f allocations per packet", name, n)
		}
	}
	st := r.s.Stats()
	if st.Get(LayerVNet, ActionEncap) == 0 || st.Get(LayerSLB, ActionDSR) == 0 || st.Get(LayerVNet, ActionDecap) == 0 {
		t.Fatalf("paths not taken: %+v", st)
	}
}

func netsimWire() (*netsim.Port, *netsim.Port) {
	return netsim.NewWire("w", netsim.WireConfig{Queue: 1})
}

func TestTraceEvent(t *testing.T) {
	r := newRig(t, true)
	var got []string
	r.s.cfg.Trace = func(e Event) {
		te := e.TraceEvent()
		got = append(got, te.Layer+" "+te.Action+" "+te.Packet+" +"+strings.Join(te.Added, ",")+" "+te.Note)
	}
	r.v.fromGuest(tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.4:1000"), netip.MustParseAddrPort("10.1.0.5:80"), syn, 0))
	want := []string{
		"acl allow TCP 10.1.0.4:1000 > 10.1.0.5:80 [S] + vm4 out",
		"slb pass TCP 10.1.0.4:1000 > 10.1.0.5:80 [S] + vm4 out",
		"vnet encap VXLAN vni 100 10.0.0.11 > 10.0.0.12 | TCP 10.1.0.4:1000 > 10.1.0.5:80 [S] +IPv4 10.0.0.11 > 10.0.0.12,UDP 4789,VXLAN vni 100 vm4 out",
		"port deliver  + uplink out",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("trace events (-want +got):\n%s", diff)
	}
}
