package vswitch

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

var vip = netip.MustParseAddr("203.0.113.10")

// muxRouter is a test stand-in for the provider router and a Mux in one
// port: it answers ARP for the router's address, encapsulates packets for
// the VIP to one host (as a Mux would after choosing it), and routes plain
// packets for the client to the client.
type muxRouter struct {
	port      *netsim.Port
	mac       header.MAC
	host      netip.Addr
	hostMAC   header.MAC
	client    netip.Addr
	clientMAC header.MAC
	buf       []byte
}

func (m *muxRouter) receive(frame []byte) {
	eth := header.Ethernet(frame)
	if eth.EtherType() == header.EtherTypeARP {
		req, err := header.ParseARP(frame[14:])
		if err != nil || req.Op() != header.ARPRequest || req.TargetIP() != routerPA {
			return
		}
		out := make([]byte, 14+header.ARPSize)
		sm := req.SenderMAC()
		copy(out, sm[:])
		copy(out[6:], m.mac[:])
		header.Ethernet(out).SetEtherType(header.EtherTypeARP)
		header.InitARPReply(out[14:], req, m.mac)
		m.port.Send(out)
		return
	}
	if eth.EtherType() != header.EtherTypeIPv4 || len(frame) < 34 {
		return
	}
	dst := netip.AddrFrom4([4]byte(frame[30:34]))
	switch dst {
	case vip:
		o := vxlan.Outer{Ethernet: true, SrcMAC: m.mac, DstMAC: m.hostMAC, Src: routerPA, Dst: m.host}
		inner := append([]byte(nil), frame...)
		out, err := o.Encapsulate(m.buf[:0], vxlan.Header{VNI: vni}, inner)
		if err == nil {
			m.port.Send(out)
		}
	case m.client:
		out := append(m.buf[:0], frame...)
		copy(out, m.clientMAC[:])
		copy(out[6:], m.mac[:])
		m.port.Send(out)
	}
}

// TestLoadBalancedDSR: a client outside fetches from the VIP; the Mux
// encapsulates to the host; the host agent translates VIP:80 to the DIP's
// 8080, the ACL admits it through the Input endpoint; the reply is
// translated back and leaves for the router unencapsulated (DSR).
func TestLoadBalancedDSR(t *testing.T) {
	f := newFabric(t)
	h2PA := netip.MustParseAddr("10.0.0.12")
	agent, err := hostagent.New(hostagent.Config{HostPA: h2PA})
	if err != nil {
		t.Fatal(err)
	}
	lb := slb.LoadBalancer{
		Name:                     "portal",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: vip}},
		BackendAddressPools: []slb.BackendPool{{Name: "be", VNI: vni,
			Backends: []slb.Backend{{DIP: netip.MustParseAddr("10.1.0.5"), HostPA: h2PA}}}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe", BackendPool: "be",
			Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 8080, Probe: "tcp"}},
		Probes: []slb.Probe{{Name: "tcp", Protocol: slb.ProbeTCP, Port: 8080}},
	}
	if err := agent.Configure(lb); err != nil {
		t.Fatal(err)
	}
	h2 := f.host("h2", 2, HostAgent(agent))
	b := f.vm(h2, 5, []Endpoint{{Name: "http", Kind: Input, Protocol: protoTCP, Port: 8080}}, guest.Config{}, VNICConfig{})
	if err := b.Serve(":8080", http.HandlerFunc(hello)); err != nil {
		t.Fatal(err)
	}
	if err := b.Serve(":9090", http.HandlerFunc(hello)); err != nil {
		t.Fatal(err)
	}

	client := netip.MustParseAddr("10.0.0.50")
	m := &muxRouter{port: f.provider.Port("router"), mac: header.MAC{0x02, 0, 0, 0, 0xee, 1}, host: h2PA,
		hostMAC: header.MAC(hwaddr(0xaa, 2)), client: client, clientMAC: header.MAC{0x02, 0, 0, 0, 0xcc, 1},
		buf: make([]byte, 0, 70000)}
	m.port.SetReceiver(m.receive)
	c, err := guest.New("client", f.provider.Port("client"), guest.Config{MAC: m.clientMAC[:],
		Addr: netip.PrefixFrom(client, 24), Gateway: routerPA})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	body, err := fetch(c.HTTPClient(), "http://203.0.113.10/", 10*time.Second)
	if err != nil || !strings.HasPrefix(body, "hello 10.0.0.50:") {
		t.Fatalf("GET the VIP: %q, %v", body, err)
	}
	nat := f.traced(func(e Event) bool { return e.Layer == LayerSLB && e.Action == ActionNAT })
	if len(nat) == 0 || nat[0].Rule != "portal/http" || nat[0].Dst != netip.MustParseAddrPort("10.1.0.5:8080") {
		t.Fatalf("SLB NAT events: %v", nat)
	}
	dsr := f.traced(func(e Event) bool { return e.Layer == LayerSLB && e.Action == ActionDSR })
	if len(dsr) == 0 || dsr[0].Src != netip.MustParseAddrPort("203.0.113.10:80") {
		t.Fatalf("SLB DSR events: %v", dsr)
	}
	if n := len(f.traced(func(e Event) bool { return e.Action == ActionEncap && e.Port == "vm5" })); n != 0 {
		t.Fatalf("%d replies were encapsulated; DSR sends them plain", n)
	}
	// A VIP port no rule names is dropped by the SLB layer.
	if _, err := fetch(c.HTTPClient(), "http://203.0.113.10:9090/", 300*time.Millisecond); err == nil {
		t.Fatal("port 9090 answered")
	}
	drops := f.traced(func(e Event) bool { return e.Layer == LayerSLB && e.Action == ActionDrop })
	if len(drops) == 0 || drops[0].Dst.Port() != 9090 {
		t.Fatalf("SLB drops: %v", drops)
	}
}
