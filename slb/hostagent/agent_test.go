package hostagent_test

import (
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

var (
	vip4    = netip.MustParseAddr("203.0.113.10")
	vip6    = netip.MustParseAddr("2001:db8:f::10")
	host1   = netip.MustParseAddr("192.0.2.11")
	host2   = netip.MustParseAddr("192.0.2.12")
	dipA    = netip.MustParseAddr("10.1.0.5") // on host1
	dipB    = netip.MustParseAddr("10.1.0.6") // on host2
	dipC    = netip.MustParseAddr("10.1.0.7") // on host2
	dipA6   = netip.MustParseAddr("fd00:1::5")
	dipB6   = netip.MustParseAddr("fd00:1::6")
	client4 = netip.MustParseAddr("198.51.100.7")
	client6 = netip.MustParseAddr("2001:db8:c::7")
)

const vni = 5001

var addrCmp = cmp.Options{
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
}

func ap(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }

// portal is the seed's portal load balancer: VIP port 80 load-balanced
// over a pool, and public port 8080 to DIP B's private port 80 (an input
// endpoint); UDP 53 with floating IP; the same over IPv6.
func portal() slb.LoadBalancer {
	return slb.LoadBalancer{
		Name:                     "portal",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: vip4}, {Name: "fe6", VIP: vip6}},
		BackendAddressPools: []slb.BackendPool{
			{Name: "web", VNI: vni, Backends: []slb.Backend{
				{DIP: dipA, HostPA: host1}, {DIP: dipB, HostPA: host2}, {DIP: dipC, HostPA: host2}}},
			{Name: "web6", VNI: vni, Backends: []slb.Backend{
				{DIP: dipA6, HostPA: host1}, {DIP: dipB6, HostPA: host2}}},
		},
		Probes: []slb.Probe{{Name: "http", Protocol: slb.ProbeHTTP, Port: 80, RequestPath: "/health"}},
		LoadBalancingRules: []slb.LoadBalancingRule{
			{Name: "http", Frontend: "fe", BackendPool: "web", Probe: "http", Protocol: slb.ProtocolTCP,
				FrontendPort: 80, BackendPort: 80},
			{Name: "alt", Frontend: "fe", BackendPool: "web", Probe: "http", Protocol: slb.ProtocolTCP,
				FrontendPort: 81, BackendPort: 8081},
			{Name: "dns", Frontend: "fe", BackendPool: "web", Probe: "http", Protocol: slb.ProtocolUDP,
				FrontendPort: 53, BackendPort: 53, EnableFloatingIP: true},
			{Name: "dnsalt", Frontend: "fe", BackendPool: "web", Probe: "http", Protocol: slb.ProtocolUDP,
				FrontendPort: 5353, BackendPort: 53, EnableFloatingIP: true},
			{Name: "http6", Frontend: "fe6", BackendPool: "web6", Probe: "http", Protocol: slb.ProtocolAll,
				FrontendPort: 443, BackendPort: 8443},
		},
		InboundNatRules: []slb.InboundNatRule{
			{Name: "admin", Frontend: "fe", BackendPool: "web", Protocol: slb.ProtocolTCP,
				FrontendPort: 8080, DIP: dipB, BackendPort: 80},
		},
	}
}

// otherVNI and vipOther are another tenant's: its virtual network reuses
// the portal's addresses.
const otherVNI = 6001

var vipOther = netip.MustParseAddr("203.0.113.20")

// otherTenant is another tenant's load balancer: its VMs on host2 have
// the addresses of the portal's B and C, in its own virtual network,
// behind vipOther port 80 with a TCP probe.
func otherTenant() slb.LoadBalancer {
	return slb.LoadBalancer{
		Name:                     "tenant",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: vipOther}},
		BackendAddressPools: []slb.BackendPool{{Name: "web", VNI: otherVNI, Backends: []slb.Backend{
			{DIP: dipB, HostPA: host2}, {DIP: dipC, HostPA: host2}}}},
		Probes: []slb.Probe{{Name: "tcp", Protocol: slb.ProbeTCP, Port: 80}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe", BackendPool: "web", Probe: "tcp",
			Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 80}},
	}
}

