package slb_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
	"github.com/sdnfabric/sdnfabric/slb/mux"
	"github.com/sdnfabric/sdnfabric/slb/snat"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

// The end-to-end path of the seed's portal, in memory: a client's packets
// go to the Mux, which encapsulates them in VXLAN to the DIP's host; the
// host decapsulates them (package vxlan) and its agent translates them for
// the backend; the backend's replies leave the host through the agent
// straight for the router and reach the client from the VIP, without
// passing the Mux. An inbound NAT rule maps public port 8080 to one DIP's
// private port 80, and the backends' own outbound connections are SNATed
// through blocks leased by the SNAT manager and programmed into the Mux.

var (
	e2eVIP    = netip.MustParseAddr("203.0.113.10")
	e2eMuxPA  = netip.MustParseAddr("192.0.2.1")
	e2eHost1  = netip.MustParseAddr("192.0.2.11")
	e2eHost2  = netip.MustParseAddr("192.0.2.12")
	e2eDIP1   = netip.MustParseAddr("10.1.0.5")
	e2eDIP2   = netip.MustParseAddr("10.1.0.6")
	e2eClient = netip.MustParseAddr("198.51.100.7")
	e2eRemote = netip.MustParseAddr("8.8.8.8")
)

const e2eVNI = 5001

func e2ePortal() slb.LoadBalancer {
	return slb.LoadBalancer{
		Name:                     "portal",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: e2eVIP}},
		BackendAddressPools: []slb.BackendPool{{Name: "web", VNI: e2eVNI, Backends: []slb.Backend{
			{DIP: e2eDIP1, HostPA: e2eHost1}, {DIP: e2eDIP2, HostPA: e2eHost2}}}},
		Probes: []slb.Probe{{Name: "http", Protocol: slb.ProbeHTTP, Port: 80, RequestPath: "/"}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe", BackendPool: "web", Probe: "http",
			Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 80}},
		InboundNatRules: []slb.InboundNatRule{{Name: "admin", Frontend: "fe", BackendPool: "web",
			Protocol: slb.ProtocolTCP, FrontendPort: 8080, DIP: e2eDIP2, BackendPort: 80}},
		OutboundRules: []slb.OutboundRule{{Name: "out", Frontends: []string{"fe"}, BackendPool: "web",
			Protocol: slb.ProtocolTCP, AllocatedOutboundPorts: 64}},
	}
}

type e2eClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *e2eClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// noProbes is a Dialer for the agents' probes that reaches nothing; the
// test never calls Tick after the first, so every DIP stays up.
type noProbes struct{}

func (noProbes) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no network in this test")
}

// e2eFabric is the test's network: one Mux, two hosts.
type e2eFabric struct {
	t      *testing.T
	mux    *mux.Mux
	mgr    *snat.Manager
	agents map[netip.Addr]*hostagent.Agent // by host PA
	decap  vxlan.Decap
	buf    []byte
}

