package mux

import (
	"context"
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
)

// tb is what the helpers need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// fakeClock is a Clock in virtual time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// recorder is an Announcer that remembers the announced prefixes and
// every call.
type recorder struct {
	mu    sync.Mutex
	up    map[netip.Prefix]bool
	calls []string
}

func newRecorder() *recorder { return &recorder{up: map[netip.Prefix]bool{}} }

func (r *recorder) Announce(_ context.Context, p netip.Prefix) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.up[p] = true
	r.calls = append(r.calls, "announce "+p.String())
	return nil
}

func (r *recorder) Withdraw(_ context.Context, p netip.Prefix) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.up, p)
	r.calls = append(r.calls, "withdraw "+p.String())
	return nil
}

func (r *recorder) announced() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for p := range r.up {
		s = append(s, p.String())
	}
	slices.Sort(s)
	return s
}

var (
	vip4   = netip.MustParseAddr("203.0.113.10")
	vip6   = netip.MustParseAddr("2001:db8:f::10")
	client = netip.MustParseAddr("198.51.100.7")
	cli6   = netip.MustParseAddr("2001:db8:c::7")
	muxPA  = netip.MustParseAddr("10.0.0.1")
	muxPA6 = netip.MustParseAddr("fd00::1")
)

func dip(i int) netip.Addr  { return netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}) }
func host(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 1, byte(i)}) }
func host6(i int) netip.Addr {
	return netip.AddrFrom16([16]byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, byte(i)})
}

// backends returns DIPs 1..n on hosts 1..n.
func backends(n int) []slb.Backend {
	var bs []slb.Backend
	for i := 1; i <= n; i++ {
		bs = append(bs, slb.Backend{DIP: dip(i), HostPA: host(i%200 + 1)})
	}
	return bs
}

// webVNI is the virtual network of webLB's pool.
const webVNI = 5001

// webLB is a load balancer with an IPv4 VIP: TCP 80 -> 8080 over pool
// "web" (VNI 5001), an inbound NAT rule 2201 -> DIP 1 port 22, and a pool
// NAT rule 3000-3999 -> port 3389.
func webLB(pool []slb.Backend) slb.LoadBalancer {
	return slb.LoadBalancer{
		Name:                     "lb",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: vip4}},
		BackendAddressPools:      []slb.BackendPool{{Name: "web", VNI: webVNI, Backends: pool}},
		Probes:                   []slb.Probe{{Name: "p", Protocol: slb.ProbeTCP, Port: 8080}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe", BackendPool: "web", Probe: "p",
			Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 8080}},
		InboundNatRules: []slb.InboundNatRule{
			{Name: "ssh", Frontend: "fe", BackendPool: "web", Protocol: slb.ProtocolTCP, FrontendPort: 2201, DIP: pool[0].DIP, BackendPort: 22},
			{Name: "rdp", Frontend: "fe", BackendPool: "web", Protocol: slb.ProtocolTCP, FrontendPortRangeStart: 3000, FrontendPortRangeEnd: 3999, BackendPort: 3389},
		},
	}
}