// fakeClock is a Clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newAgent(t tb, host netip.Addr, clock hostagent.Clock, lbs ...slb.LoadBalancer) *hostagent.Agent {
	t.Helper()
	a, err := hostagent.New(hostagent.Config{HostPA: host, Clock: clock, FlowTableSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(lbs...); err != nil {
		t.Fatal(err)
	}
	return a
}

// exchange sends in through Inbound and checks the delivered packet,
// then sends the server's reply through Outbound and checks that the
// client sees it from what it sent to.
func exchange(t *testing.T, a *hostagent.Agent, dip netip.Addr, in flow, wantDelivered netip.AddrPort) (hostagent.Result, hostagent.Result) {
	t.Helper()
	pkt := build(t, in)
	rin, err := a.Inbound(pkt, vni, dip)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := read(t, pkt)
	if !ok {
		t.Errorf("inbound %v: bad checksum after rewrite", in)
	}
	if rin.Verdict != hostagent.Deliver || got.Dst != wantDelivered || got.Src != in.Src {
		t.Fatalf("inbound %v -> %v: delivered %v -> %v (%+v), want -> %v", in.Src, in.Dst, got.Src, got.Dst, rin, wantDelivered)
	}
	back := build(t, reply(got))
	rout, err := a.Outbound(back, vni)
	if err != nil {
		t.Fatal(err)
	}
	seen, ok := read(t, back)
	if !ok {
		t.Errorf("outbound reply: bad checksum after rewrite")
	}
	if diff := cmp.Diff(reply(in), seen, addrCmp); diff != "" || rout.Verdict != hostagent.ToRouter {
		t.Fatalf("reply as the client sees it (%+v), -want +got:\n%s", rout, diff)
	}
	return rin, rout
}

func TestInboundReplyDSR(t *testing.T) {
	a := newAgent(t, host2, nil, portal())
	for _, tc := range []struct {
		name    string
		dip     netip.Addr
		in      flow
		deliver netip.AddrPort
		reason  hostagent.Reason
		rule    string
	}{
		{"lb", dipB, flow{Src: ap(client4, 40000), Dst: ap(vip4, 80), Proto: 6, Flags: header.TCPFlagSYN}, ap(dipB, 80), hostagent.ReasonNewFlow, "portal/http"},
		{"lb other DIP", dipC, flow{Src: ap(client4, 40001), Dst: ap(vip4, 80), Proto: 6, Flags: header.TCPFlagSYN}, ap(dipC, 80), hostagent.ReasonNewFlow, "portal/http"},
		{"lb port translation", dipB, flow{Src: ap(client4, 40002), Dst: ap(vip4, 81), Proto: 6, Payload: []byte("GET /")}, ap(dipB, 8081), hostagent.ReasonNewFlow, "portal/alt"},
		{"nat rule 8080 to 80", netip.Addr{}, flow{Src: ap(client4, 40010), Dst: ap(vip4, 8080), Proto: 6, Flags: header.TCPFlagSYN}, ap(dipB, 80), hostagent.ReasonNATRule, "portal/admin"},
		{"floating ip", dipB, flow{Src: ap(client4, 5353), Dst: ap(vip4, 53), Proto: 17, Payload: []byte{1, 2, 3}}, ap(vip4, 53), hostagent.ReasonFloatingIP, "portal/dns"},
		{"floating ip port translation", dipC, flow{Src: ap(client4, 5355), Dst: ap(vip4, 5353), Proto: 17, Payload: []byte{4}}, ap(vip4, 53), hostagent.ReasonFloatingIP, "portal/dnsalt"},
		{"floating ip no udp checksum", dipC, flow{Src: ap(client4, 5354), Dst: ap(vip4, 53), Proto: 17, NoUDPCsum: true}, ap(vip4, 53), hostagent.ReasonFloatingIP, "portal/dns"},
		{"ipv6 tcp", dipB6, flow{Src: ap(client6, 50000), Dst: ap(vip6, 443), Proto: 6, Flags: header.TCPFlagSYN}, ap(dipB6, 8443), hostagent.ReasonNewFlow, "portal/http6"},
		{"ipv6 udp", netip.Addr{}, flow{Src: ap(client6, 50000), Dst: ap(vip6, 443), Proto: 17, Payload: []byte("quic")}, ap(dipB6, 8443), hostagent.ReasonNewFlow, "portal/http6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rin, rout := exchange(t, a, tc.dip, tc.in, tc.deliver)
			if rin.Reason != tc.reason || rin.Rule != tc.rule || rin.VIP != tc.in.Dst.Addr() || rin.VNI != vni {
				t.Errorf("inbound result %+v, want reason %v rule %s", rin, tc.reason, tc.rule)
			}
			if rout.Reason != hostagent.ReasonFlow || rout.Rule != tc.rule || rout.DIP != rin.DIP {
				t.Errorf("outbound result %+v, want an established flow of %s", rout, tc.rule)
			}
			// The flow's second packet takes the established path.
			rin2, _ := exchange(t, a, tc.dip, tc.in, tc.deliver)
			if rin2.Reason != hostagent.ReasonFlow || rin2.DIP != rin.DIP {
				t.Errorf("second packet: %+v, want the flow to %v", rin2, rin.DIP)
			}
		})
	}
	// DIP B's port 80 is behind the load-balancing rule and the NAT
	// rule: flow state tells the replies apart...
	exchange(t, a, dipB, flow{Src: ap(client4, 41000), Dst: ap(vip4, 80), Proto: 6}, ap(dipB, 80))
	exchange(t, a, dipB, flow{Src: ap(client4, 41001), Dst: ap(vip4, 8080), Proto: 6}, ap(dipB, 80))
	// ... unless the client uses one source port for both: the DIP would
	// see one 5-tuple for two connections, so the second is refused.
	pkt := build(t, flow{Src: ap(client4, 41000), Dst: ap(vip4, 8080), Proto: 6})
	if r, _ := a.Inbound(pkt, vni, dipB); r.Verdict != hostagent.Drop || r.Reason != hostagent.ReasonConflict {
		t.Errorf("colliding flow: %+v, want Drop/Conflict", r)
	}
}