func newE2EFabric(t *testing.T) *e2eFabric {
	clock := &e2eClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	quiet := slog.New(slog.DiscardHandler)
	lb := e2ePortal()
	f := &e2eFabric{t: t, agents: map[netip.Addr]*hostagent.Agent{}}
	m, err := mux.New(mux.Config{LocalPA: e2eMuxPA, Clock: clock, FlowTableSize: 1 << 12, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Configure(context.Background(), lb); err != nil {
		t.Fatal(err)
	}
	f.mux = m
	// The SNAT manager programs the Mux with every block it grants, so
	// that replies to SNATed connections reach the DIP's host.
	f.mgr = snat.New(snat.Config{Clock: clock, Logger: quiet, OnChange: func(l snat.Lease, granted bool) {
		ml := mux.SNATLease{VIP: l.VIP, Protocol: l.Protocol, Port: l.First, HostPA: l.Host, VNI: l.VNI, DIP: l.DIP}
		if granted {
			if err := m.LeaseSNAT(ml); err != nil {
				t.Error(err)
			}
		} else {
			m.ReleaseSNAT(ml)
		}
	}})
	if err := f.mgr.Configure(lb); err != nil {
		t.Fatal(err)
	}
	for _, host := range []netip.Addr{e2eHost1, e2eHost2} {
		a, err := hostagent.New(hostagent.Config{HostPA: host, Clock: clock, FlowTableSize: 1 << 12,
			Leaser: f.mgr, Dialer: noProbes{}, Logger: quiet, Internal: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
			OnHealth: func(vni uint32, dip netip.Addr, up bool) { m.SetHealth(vni, dip, up) }})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Configure(lb); err != nil {
			t.Fatal(err)
		}
		f.agents[host] = a
	}
	return f
}

// toVIP sends a packet from the Internet to the VIP: router -> Mux ->
// VXLAN -> host -> agent. It returns the packet as the backend receives
// it and the DIP's host, or fails the test.
func (f *e2eFabric) toVIP(pkt []byte) ([]byte, netip.Addr, hostagent.Result) {
	t := f.t
	t.Helper()
	out, res, err := f.mux.Process(f.buf[:0], pkt)
	if err != nil || res.Verdict != mux.VerdictForward {
		t.Fatalf("mux: %v, %v", res.Verdict, err)
	}
	f.buf = out
	// The provider network delivers the outer packet to its destination,
	// the DIP's host, whose vSwitch decapsulates it.
	vx, err := f.decap.Decapsulate(out)
	if err != nil {
		t.Fatal(err)
	}
	agent := f.agents[vx.Dst.Addr()]
	if agent == nil || vx.Dst.Addr() != res.NextHop {
		t.Fatalf("outer destination %v is no host", vx.Dst)
	}
	eth, err := header.ParseEthernet(vx.Frame)
	if err != nil {
		t.Fatal(err)
	}
	inner := append([]byte(nil), eth.Payload()...)
	ar, err := agent.Inbound(inner, uint32(vx.Header.VNI), netip.Addr{})
	if err != nil || ar.Verdict != hostagent.Deliver {
		t.Fatalf("host %v agent: %+v, %v", vx.Dst.Addr(), ar, err)
	}
	if ar.DIP != res.DIP {
		t.Fatalf("the Mux chose DIP %v, the host delivered to %v", res.DIP, ar.DIP)
	}
	return inner, vx.Dst.Addr(), ar
}

// fromDIP sends a backend's packet out through its host's agent, which
// must send it straight to the router.
func (f *e2eFabric) fromDIP(host netip.Addr, pkt []byte) hostagent.Result {
	f.t.Helper()
	r, err := f.agents[host].Outbound(pkt, e2eVNI)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// tcp builds a TCP segment with valid checksums.
func tcp(src, dst netip.AddrPort, flags header.TCPFlags, payload string) []byte {
	b := make([]byte, header.IPv4MinSize+header.TCPMinSize+len(payload))
	ip, _ := header.InitIPv4(b, header.IPv4MinSize)
	ip.SetTTL(64)
	ip.SetProtocol(6)
	ip.SetSource(src.Addr())
	ip.SetDestination(dst.Addr())
	ip.SetChecksum(ip.ComputeChecksum())
	seg, _ := header.InitTCP(ip.Payload(), header.TCPMinSize)
	seg.SetSourcePort(src.Port())
	seg.SetDestinationPort(dst.Port())
	seg.SetFlags(flags)
	seg.SetWindow(65535)
	copy(seg.Payload(), payload)
	seg.SetChecksum(seg.ComputeChecksum(checksum.PseudoHeader(src.Addr(), dst.Addr(), 6, len(seg))))
	return b
}

// endpoints returns a TCP segment's addresses and payload, and whether
// its checksums verify.
func endpoints(t *testing.T, b []byte) (src, dst netip.AddrPort, payload string, ok bool) {
	t.Helper()
	ip, err := header.ParseIPv4(b)
	if err != nil {
		t.Fatal(err)
	}
	seg := header.TCP(ip.Payload())
	ok = ip.ValidChecksum() && seg.ValidChecksum(checksum.PseudoHeader(ip.Source(), ip.Destination(), 6, len(seg)))
	return netip.AddrPortFrom(ip.Source(), seg.SourcePort()), netip.AddrPortFrom(ip.Destination(), seg.DestinationPort()),
		string(seg.Payload()), ok
}

func TestEndToEnd(t *testing.T) {
	f := newE2EFabric(t)
	vip80 := netip.AddrPortFrom(e2eVIP, 80)
	hosts := map[netip.Addr]int{}
	for port := uint16(40000); port < 40040; port++ {
		client := netip.AddrPortFrom(e2eClient, port)
		for i, flags := range []header.TCPFlags{header.TCPFlagSYN, header.TCPFlagACK | header.TCPFlagPSH} {
			got, host, ar := f.toVIP(tcp(client, vip80, flags, "GET / HTTP/1.1\r\n"))
			src, dst, payload, ok := endpoints(t, got)
			if !ok || src != client || dst != netip.AddrPortFrom(ar.DIP, 80) || payload != "GET / HTTP/1.1\r\n" {
				t.Fatalf("backend got %v -> %v %q (checksums ok %v)", src, dst, payload, ok)
			}
			if i == 0 {
				hosts[host]++
			}
			// The backend answers; the reply goes host -> router -> client.
			muxBefore := f.mux.Stats().Packets()
			reply := tcp(dst, src, header.TCPFlagSYN|header.TCPFlagACK, "HTTP/1.1 200 OK\r\n")
			if r := f.fromDIP(host, reply); r.Verdict != hostagent.ToRouter {
				t.Fatalf("reply: %+v, want ToRouter (Direct Server Return)", r)
			}
			if f.mux.Stats().Packets() != muxBefore {
				t.Fatal("the reply passed the Mux")
			}
			rsrc, rdst, rpayload, ok := endpoints(t, reply)
			if !ok || rsrc != vip80 || rdst != client || rpayload != "HTTP/1.1 200 OK\r\n" {
				t.Fatalf("client got %v -> %v %q (checksums ok %v), want from %v", rsrc, rdst, rpayload, ok, vip80)
			}
		}
	}
	if len(hosts) != 2 {
		t.Errorf("40 flows all went to %v", hosts)
	}

	// The input endpoint: public 8080 to DIP 2's private port 80.
	client := netip.AddrPortFrom(e2eClient, 50000)
	got, host, _ := f.toVIP(tcp(client, netip.AddrPortFrom(e2eVIP, 8080), header.TCPFlagSYN, ""))
	if _, dst, _, ok := endpoints(t, got); !ok || host != e2eHost2 || dst != netip.AddrPortFrom(e2eDIP2, 80) {
		t.Fatalf("NAT rule delivered to %v on %v", dst, host)
	}
	reply := tcp(netip.AddrPortFrom(e2eDIP2, 80), client, header.TCPFlagSYN|header.TCPFlagACK, "")
	if r := f.fromDIP(e2eHost2, reply); r.Verdict != hostagent.ToRouter || r.Rule != "portal/admin" {
		t.Fatalf("NAT reply: %+v", r)
	}
	if src, _, _, ok := endpoints(t, reply); !ok || src != netip.AddrPortFrom(e2eVIP, 8080) {
		t.Fatalf("NAT reply from %v, want the VIP's port 8080", src)
	}

	// A backend's own connection to the Internet: SNAT to the VIP, and
	// the answer back through the Mux, which knows the leased block.
	dipSide := netip.AddrPortFrom(e2eDIP1, 33000)
	remote := netip.AddrPortFrom(e2eRemote, 443)
	var syn []byte
	deadline := time.Now().Add(5 * time.Second)
	for {
		syn = tcp(dipSide, remote, header.TCPFlagSYN, "")
		r := f.fromDIP(e2eHost1, syn)
		if r.Verdict == hostagent.ToRouter {
			break
		}
		if r.Reason != hostagent.ReasonSNATPending || time.Now().After(deadline) {
			t.Fatalf("SNAT: %+v", r)
		}
		time.Sleep(time.Millisecond) // the block is on its way; TCP would retransmit
	}
	mapped, dst, _, ok := endpoints(t, syn)
	if !ok || mapped.Addr() != e2eVIP || dst != remote {
		t.Fatalf("SNATed SYN %v -> %v", mapped, dst)
	}
	got, host, ar := f.toVIP(tcp(remote, mapped, header.TCPFlagSYN|header.TCPFlagACK, ""))
	if _, dst, _, ok := endpoints(t, got); !ok || host != e2eHost1 || dst != dipSide || ar.Reason != hostagent.ReasonFlow {
		t.Fatalf("SNAT answer delivered to %v on %v (%+v)", dst, host, ar)
	}
}