func newMux(t tb, cfg Config) *Mux {
	t.Helper()
	if !cfg.LocalPA.IsValid() {
		cfg.LocalPA = muxPA
	}
	if cfg.FlowTableSize == 0 {
		cfg.FlowTableSize = 1 << 12
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func configure(t tb, m *Mux, lbs ...slb.LoadBalancer) {
	t.Helper()
	if err := m.Configure(context.Background(), lbs...); err != nil {
		t.Fatal(err)
	}
}

// pk describes a test packet.
type pk struct {
	src, dst netip.Addr
	proto    uint8
	sp, dp   uint16
	flags    uint8  // TCP
	mss      uint16 // TCP MSS option, 0 for none
	mssOdd   bool   // put a NOP before the MSS option so that it is misaligned
	payload  int
}

func tcpPk(src, dst netip.Addr, sp, dp uint16) pk {
	return pk{src: src, dst: dst, proto: protoTCP, sp: sp, dp: dp, flags: 0x10, payload: 20}
}

// bytes builds the packet with valid checksums.
func (k pk) bytes() []byte {
	var l4 []byte
	switch k.proto {
	case protoTCP:
		var opts []byte
		if k.mssOdd {
			opts = append(opts, 1)
		}
		if k.mss != 0 {
			opts = header.AppendMSS(opts, k.mss)
		}
		for len(opts)%4 != 0 {
			opts = append(opts, 1)
		}
		l4 = make([]byte, 20+len(opts)+k.payload)
		tcp, _ := header.InitTCP(l4, 20+len(opts))
		copy(tcp[20:], opts)
		tcp.SetSourcePort(k.sp)
		tcp.SetDestinationPort(k.dp)
		tcp.SetFlags(header.TCPFlags(k.flags))
		tcp.SetWindow(65535)
		for i := range k.payload {
			l4[20+len(opts)+i] = byte(i)
		}
		tcp.SetChecksum(tcp.ComputeChecksum(checksum.PseudoHeader(k.src, k.dst, protoTCP, len(l4))))
	case protoUDP:
		l4 = make([]byte, 8+k.payload)
		u, _ := header.InitUDP(l4)
		u.SetSourcePort(k.sp)
		u.SetDestinationPort(k.dp)
		u.SetChecksum(u.ComputeChecksum(checksum.PseudoHeader(k.src, k.dst, protoUDP, len(l4))))
	default:
		l4 = make([]byte, 8+k.payload)
	}
	return ipPacket(k.src, k.dst, k.proto, l4)
}

func ipPacket(src, dst netip.Addr, proto uint8, l4 []byte) []byte {
	if src.Is4() {
		b := make([]byte, 20+len(l4))
		ip, _ := header.InitIPv4(b, 20)
		ip.SetTTL(60)
		ip.SetProtocol(proto)
		ip.SetSource(src)
		ip.SetDestination(dst)
		ip.SetID(0x1234)
		ip.SetChecksum(ip.ComputeChecksum())
		copy(b[20:], l4)
		return b
	}
	b := make([]byte, 40+len(l4))
	ip, _ := header.InitIPv6(b)
	ip.SetNextHeader(proto)
	ip.SetHopLimit(60)
	ip.SetSource(src)
	ip.SetDestination(dst)
	copy(b[40:], l4)
	return b
}

// fragments splits an unfragmented packet into two fragments, the first
// carrying first bytes (a multiple of 8) of the IP payload.
func fragments(pkt []byte, first int, id uint32) (a, b []byte) {
	if pkt[0]>>4 == 4 {
		payload := pkt[20:]
		a = slices.Clone(pkt[:20+first])
		b = append(slices.Clone(pkt[:20]), payload[first:]...)
		binary.BigEndian.PutUint16(a[2:], uint16(len(a)))
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		binary.BigEndian.PutUint16(a[4:], uint16(id))
		binary.BigEndian.PutUint16(b[4:], uint16(id))
		binary.BigEndian.PutUint16(a[6:], 0x2000)
		binary.BigEndian.PutUint16(b[6:], uint16(first/8))
		for _, f := range [][]byte{a, b} {
			ip := header.IPv4(f)
			ip.SetChecksum(ip.ComputeChecksum())
		}
		return a, b
	}
	proto := pkt[6]
	payload := pkt[40:]
	mk := func(off int, more bool, part []byte) []byte {
		f := append(slices.Clone(pkt[:40]), make([]byte, 8)...)
		f[6] = header.ProtocolFragment
		f[40] = proto
		fo := uint16(off/8) << 3
		if more {
			fo |= 1
		}
		binary.BigEndian.PutUint16(f[42:], fo)
		binary.BigEndian.PutUint32(f[44:], id)
		f = append(f, part...)
		binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		return f
	}
	return mk(0, true, payload[:first]), mk(first, false, payload[first:])
}

// icmpError builds an ICMP error from router to the VIP quoting orig (a
// packet the VIP sent, as the backend did by DSR): for IPv4 destination
// unreachable, fragmentation needed; for IPv6 packet too big.
func icmpError(router netip.Addr, orig []byte, mtu int) []byte {
	if router.Is4() {
		quote := orig[:min(len(orig), 28)]
		m := make([]byte, 8+len(quote))
		ic, _ := header.InitICMPv4(m, 3, 4)
		ic.SetMTU(uint16(mtu))
		copy(m[8:], quote)
		ic.SetChecksum(ic.ComputeChecksum())
		return ipPacket(router, header.IPv4(orig).Source(), protoICMP, m)
	}
	m := make([]byte, 8+len(orig))
	ic, _ := header.InitICMPv6(m, 2, 0)
	ic.SetMTU(uint32(mtu))
	copy(m[8:], orig)
	src := header.IPv6(orig).Source()
	ic.SetChecksum(ic.ComputeChecksum(checksum.PseudoHeader(router, src, protoICMPv6, len(m))))
	return ipPacket(router, src, protoICMPv6, m)
}

// reply is the packet the backend sends back to the client by DSR.
func reply(k pk) []byte {
	k.src, k.dst, k.sp, k.dp = k.dst, k.src, k.dp, k.sp
	return k.bytes()
}

// send processes pkt and fails the test on error.
func send(t tb, m *Mux, pkt []byte) Result {
	t.Helper()
	_, r, err := m.Process(nil, pkt)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return r
}
