package router

import (
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// capture is an Output that records copies of the frames sent.
type capture struct {
	mu     sync.Mutex
	frames []sent
}

type sent struct {
	ifIndex int
	frame   []byte
	mss     int // SendSuper's; 0 for Send
}

func (c *capture) Send(ifIndex int, frame []byte) error { return c.SendSuper(ifIndex, frame, 0) }

// SendSuper makes capture a SuperOutput.
func (c *capture) SendSuper(ifIndex int, frame []byte, mss int) error {
	c.mu.Lock()
	c.frames = append(c.frames, sent{ifIndex, slices.Clone(frame), mss})
	c.mu.Unlock()
	return nil
}

// take returns and forgets the frames sent so far.
func (c *capture) take() []sent {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.frames
	c.frames = nil
	return f
}

// clock is a virtual clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var (
	macR1 = header.MAC{0x02, 0, 0, 0, 0, 0x01} // router, interface 1
	macR2 = header.MAC{0x02, 0, 0, 0, 0, 0x02} // router, interface 2
	macA  = header.MAC{0x02, 0, 0, 0, 0xa, 0x0a}
	macB  = header.MAC{0x02, 0, 0, 0, 0xb, 0x0b}

	r1v4 = netip.MustParseAddr("10.99.1.1")
	r2v4 = netip.MustParseAddr("10.99.2.1")
	hAv4 = netip.MustParseAddr("10.99.1.10")
	hBv4 = netip.MustParseAddr("10.99.2.20")
	r1v6 = netip.MustParseAddr("2001:db8:1::1")
	r2v6 = netip.MustParseAddr("2001:db8:2::1")
	hAv6 = netip.MustParseAddr("2001:db8:1::10")
	hBv6 = netip.MustParseAddr("2001:db8:2::20")
)

// testRouter returns a router with interface 1 (10.99.1.1/24,
// 2001:db8:1::1/64) towards host A and interface 2 (10.99.2.1/24,
// 2001:db8:2::1/64) towards host B, a virtual clock and a capture output.
// The announcements of the addresses are discarded.
func testRouter(t testing.TB) (*Router, *capture, *clock) {
	t.Helper()
	out := &capture{}
	clk := &clock{t: time.Unix(1_000_000, 0)}
	r := New(Config{Output: out, Now: clk.Now})
	for _, ifc := range []Interface{
		{Index: 1, Name: "inside", MAC: macR1, Addrs: []netip.Prefix{netip.PrefixFrom(r1v4, 24), netip.PrefixFrom(r1v6, 64)}},
		{Index: 2, Name: "outside", MAC: macR2, Addrs: []netip.Prefix{netip.PrefixFrom(r2v4, 24), netip.PrefixFrom(r2v6, 64)}},
	} {
		if err := r.SetInterface(ifc); err != nil {
			t.Fatal(err)
		}
	}
	out.take()
	return r, out, clk
}

// resolve teaches the router the MAC of a neighbor through an unsolicited
// ARP request or Neighbor Solicitation, then confirms it, as a host would.
func resolve(t testing.TB, r *Router, ifIndex int, addr netip.Addr, mac header.MAC) {
	t.Helper()
	var local netip.Addr
	for _, ifc := range r.Interfaces() {
		if ifc.Index == ifIndex {
			for _, p := range ifc.Addrs {
				if p.Addr().Is4() == addr.Is4() && !p.Addr().IsLinkLocalUnicast() {
					local = p.Addr()
				}
			}
		}
	}
	if addr.Is4() {
		if err := r.Input(ifIndex, arpFrame(header.ARPReply, mac, addr, ifMAC(ifIndex), local)); err != nil {
			t.Fatal(err)
		}
	} else if err := r.Input(ifIndex, nsFrame(mac, addr, local)); err != nil {
		t.Fatal(err)
	} else if err := r.Input(ifIndex, naFrame(mac, addr, ifMAC(ifIndex), local, header.NDPFlagSolicited|header.NDPFlagOverride)); err != nil {
		t.Fatal(err)
	}
}

func ifMAC(i int) header.MAC {
	if i == 1 {
		return macR1
	}
	return macR2
}

func arpFrame(op header.ARPOp, smac header.MAC, sip netip.Addr, tmac header.MAC, tip netip.Addr) []byte {
	b := make([]byte, 14+28)
	dst := tmac
	if op == header.ARPRequest {
		dst = header.BroadcastMAC
	}
	header.InitEthernet(b, dst, smac, header.EtherTypeARP)
	header.InitARP(b[14:], op, smac, sip, tmac, tip)
	return b
}

// udp4 builds an Ethernet frame with an IPv4/UDP datagram.
func udp4(dstMAC, srcMAC header.MAC, src, dst netip.Addr, ttl uint8, sport, dport uint16, payload int) []byte {
	b := make([]byte, 14+20+8+payload)
	header.InitEthernet(b, dstMAC, srcMAC, header.EtherTypeIPv4)
	ip, _ := header.InitIPv4(b[14:], 20)
	ip.SetTTL(ttl)
	ip.SetProtocol(header.ProtocolUDP)
	ip.SetSource(src)
	ip.SetDestination(dst)
	ip.SetID(0x1234)
	ip.SetChecksum(ip.ComputeChecksum())
	u, _ := header.InitUDP(ip[20:])
	u.SetSourcePort(sport)
	u.SetDestinationPort(dport)
	return b
}

