package nat

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"pgregory.net/rapid"
)

func TestFloodKeepsEstablishedSessions(t *testing.T) {
	n, _ := newNAT(t, func(c *Config) { c.MaxSessions = 64; c.MaxSessionsPerHost = 16 })
	e := srcOf(out(t, n, tcpPacket(ap(hostB, 40000), ap(server, 80), syn), Forward))
	in(t, n, tcpPacket(ap(server, 80), e, synack), Forward)
	// One host floods: stopped by its own limit.
	full := 0
	for p := range uint16(1000) {
		v, err := n.Outbound(udpPacket(ap(hostA, 1000+p), ap(server, 53), "x"))
		if v == ReplyICMP && errors.Is(err, ErrHostLimit) {
			full++
		}
	}
	if full != 1000-16 || n.Len() != 17 {
		t.Fatalf("host limit: %d refused, %d sessions", full, n.Len())
	}
	// Many hosts flood: the table stops at MaxSessions, nothing is evicted.
	for i := range 200 {
		n.Outbound(udpPacket(ap(netip.AddrFrom4([4]byte{10, 1, byte(i), 1}), 5), ap(server, 53), "x"))
	}
	if n.Len() != 64 || n.Counters().TableFull == 0 {
		t.Fatalf("%d sessions, counters %+v", n.Len(), n.Counters())
	}
	in(t, n, tcpPacket(ap(server, 80), e, ack), Forward)
	// Inbound traffic never takes table space.
	for p := range uint16(100) {
		n.Inbound(udpPacket(ap(server, 1000+p), ap(extIP, 1000+p), "x"))
	}
	if n.Len() != 64 {
		t.Fatal("inbound packets changed the table")
	}
}

func TestPortForward(t *testing.T) {
	n, _ := newNAT(t, func(c *Config) {
		c.Filtering = AddressAndPortDependent
		c.Forwards = []PortForward{{Proto: header.ProtocolUDP, External: ap(extIP, 5353), Internal: ap(hostB, 53)}}
	})
	p := in(t, n, udpPacket(ap(server, 1111), ap(extIP, 5353), "q"), Forward)
	if dstOf(p) != ap(hostB, 53) {
		t.Fatalf("forwarded to %v", dstOf(p))
	}
	r := out(t, n, udpPacket(ap(hostB, 53), ap(server, 1111), "a"), Forward)
	if srcOf(r) != ap(extIP, 5353) {
		t.Fatalf("reply from %v", srcOf(r))
	}
	if _, err := New(Config{External: []netip.Addr{extIP}, Forwards: []PortForward{
		{Proto: header.ProtocolUDP, External: ap(extIP, 1), Internal: ap(hostA, 1)},
		{Proto: header.ProtocolUDP, External: ap(extIP, 1), Internal: ap(hostB, 1)},
	}}); err == nil {
		t.Fatal("duplicate forward accepted")
	}
}

func TestMalformedTypedErrors(t *testing.T) {
	n, _ := newNAT(t, nil)
	good := udpPacket(ap(hostA, 5000), ap(server, 53), "x")
	for _, c := range []struct {
		name string
		pkt  []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"truncated ip", good[:10], ErrMalformed},
		{"truncated udp", func() []byte {
			b := append([]byte(nil), good[:24]...)
			ip := header.IPv4(b)
			ip.SetTotalLength(24)
			ip.SetChecksum(ip.ComputeChecksum())
			return b
		}(), ErrMalformed},
		{"bad ip checksum", func() []byte { b := append([]byte(nil), good...); b[10] ^= 1; return b }(), ErrBadChecksum},
		{"unknown protocol", func() []byte {
			b := append([]byte(nil), good...)
			ip := header.IPv4(b)
			ip.SetProtocol(47)
			ip.SetChecksum(ip.ComputeChecksum())
			return b
		}(), ErrUnknownProtocol},
	} {
		v, err := n.Outbound(c.pkt)
		if v != Drop || !errors.Is(err, c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, v, err, c.want)
		}
		var he *header.Error
		if c.want == ErrMalformed && !errors.As(err, &he) {
			t.Errorf("%s: no *header.Error in %v", c.name, err)
		}
	}
	if n.Len() != 0 {
		t.Fatal("malformed input created state")
	}
}

