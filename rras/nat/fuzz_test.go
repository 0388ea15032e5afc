package nat

import (
	"testing"
)

func fuzzNAT(t *testing.T) *NAT {
	n, _ := newNAT(t, func(c *Config) { c.MaxSessions = 256 })
	// Some state for inbound packets and ICMP errors to match.
	n.Outbound(udpPacket(ap(hostA, 5000), ap(server, 53), "x"))
	n.Outbound(tcpPacket(ap(hostA, 40000), ap(server, 80), syn))
	n.Outbound(icmpQuery(hostA, server, 8, 77))
	return n
}

func fuzzCheck(t *testing.T, n *NAT, pkt []byte, v Verdict, err error) {
	if (v == Forward || v == Hairpin) && err != nil {
		t.Fatalf("verdict %v with error %v", v, err)
	}
	if v == Drop && err == nil {
		t.Fatal("drop without a reason")
	}
	if n.Len() > 256 {
		t.Fatal("table past its limit")
	}
	for range 64 {
		if _, _, ok := n.Released(nil); !ok {
			return
		}
	}
	t.Fatal("more fragments released than the hold queue has slots")
}

func FuzzOutbound(f *testing.F) {
	f.Add(udpPacket(ap(hostA, 5000), ap(server, 53), "x"))
	f.Add(tcpPacket(ap(hostB, 1), ap(extIP, 5000), syn))
	f.Add(icmpQuery(hostA, server, 8, 1))
	f.Add(fragmentsOf(udpPacket(ap(hostA, 5000), ap(server, 53), "0123456789abcdef"), 9, 16)[0])
	f.Add(fragmentsOf(udpPacket(ap(hostA, 5000), ap(server, 53), "0123456789abcdef"), 9, 16)[1])
	f.Add(icmpError(hostA, server, 3, 3, udpPacket(ap(server, 53), ap(hostA, 5000), "x"), 0))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		n := fuzzNAT(t)
		v, err := n.Outbound(pkt)
		fuzzCheck(t, n, pkt, v, err)
	})
}

func FuzzInbound(f *testing.F) {
	f.Add(udpPacket(ap(server, 53), ap(extIP, 5000), "x"))
	f.Add(tcpPacket(ap(server, 80), ap(extIP, 40000), synack))
	f.Add(icmpQuery(server, extIP, 0, 77))
	f.Add(fragmentsOf(udpPacket(ap(server, 53), ap(extIP, 5000), "0123456789abcdef"), 9, 16)[0])
	f.Add(fragmentsOf(udpPacket(ap(server, 53), ap(extIP, 5000), "0123456789abcdef"), 9, 16)[1])
	f.Fuzz(func(t *testing.T, pkt []byte) {
		n := fuzzNAT(t)
		v, err := n.Inbound(pkt)
		fuzzCheck(t, n, pkt, v, err)
	})
}

// FuzzICMPError fuzzes the packet quoted in an inbound ICMP error, whose
// outer headers are kept valid so the quote is always reached.
func FuzzICMPError(f *testing.F) {
	f.Add(udpPacket(ap(extIP, 5000), ap(server, 53), "x"), uint8(3), uint8(3))
	f.Add(tcpPacket(ap(extIP, 40000), ap(server, 80), syn), uint8(11), uint8(0))
	f.Add(icmpQuery(extIP, server, 8, 77), uint8(12), uint8(0))
	f.Fuzz(func(t *testing.T, quoted []byte, typ, code uint8) {
		if len(quoted) > 1400 {
			return
		}
		n := fuzzNAT(t)
		pkt := icmpError(router, extIP, []uint8{3, 11, 12}[typ%3], code, quoted, 0)
		v, err := n.Inbound(pkt)
		fuzzCheck(t, n, pkt, v, err)
		if v == Forward {
			// The quoted transport part is fuzzed, so only the headers the
			// NAT vouches for are checked.
			if s := verifyChecksums(pkt); s == "ipv4 header" || s == "icmp" || s == "embedded ipv4 header" {
				t.Fatalf("checksum %s", s)
			}
		}
	})
}