// udp6 builds an Ethernet frame with an IPv6/UDP datagram.
func udp6(dstMAC, srcMAC header.MAC, src, dst netip.Addr, hl uint8, sport, dport uint16, payload int) []byte {
	b := make([]byte, 14+40+8+payload)
	header.InitEthernet(b, dstMAC, srcMAC, header.EtherTypeIPv6)
	ip, _ := header.InitIPv6(b[14:])
	ip.SetNextHeader(header.ProtocolUDP)
	ip.SetHopLimit(hl)
	ip.SetSource(src)
	ip.SetDestination(dst)
	u, _ := header.InitUDP(ip[40:])
	u.SetSourcePort(sport)
	u.SetDestinationPort(dport)
	return b
}

func icmp6Frame(dstMAC, srcMAC header.MAC, src, dst netip.Addr, hl uint8, typ uint8, body func(m header.ICMPv6) header.ICMPv6, size int) []byte {
	b := make([]byte, 14+40+size)
	header.InitEthernet(b, dstMAC, srcMAC, header.EtherTypeIPv6)
	ip, _ := header.InitIPv6(b[14:])
	ip.SetNextHeader(header.ProtocolICMPv6)
	ip.SetHopLimit(hl)
	ip.SetSource(src)
	ip.SetDestination(dst)
	m, _ := header.InitICMPv6(ip[40:], typ, 0)
	m = body(m)
	ip.SetPayloadLength(uint16(len(m)))
	m.SetChecksum(m.ComputeChecksum(checksum.PseudoHeader(src, dst, header.ProtocolICMPv6, len(m))))
	return b[:14+40+len(m)]
}

// naFrame builds a Neighbor Advertisement for target from a host.
func naFrame(mac header.MAC, target netip.Addr, dstMAC header.MAC, dst netip.Addr, flags uint8) []byte {
	return icmp6Frame(dstMAC, mac, target, dst, 255, header.ICMPv6NeighborAdvert, func(m header.ICMPv6) header.ICMPv6 {
		m.SetTarget(target)
		m.SetNDPFlags(flags)
		return header.ICMPv6(header.AppendLinkAddrOption(m[:24], header.NDPOptionTargetLinkAddr, mac))
	}, 32)
}

// nsFrame builds a Neighbor Solicitation for target from a host.
func nsFrame(mac header.MAC, src, target netip.Addr) []byte {
	g := solicitedNode(target)
	return icmp6Frame(ipv6MulticastMAC(g), mac, src, g, 255, header.ICMPv6NeighborSolicitation, func(m header.ICMPv6) header.ICMPv6 {
		m.SetTarget(target)
		return header.ICMPv6(header.AppendLinkAddrOption(m[:24], header.NDPOptionSourceLinkAddr, mac))
	}, 32)
}

// parse4 returns the IPv4 packet of a sent frame.
func parse4(t tb, f []byte) header.IPv4 {
	t.Helper()
	eth, err := header.ParseEthernet(f)
	if err != nil || eth.EtherType() != header.EtherTypeIPv4 {
		t.Fatalf("not an IPv4 frame: %x (%v)", f, err)
	}
	ip, err := header.ParseIPv4(eth.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if !ip.ValidChecksum() {
		t.Fatalf("bad IPv4 header checksum")
	}
	return ip
}

func parse6(t tb, f []byte) header.IPv6 {
	t.Helper()
	eth, err := header.ParseEthernet(f)
	if err != nil || eth.EtherType() != header.EtherTypeIPv6 {
		t.Fatalf("not an IPv6 frame: %x (%v)", f, err)
	}
	ip, err := header.ParseIPv6(eth.Payload())
	if err != nil {
		t.Fatal(err)
	}
	return ip
}

// icmp4Of returns the ICMP message of a sent IPv4 frame, its checksum
// verified.
func icmp4Of(t tb, f []byte) (header.IPv4, header.ICMPv4) {
	t.Helper()
	ip := parse4(t, f)
	if ip.Protocol() != header.ProtocolICMPv4 {
		t.Fatalf("protocol %d, want ICMP", ip.Protocol())
	}
	m, err := header.ParseICMPv4(ip.Payload())
	if err != nil || !m.ValidChecksum() {
		t.Fatalf("bad ICMP message (%v)", err)
	}
	return ip, m
}

func icmp6Of(t tb, f []byte) (header.IPv6, header.ICMPv6) {
	t.Helper()
	ip := parse6(t, f)
	proto, off, err := ip.Transport()
	if err != nil || proto != header.ProtocolICMPv6 {
		t.Fatalf("not ICMPv6: %d %v", proto, err)
	}
	m, err := header.ParseICMPv6(ip[off:])
	if err != nil || !m.ValidChecksum(checksum.PseudoHeader(ip.Source(), ip.Destination(), header.ProtocolICMPv6, len(m))) {
		t.Fatalf("bad ICMPv6 message (%v)", err)
	}
	return ip, m
}

func asHeaderError(err error, target **header.Error) bool {
	return errors.As(err, target)
}

// tb is what the parse helpers need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}