func TestAllocsPerPacket(t *testing.T) {
	n, _ := newNAT(t, func(c *Config) { c.MaxSessions = 4096 })
	tmpl := udpPacket(ap(hostA, 5000), ap(server, 53), "payload")
	buf := make([]byte, len(tmpl))
	copy(buf, tmpl)
	out(t, n, buf, Forward)
	e := srcOf(buf)
	reply := udpPacket(ap(server, 53), e, "payload")
	rbuf := make([]byte, len(reply))
	if a := testing.AllocsPerRun(100, func() {
		copy(buf, tmpl)
		n.Outbound(buf)
		copy(rbuf, reply)
		n.Inbound(rbuf)
	}); a != 0 {
		t.Fatalf("established: %v allocs", a)
	}
	port := uint16(10000)
	if a := testing.AllocsPerRun(100, func() {
		copy(buf, tmpl)
		buf[20], buf[21] = byte(port>>8), byte(port)
		port++
		if v, _ := n.Outbound(buf); v != Forward {
			panic(v)
		}
	}); a != 0 {
		t.Fatalf("new session: %v allocs", a)
	}
	// Fragments: a held out-of-order fragment, the first fragment that
	// releases it, the released one, and one translated from the record.
	frags := fragmentsOf(udpPacket(ap(hostA, 6000), ap(server, 53), "0123456789abcdef0123456789abcdef"), 0, 16)
	fbuf := make([][]byte, len(frags))
	rel := make([]byte, 0, HeldFragmentSize)
	id := uint16(0)
	if a := testing.AllocsPerRun(100, func() {
		id++
		for i, f := range frags {
			fbuf[i] = append(fbuf[i][:0], f...)
			header.IPv4(fbuf[i]).SetID(id)
			header.IPv4(fbuf[i]).SetChecksum(header.IPv4(fbuf[i]).ComputeChecksum())
		}
		n.Outbound(fbuf[1])
		if v, _ := n.Outbound(fbuf[0]); v != Forward {
			panic(v)
		}
		p, _, ok := n.Released(rel[:0])
		if v, _ := n.Outbound(p); !ok || v != Forward {
			panic(v)
		}
		if v, _ := n.Outbound(fbuf[2]); v != Forward {
			panic(v)
		}
	}); a != 0 {
		t.Fatalf("fragments: %v allocs", a)
	}
	small, _ := newNAT(t, func(c *Config) { c.MaxSessions = 1 })
	small.Outbound(udpPacket(ap(hostA, 1), ap(server, 53), "x"))
	p := udpPacket(ap(hostA, 2), ap(server, 53), "x")
	dst := make([]byte, 0, 600)
	if a := testing.AllocsPerRun(100, func() {
		if v, _ := small.Outbound(p); v != ReplyICMP {
			panic(v)
		}
		small.AppendProhibited(dst[:0], p)
	}); a != 0 {
		t.Fatalf("table full: %v allocs", a)
	}
}

