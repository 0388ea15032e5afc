package trace

import (
	"encoding/binary"
	"fmt"
	"iter"
	"net/netip"
	"strings"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// vxlanPort is the IANA VXLAN port (RFC 7348 section 5).
const vxlanPort = 4789

// Describe summarises an Ethernet frame in one line: its IPv4 packet (see
// DescribeIP), an ARP message, or its EtherType.
func Describe(frame []byte) string {
	eth, err := header.ParseEthernet(frame)
	if err != nil {
		return "malformed Ethernet"
	}
	switch eth.EtherType() {
	case header.EtherTypeIPv4:
		return DescribeIP(eth.Payload())
	case header.EtherTypeARP:
		a, err := header.ParseARP(eth.Payload())
		if err != nil {
			return "malformed ARP"
		}
		if a.Op() == header.ARPRequest {
			return fmt.Sprintf("ARP who-has %s tell %s", a.TargetIP(), a.SenderIP())
		}
		return fmt.Sprintf("ARP %s is-at %s", a.SenderIP(), a.SenderMAC())
	default:
		return fmt.Sprintf("EtherType %#04x", uint16(eth.EtherType()))
	}
}

// DescribeIP summarises an IPv4 packet: "TCP 192.168.200.10:40000 >
// 192.168.102.10:80 [S]", and for a VXLAN packet the outer headers and the
// inner frame: "VXLAN vni 5001 192.168.100.20 > 192.168.100.31 | TCP ...".
func DescribeIP(pkt []byte) string {
	ip, err := header.ParseIPv4(pkt)
	if err != nil {
		return "malformed IPv4"
	}
	src, dst := ip.Source(), ip.Destination()
	switch ip.Protocol() {
	case header.ProtocolTCP:
		t, err := header.ParseTCP(ip.Payload())
		if err != nil {
			return fmt.Sprintf("TCP %s > %s malformed", src, dst)
		}
		s := fmt.Sprintf("TCP %s > %s [%s]", netip.AddrPortFrom(src, t.SourcePort()), netip.AddrPortFrom(dst, t.DestinationPort()), flags(t.Flags()))
		if n := len(t.Payload()); n > 0 {
			s += fmt.Sprintf(" len %d", n)
		}
		return s
	case header.ProtocolUDP:
		p := ip.Payload()
		if len(p) < 8 {
			return fmt.Sprintf("UDP %s > %s malformed", src, dst)
		}
		sp, dp := binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:])
		if dp == vxlanPort && len(p) >= 16 {
			vni := binary.BigEndian.Uint32(p[12:]) >> 8
			return fmt.Sprintf("VXLAN vni %d %s > %s | %s", vni, src, dst, Describe(p[16:]))
		}
		return fmt.Sprintf("UDP %s > %s len %d", netip.AddrPortFrom(src, sp), netip.AddrPortFrom(dst, dp), len(p)-8)
	case header.ProtocolICMPv4:
		return fmt.Sprintf("ICMP %s > %s", src, dst)
	default:
		return fmt.Sprintf("IPv4 %s > %s proto %d", src, dst, ip.Protocol())
	}
}

// VXLANHeaders names the outer headers of a VXLAN packet (from its outer
// IPv4 header on), outermost first, for Event.Added or Event.Removed.
func VXLANHeaders(pkt []byte) []string {
	ip, err := header.ParseIPv4(pkt)
	if err != nil || ip.Protocol() != header.ProtocolUDP || len(ip.Payload()) < 16 {
		return nil
	}
	p := ip.Payload()
	return []string{
		fmt.Sprintf("IPv4 %s > %s", ip.Source(), ip.Destination()),
		fmt.Sprintf("UDP %d > %d", binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:])),
		fmt.Sprintf("VXLAN vni %d", binary.BigEndian.Uint32(p[12:])>>8),
	}
}

func flags(f header.TCPFlags) string {
	var b strings.Builder
	for _, x := range []struct {
		bit  header.TCPFlags
		name byte
	}{{0x02, 'S'}, {0x10, '.'}, {0x08, 'P'}, {0x01, 'F'}, {0x04, 'R'}} {
		if f&x.bit != 0 {
			b.WriteByte(x.name)
		}
	}
	return b.String()
}

// addrs yields the address pairs of a frame: the IPv4 packet's, and the
// inner packet's when it is VXLAN.
func addrs(frame []byte) iter.Seq2[netip.Addr, netip.Addr] {
	return func(yield func(netip.Addr, netip.Addr) bool) {
		for depth := 0; depth < 2; depth++ {
			eth, err := header.ParseEthernet(frame)
			if err != nil || eth.EtherType() != header.EtherTypeIPv4 {
				return
			}
			ip, err := header.ParseIPv4(eth.Payload())
			if err != nil {
				return
			}
			if !yield(ip.Source(), ip.Destination()) {
				return
			}
			p := ip.Payload()
			if ip.Protocol() != header.ProtocolUDP || len(p) < 16 || binary.BigEndian.Uint16(p[2:]) != vxlanPort {
				return
			}
			frame = p[16:]
		}
	}
}

// WantsIP reports whether an IPv4 packet (from its header on) carries a
// watched packet, looking inside VXLAN.
func (r *Recorder) WantsIP(pkt []byte) bool {
	if r == nil || r.watching.Load() == 0 {
		return false
	}
	ip, err := header.ParseIPv4(pkt)
	if err != nil {
		return false
	}
	if r.Wants(ip.Source(), ip.Destination()) {
		return true
	}
	p := ip.Payload()
	if ip.Protocol() == header.ProtocolUDP && len(p) >= 16 && binary.BigEndian.Uint16(p[2:]) == vxlanPort {
		return r.WantsFrame(p[16:])
	}
	return false
}
