package nat

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

var (
	extIP   = netip.MustParseAddr("198.51.100.1")
	hostA   = netip.MustParseAddr("10.0.0.2")
	hostB   = netip.MustParseAddr("10.0.0.3")
	server  = netip.MustParseAddr("203.0.113.5")
	server2 = netip.MustParseAddr("203.0.113.6")
	router  = netip.MustParseAddr("192.0.2.254")
)

func ap(a netip.Addr, p uint16) netip.AddrPort { return netip.AddrPortFrom(a, p) }

// fakeClock is virtual time.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// tb is what newNAT needs of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
}

func newNAT(t tb, mod func(*Config)) (*NAT, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg := Config{
		External: []netip.Addr{extIP},
		Clock:    clk.now,
		Rand:     rand.New(rand.NewPCG(1, 2)),
	}
	if mod != nil {
		mod(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n, clk
}

func ipPacket(src, dst netip.Addr, proto uint8, l4 int) ([]byte, header.IPv4) {
	b := make([]byte, header.IPv4MinSize+l4)
	ip, err := header.InitIPv4(b, header.IPv4MinSize)
	if err != nil {
		panic(err)
	}
	ip.SetTTL(64)
	ip.SetProtocol(proto)
	ip.SetSource(src)
	ip.SetDestination(dst)
	ip.SetChecksum(ip.ComputeChecksum())
	return b, ip
}

func udpPacket(src, dst netip.AddrPort, payload string) []byte {
	b, ip := ipPacket(src.Addr(), dst.Addr(), header.ProtocolUDP, header.UDPSize+len(payload))
	u, _ := header.InitUDP(ip.Payload())
	u.SetSourcePort(src.Port())
	u.SetDestinationPort(dst.Port())
	copy(u.Payload(), payload)
	u.SetChecksum(u.ComputeChecksum(checksum.PseudoHeader(src.Addr(), dst.Addr(), header.ProtocolUDP, len(u))))
	return b
}

func tcpPacket(src, dst netip.AddrPort, flags header.TCPFlags) []byte {
	b, ip := ipPacket(src.Addr(), dst.Addr(), header.ProtocolTCP, header.TCPMinSize+4)
	tc, _ := header.InitTCP(ip.Payload(), header.TCPMinSize)
	tc.SetSourcePort(src.Port())
	tc.SetDestinationPort(dst.Port())
	tc.SetFlags(flags)
	tc.SetSeq(1000)
	tc.SetWindow(65535)
	copy(tc.Payload(), "data")
	tc.SetChecksum(tc.ComputeChecksum(checksum.PseudoHeader(src.Addr(), dst.Addr(), header.ProtocolTCP, len(tc))))
	return b
}

func icmpQuery(src, dst netip.Addr, typ uint8, ident uint16) []byte {
	b, ip := ipPacket(src, dst, header.ProtocolICMPv4, header.ICMPv4Size+4)
	m, _ := header.InitICMPv4(ip.Payload(), typ, 0)
	m.SetIdent(ident)
	m.SetSeq(7)
	copy(m.Payload(), "ping")
	m.SetChecksum(m.ComputeChecksum())
	return b
}

// icmpError builds an ICMP error from src to dst quoting the first quote
// bytes of the packet orig (all of it if quote is 0).
func icmpError(src, dst netip.Addr, typ, code uint8, orig []byte, quote int) []byte {
	if quote == 0 || quote > len(orig) {
		quote = len(orig)
	}
	b, ip := ipPacket(src, dst, header.ProtocolICMPv4, header.ICMPv4Size+quote)
	m, _ := header.InitICMPv4(ip.Payload(), typ, code)
	copy(m.Payload(), orig[:quote])
	m.SetChecksum(m.ComputeChecksum())
	return b
}

// checkChecksums verifies every checksum of a translated packet: IPv4,
// TCP/UDP/ICMP, and for ICMP errors the quoted IPv4 header (and the quoted
// transport checksum when the whole datagram is quoted).
func checkChecksums(t testing.TB, pkt []byte) {
	t.Helper()
	if err := verifyChecksums(pkt); err != "" {
		t.Fatalf("checksum: %s", err)
	}
}

func verifyChecksums(pkt []byte) string {
	ip, err := header.ParseIPv4(pkt)
	if err != nil {
		return err.Error()
	}
	if !ip.ValidChecksum() {
		return "ipv4 header"
	}
	switch ip.Protocol() {
	case header.ProtocolTCP:
		t, err := header.ParseTCP(ip.Payload())
		if err != nil {
			return "tcp: " + err.Error()
		}
		if !t.ValidChecksum(checksum.PseudoHeader(ip.Source(), ip.Destination(), header.ProtocolTCP, len(t))) {
			return "tcp"
		}
	case header.ProtocolUDP:
		u, err := header.ParseUDP(ip.Payload())
		if err != nil {
			return "udp: " + err.Error()
		}
		if u.Checksum() != 0 && !u.ValidChecksum(checksum.PseudoHeader(ip.Source(), ip.Destination(), header.ProtocolUDP, len(u))) {
			return "udp"
		}
	case header.ProtocolICMPv4:
		m, err := header.ParseICMPv4(ip.Payload())
		if err != nil {
			return "icmp: " + err.Error()
		}
		if !m.ValidChecksum() {
			return "icmp"
		}
		if t := m.Type(); t == 3 || t == 11 || t == 12 {
			emb, err := header.ParseIPv4Partial(m.Payload())
			if err != nil {
				return "embedded: " + err.Error()
			}
			if !emb.ValidChecksum() {
				return "embedded ipv4 header"
			}
			if int(emb.TotalLength()) == len(emb) {
				if s := verifyChecksums(emb); s != "" {
					return "embedded " + s
				}
			}
		}
	}
	return ""
}

func srcOf(pkt []byte) netip.AddrPort { return endpoint(pkt, true) }
func dstOf(pkt []byte) netip.AddrPort { return endpoint(pkt, false) }

func endpoint(pkt []byte, src bool) netip.AddrPort {
	ip, err := header.ParseIPv4(pkt)
	if err != nil {
		panic(err)
	}
	var port uint16
	switch ip.Protocol() {
	case header.ProtocolTCP:
		t, _ := header.ParseTCP(ip.Payload())
		port = t.DestinationPort()
		if src {
			port = t.SourcePort()
		}
	case header.ProtocolUDP:
		u, _ := header.ParseUDP(ip.Payload())
		port = u.DestinationPort()
		if src {
			port = u.SourcePort()
		}
	case header.ProtocolICMPv4:
		m, _ := header.ParseICMPv4(ip.Payload())
		port = m.Ident()
	}
	if src {
		return ap(ip.Source(), port)
	}
	return ap(ip.Destination(), port)
}

// out sends pkt outbound and wants verdict want, returning the packet.
func out(t testing.TB, n *NAT, pkt []byte, want Verdict) []byte {
	t.Helper()
	v, err := n.Outbound(pkt)
	if v != want {
		t.Fatalf("Outbound: verdict %v (err %v), want %v", v, err, want)
	}
	if v == Forward || v == Hairpin {
		checkChecksums(t, pkt)
	}
	return pkt
}

func in(t testing.TB, n *NAT, pkt []byte, want Verdict) []byte {
	t.Helper()
	v, err := n.Inbound(pkt)
	if v != want {
		t.Fatalf("Inbound: verdict %v (err %v), want %v", v, err, want)
	}
	if v == Forward {
		checkChecksums(t, pkt)
	}
	return pkt
}