func TestInboundDrops(t *testing.T) {
	a := newAgent(t, host2, nil, portal())
	for _, tc := range []struct {
		name    string
		dip     netip.Addr
		vni     uint32
		pkt     []byte
		verdict hostagent.Verdict
		reason  hostagent.Reason
	}{
		{"not a vip", dipB, vni, build(t, flow{Src: ap(client4, 1), Dst: ap(dipB, 80), Proto: 6}), hostagent.Pass, hostagent.ReasonNotVIP},
		{"no rule", dipB, vni, build(t, flow{Src: ap(client4, 1), Dst: ap(vip4, 9999), Proto: 6}), hostagent.Drop, hostagent.ReasonNoRule},
		{"wrong vni", dipB, 7, build(t, flow{Src: ap(client4, 1), Dst: ap(vip4, 80), Proto: 6}), hostagent.Drop, hostagent.ReasonNoRule},
		{"dip on another host", dipA, vni, build(t, flow{Src: ap(client4, 1), Dst: ap(vip4, 80), Proto: 6}), hostagent.Drop, hostagent.ReasonNoDIP},
		{"fragment", dipB, vni, build(t, flow{Src: ap(client4, 1), Dst: ap(vip4, 80), Proto: 17, FragOffset: 4}), hostagent.Drop, hostagent.ReasonNoFlow},
		{"truncated", dipB, vni, build(t, flow{Src: ap(client4, 1), Dst: ap(vip4, 80), Proto: 6})[:30], hostagent.Drop, hostagent.ReasonMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := append([]byte(nil), tc.pkt...)
			r, err := a.Inbound(tc.pkt, tc.vni, tc.dip)
			if r.Verdict != tc.verdict || r.Reason != tc.reason {
				t.Errorf("got %v/%v (%v), want %v/%v", r.Verdict, r.Reason, err, tc.verdict, tc.reason)
			}
			if diff := cmp.Diff(orig, tc.pkt); diff != "" {
				t.Errorf("packet changed:\n%s", diff)
			}
			var he *header.Error
			if (tc.reason == hostagent.ReasonMalformed) != errors.As(err, &he) {
				t.Errorf("error %v", err)
			}
		})
	}
}