// TestPropertyOneToOneAndChecksums drives random traffic and checks that
// mappings stay one-to-one both ways and every translated packet's
// checksums verify.
func TestPropertyOneToOneAndChecksums(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n, clk := newNAT(rt, func(c *Config) {
			c.MaxSessions = 64
			c.Ports = PortRange{2000, 2000 + uint16(rapid.IntRange(8, 200).Draw(rt, "ports"))}
			c.Filtering = Filtering(rapid.IntRange(0, 2).Draw(rt, "filtering"))
		})
		var exts []netip.AddrPort
		var sent [][]byte
		for range rapid.IntRange(1, 80).Draw(rt, "ops") {
			host := netip.AddrFrom4([4]byte{10, 0, 0, byte(rapid.IntRange(1, 4).Draw(rt, "host"))})
			port := uint16(rapid.IntRange(1999, 2010).Draw(rt, "port"))
			remote := ap(netip.AddrFrom4([4]byte{203, 0, 113, byte(rapid.IntRange(1, 3).Draw(rt, "remote"))}), 53)
			var pkt []byte
			outbound := true
			switch rapid.IntRange(0, 6).Draw(rt, "kind") {
			case 0:
				pkt = udpPacket(ap(host, port), remote, "x")
			case 1:
				pkt = tcpPacket(ap(host, port), remote, header.TCPFlags(rapid.Uint8().Draw(rt, "flags")))
			case 2:
				pkt = icmpQuery(host, remote.Addr(), 8, port)
			case 3:
				if len(exts) == 0 {
					continue
				}
				pkt = udpPacket(remote, rapid.SampledFrom(exts).Draw(rt, "ext"), "x")
				outbound = false
			case 4:
				if len(exts) == 0 {
					continue
				}
				pkt = udpPacket(ap(host, port), rapid.SampledFrom(exts).Draw(rt, "ext"), "x") // hairpin
			case 5:
				if len(sent) == 0 {
					continue
				}
				pkt = icmpError(remote.Addr(), extIP, 3, 3, rapid.SampledFrom(sent).Draw(rt, "quoted"), 0)
				outbound = false
			case 6:
				clk.advance(rapidDuration(rt))
			}
			if pkt == nil {
				continue
			}
			var v Verdict
			if outbound {
				v, _ = n.Outbound(pkt)
			} else {
				v, _ = n.Inbound(pkt)
			}
			if v == Forward || v == Hairpin {
				if s := verifyChecksums(pkt); s != "" {
					rt.Fatalf("checksum %s after %v", s, v)
				}
				if outbound && v == Forward && header.IPv4(pkt).Protocol() != header.ProtocolICMPv4 {
					exts = append(exts, srcOf(pkt))
					sent = append(sent, append([]byte(nil), pkt...))
				}
			}
			checkOneToOne(rt, n)
		}
	})
}

func rapidDuration(rt *rapid.T) time.Duration {
	return time.Duration(rapid.IntRange(1, 400).Draw(rt, "seconds")) * time.Second
}

func checkOneToOne(rt *rapid.T, n *NAT) {
	type key struct {
		proto uint8
		ep    netip.AddrPort
	}
	in2ext := map[key]netip.AddrPort{}
	ext2in := map[key]netip.AddrPort{}
	count := 0
	for s := range n.Sessions() {
		count++
		if e, ok := in2ext[key{s.Proto, s.Internal}]; ok && e != s.External {
			rt.Fatalf("%v maps to %v and %v", s.Internal, e, s.External)
		}
		if i, ok := ext2in[key{s.Proto, s.External}]; ok && i != s.Internal {
			rt.Fatalf("%v shared by %v and %v", s.External, i, s.Internal)
		}
		in2ext[key{s.Proto, s.Internal}] = s.External
		ext2in[key{s.Proto, s.External}] = s.Internal
		if got, ok := n.Mapping(s.Proto, s.Internal); !ok || got != s.External {
			rt.Fatalf("Mapping(%v) = %v %v, want %v", s.Internal, got, ok, s.External)
		}
		// The reverse index agrees.
		m, ok := n.lookupExt(s.Proto, u32(s.External.Addr()), s.External.Port())
		if !ok || n.maps[m].inAddr != u32(s.Internal.Addr()) || n.maps[m].inPort != s.Internal.Port() {
			rt.Fatalf("external %v does not lead back to %v", s.External, s.Internal)
		}
	}
	if count != n.Len() {
		rt.Fatalf("%d sessions iterated, Len %d", count, n.Len())
	}
}
