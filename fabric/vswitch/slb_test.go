package vswitch

import (
	"context"
	"fmt"
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
	"github.com/sdnfabric/sdnfabric/slb/mux"
)

var vip = netip.MustParseAddr("203.0.113.10")

// muxRouter is the provider router and a Mux in one test port: it answers
// ARP for the router's address, hands packets for the VIP to an slb/mux Mux
// (which picks the DIP and encapsulates to its host), and routes plain
// packets for the client to the client.
type muxRouter struct {
	port      *netsim.Port
	mac       header.MAC
	mux       *mux.Mux // the real Mux: chooses the DIP and encapsulates
	hostMACs  map[netip.Addr]header.MAC
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
		out := m.buf[:14] // the Ethernet header, filled in below
		out[12], out[13] = 0x08, 0x00
		out, r, err := m.mux.Process(out, frame[14:])
		if err == nil && r.Verdict == mux.VerdictForward {
			hostMAC := m.hostMACs[r.NextHop]
			copy(out, hostMAC[:])
			copy(out[6:], m.mac[:])
			m.port.Send(out)
		}
	case m.client:
		out := append(m.buf[:0], frame...)
		copy(out, m.clientMAC[:])
		copy(out[6:], m.mac[:])
		m.port.Send(out)
	}
}

// TestLoadBalancedDSR: a client outside fetches from the VIP; a real Mux
// picks one of two DIPs on two hosts and encapsulates to its host; the host
// agent translates VIP:80 to the DIP's 8080, the ACL admits it through the
// Input endpoint; the reply is translated back and leaves for the router
// unencapsulated (DSR). New connections spread over both DIPs.
func TestLoadBalancedDSR(t *testing.T) {
	f := newFabric(t)
	h1PA, h2PA := netip.MustParseAddr("10.0.0.11"), netip.MustParseAddr("10.0.0.12")
	lb := slb.LoadBalancer{
		Name:                     "portal",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: vip}},
		BackendAddressPools: []slb.BackendPool{{Name: "be", VNI: vni, Backends: []slb.Backend{
			{DIP: netip.MustParseAddr("10.1.0.4"), HostPA: h1PA},
			{DIP: netip.MustParseAddr("10.1.0.5"), HostPA: h2PA}}}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe", BackendPool: "be",
			Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 8080, Probe: "tcp"}},
		Probes: []slb.Probe{{Name: "tcp", Protocol: slb.ProbeTCP, Port: 8080}},
	}
	input := []Endpoint{{Name: "http", Kind: Input, Protocol: protoTCP, Port: 8080}}
	for i, pa := range []netip.Addr{h1PA, h2PA} {
		agent, err := hostagent.New(hostagent.Config{HostPA: pa})
		if err != nil {
			t.Fatal(err)
		}
		if err := agent.Configure(lb); err != nil {
			t.Fatal(err)
		}
		n := byte(i + 1)
		h := f.host(fmt.Sprint("h", n), n, HostAgent(agent))
		g := f.vm(h, 3+n, input, guest.Config{}, VNICConfig{})
		name := g.Name()
		if err := g.Serve(":8080", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s: hello %s", name, r.RemoteAddr)
		})); err != nil {
			t.Fatal(err)
		}
	}

	client := netip.MustParseAddr("10.0.0.50")
	mx, err := mux.New(mux.Config{LocalPA: routerPA})
	if err != nil {
		t.Fatal(err)
	}
	defer mx.Close(context.Background())
	if err := mx.Configure(context.Background(), lb); err != nil {
		t.Fatal(err)
	}
	m := &muxRouter{port: f.provider.Port("router"), mac: header.MAC{0x02, 0, 0, 0, 0xee, 1}, mux: mx,
		hostMACs: map[netip.Addr]header.MAC{h1PA: header.MAC(hwaddr(0xaa, 1)), h2PA: header.MAC(hwaddr(0xaa, 2))},
		client:   client, clientMAC: header.MAC{0x02, 0, 0, 0, 0xcc, 1}, buf: make([]byte, 0, 70000)}
	m.port.SetReceiver(m.receive)
	c, err := guest.New("client", f.provider.Port("client"), guest.Config{MAC: m.clientMAC[:],
		Addr: netip.PrefixFrom(client, 24), Gateway: routerPA, DisableHTTPKeepAlives: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	seen := map[string]int{}
	hc := c.HTTPClient()
	for range 16 {
		body, err := fetch(hc, "http://203.0.113.10/", 10*time.Second)
		if err != nil || !strings.Contains(body, ": hello 10.0.0.50:") {
			t.Fatalf("GET the VIP: %q, %v", body, err)
		}
		seen[body[:3]]++
	}
	if len(seen) != 2 {
		t.Errorf("16 connections went to %v; want both DIPs", seen)
	}
	nat := f.traced(func(e Event) bool { return e.Layer == LayerSLB && e.Action == ActionNAT })
	if len(nat) == 0 || nat[0].Rule != "portal/http" || nat[0].Dst.Port() != 8080 {
		t.Fatalf("SLB NAT events: %v", nat)
	}
	dsr := f.traced(func(e Event) bool { return e.Layer == LayerSLB && e.Action == ActionDSR })
	if len(dsr) == 0 || dsr[0].Src != netip.MustParseAddrPort("203.0.113.10:80") {
		t.Fatalf("SLB DSR events: %v", dsr)
	}
	if n := len(f.traced(func(e Event) bool { return e.Action == ActionEncap })); n != 0 {
		t.Fatalf("%d packets were encapsulated by a host; DSR replies leave plain", n)
	}
}