// A reply that matches no flow (the agent restarted, or the table was
// full) is reversed from the configuration, and the flow recorded again;
// a SYN from the backend port is a new connection, not a reply.
func TestStatelessReply(t *testing.T) {
	a := newAgent(t, host2, nil, portal())
	client := ap(client4, 42000)
	pkt := build(t, flow{Src: ap(dipC, 8081), Dst: client, Proto: 6, Flags: header.TCPFlagACK})
	r, err := a.Outbound(pkt, vni)
	if err != nil || r.Verdict != hostagent.ToRouter || r.Reason != hostagent.ReasonStateless || r.Rule != "portal/alt" {
		t.Fatalf("got %+v, %v", r, err)
	}
	if got, ok := read(t, pkt); !ok || got.Src != ap(vip4, 81) {
		t.Fatalf("reply from %v (checksums ok %v), want the VIP", got.Src, ok)
	}
	exchange(t, a, netip.Addr{}, flow{Src: client, Dst: ap(vip4, 81), Proto: 6, Flags: header.TCPFlagACK}, ap(dipC, 8081))

	// Port 80 of DIP B is behind two rules (80 and 8080): ambiguous.
	pkt = build(t, flow{Src: ap(dipB, 80), Dst: client, Proto: 6, Flags: header.TCPFlagACK})
	if r, _ := a.Outbound(pkt, vni); r.Verdict != hostagent.Pass {
		t.Errorf("ambiguous reply: %+v, want Pass", r)
	}
	pkt = build(t, flow{Src: ap(dipC, 8081), Dst: ap(client4, 42001), Proto: 6, Flags: header.TCPFlagSYN})
	if r, _ := a.Outbound(pkt, vni); r.Verdict != hostagent.Pass {
		t.Errorf("SYN from the backend port: %+v, want Pass", r)
	}
}

func TestIdleTimeout(t *testing.T) {
	clock := newFakeClock()
	lb := portal()
	lb.LoadBalancingRules[0].IdleTimeoutInMinutes = 10
	a := newAgent(t, host2, clock, lb)
	in := flow{Src: ap(client4, 43000), Dst: ap(vip4, 80), Proto: 6}
	exchange(t, a, dipC, in, ap(dipC, 80))
	if n := a.Stats().Flows; n != 1 {
		t.Fatalf("%d flows, want 1", n)
	}
	clock.Advance(9 * time.Minute)
	a.Expire()
	if rin, _ := exchange(t, a, netip.Addr{}, in, ap(dipC, 80)); rin.Reason != hostagent.ReasonFlow {
		t.Errorf("after 9 minutes: %v, want the flow", rin.Reason)
	}
	clock.Advance(11 * time.Minute)
	if n := a.Expire(); n != 0 {
		t.Errorf("%d flows after the idle timeout, want 0", n)
	}
	// A RST shortens the flow's life.
	in.Flags = header.TCPFlagRST
	exchange(t, a, dipB, in, ap(dipB, 80))
	clock.Advance(time.Minute)
	if n := a.Expire(); n != 0 {
		t.Errorf("%d flows a minute after a RST, want 0", n)
	}
}

func TestFlowTableFull(t *testing.T) {
	a, err := hostagent.New(hostagent.Config{HostPA: host2, FlowTableSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(portal()); err != nil {
		t.Fatal(err)
	}
	full := false
	for port := uint16(1); port < 2000 && !full; port++ {
		// The translation still happens: the reply is reversed from
		// the configuration.
		rin, _ := exchange(t, a, dipB, flow{Src: ap(client4, port), Dst: ap(vip4, 81), Proto: 6}, ap(dipB, 8081))
		full = rin.Reason == hostagent.ReasonTableFull
	}
	if !full {
		t.Fatal("the table never filled")
	}
	if got := a.Stats().Reasons[hostagent.ReasonTableFull]; got == 0 {
		t.Error("ReasonTableFull not counted")
	}
}

// An invalid configuration is refused with the field named, and the
// previous one stays.
func TestConfigureInvalid(t *testing.T) {
	a := newAgent(t, host2, nil, portal())
	bad := portal()
	bad.LoadBalancingRules[0].BackendPort = 70000
	err := a.Configure(portal(), bad)
	var fe *slb.FieldError
	if !errors.As(err, &fe) || fe.Path != "loadBalancingRules[0].backendPort" {
		t.Fatalf("error %v", err)
	}
	exchange(t, a, dipB, flow{Src: ap(client4, 1), Dst: ap(vip4, 80), Proto: 6}, ap(dipB, 80))
	if _, err := hostagent.New(hostagent.Config{}); err == nil {
		t.Error("New without HostPA succeeded")
	}
}
