package runtime

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// superHost is a test host on one interface of a router: it answers ARP
// for its address and passes every other frame, with its MSS, to a
// channel.
type superHost struct {
	port   *netsim.Port
	mac    header.MAC
	addr   netip.Addr
	frames chan superGot
}

type superGot struct {
	f   []byte
	mss int
}

func newSuperHost(t *testing.T, port *netsim.Port, mac header.MAC, addr netip.Addr, super bool) *superHost {
	h := &superHost{port: port, mac: mac, addr: addr, frames: make(chan superGot, 128)}
	t.Cleanup(port.Close)
	recv := func(f []byte, mss int) {
		if len(f) >= 14 && f[12] == 0x08 && f[13] == 0x06 {
			a, err := header.ParseARP(f[14:])
			if err == nil && a.Op() == header.ARPRequest && a.TargetIP() == addr {
				b := make([]byte, 14+header.ARPSize)
				header.InitEthernet(b, a.SenderMAC(), mac, header.EtherTypeARP)
				header.InitARPReply(b[14:], a, mac)
				port.Send(b)
			}
			return
		}
		h.frames <- superGot{bytes.Clone(f), mss}
	}
	if super {
		port.SetSuperReceiver(recv)
	} else {
		port.SetReceiver(func(f []byte) { recv(f, 0) })
	}
	return h
}

func (h *superHost) next(t *testing.T) superGot {
	t.Helper()
	select {
	case g := <-h.frames:
		return g
	case <-time.After(5 * time.Second):
		t.Fatal("no frame arrived")
		return superGot{}
	}
}

// tcpSuperFrame builds a TCP/IPv4 frame (DF, ACK, 12 bytes of options)
// with payload bytes; its TCP checksum field holds junk.
func tcpSuperFrame(dst, src header.MAC, from, to netip.AddrPort, flags header.TCPFlags, payload int) []byte {
	const thl = 32
	b := make([]byte, 14+20+thl+payload)
	header.InitEthernet(b, dst, src, header.EtherTypeIPv4)
	ip, _ := header.InitIPv4(b[14:], 20)
	ip.SetTTL(64)
	ip.SetDontFragment(true)
	ip.SetProtocol(header.ProtocolTCP)
	ip.SetSource(from.Addr())
	ip.SetDestination(to.Addr())
	ip.SetChecksum(ip.ComputeChecksum())
	tcp, _ := header.InitTCP(ip[20:], thl)
	tcp.SetSourcePort(from.Port())
	tcp.SetDestinationPort(to.Port())
	tcp.SetSeq(5000)
	tcp.SetFlags(flags)
	tcp.SetChecksum(0x1234)
	for i := range payload {
		tcp[thl+i] = byte(i * 3)
	}
	return b
}

// segmentsOf cuts super-frame f (mss) as a NIC would and returns the
// segments, failing unless each has valid IPv4 and TCP checksums.
func segmentsOf(t *testing.T, f []byte, mss int) [][]byte {
	t.Helper()
	h, err := netsim.SuperHeader(f, mss)
	if err != nil {
		t.Fatal(err)
	}
	p, err := offload.NewPipeline(offload.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var segs [][]byte
	if err := p.Tx(h, f, func(_ virtio.NetHdr, s []byte) error { segs = append(segs, bytes.Clone(s)); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		checkTCPSegment(t, s)
	}
	return segs
}

func checkTCPSegment(t *testing.T, s []byte) {
	t.Helper()
	ip, err := header.ParseIPv4(s[14:])
	if err != nil || !ip.ValidChecksum() {
		t.Fatalf("segment: IPv4 %v, valid checksum %v", err, err == nil && ip.ValidChecksum())
	}
	tcp := ip.Payload()
	if checksum.Sum(tcp, checksum.PseudoHeader(ip.Source(), ip.Destination(), header.ProtocolTCP, len(tcp))) != 0xffff {
		t.Fatal("segment: bad TCP checksum")
	}
}

// TestSuperFrameThroughNAT: a TCP super-frame from outside crosses a NAT
// gateway (TTL, NAT44 reverse translation) as one frame with its MSS to a
// host that takes super-frames, and its segments carry the translated
// headers and valid checksums; a host that takes none gets those segments
// from netsim.
func TestSuperFrameThroughNAT(t *testing.T) {
	for _, super := range []bool{true, false} {
		name := "plain receiver"
		if super {
			name = "super receiver"
		}
		t.Run(name, func(t *testing.T) {
			macIn, macOut := header.MAC{2, 0, 0, 0, 1, 1}, header.MAC{2, 0, 0, 0, 1, 2}
			macA, macB := header.MAC{2, 0, 0, 0, 2, 1}, header.MAC{2, 0, 0, 0, 2, 2}
			g := Gateway{Name: "natvm", NAT: &NATConfig{External: "out"}, Interfaces: []Interface{
				{Name: "in", Addr: netip.MustParsePrefix("10.1.0.1/24"), MAC: macIn},
				{Name: "out", Addr: netip.MustParsePrefix("192.0.2.1/24"), MAC: macOut},
			}}
			inR, inH := netsim.NewWire("in", netsim.WireConfig{})
			outR, outH := netsim.NewWire("out", netsim.WireConfig{})
			n, err := newRouterNode(g, []*netsim.Port{inR, outR}, nil)
			if err != nil {
				t.Fatal(err)
			}
			n.start()
			t.Cleanup(n.close)
			a := newSuperHost(t, inH, macA, netip.MustParseAddr("10.1.0.10"), super)
			b := newSuperHost(t, outH, macB, netip.MustParseAddr("192.0.2.20"), true)
			ap, bp := netip.AddrPortFrom(a.addr, 40000), netip.AddrPortFrom(b.addr, 5201)

			inH.Send(tcpSuperFrame(macIn, macA, ap, bp, header.TCPFlags(0x02), 0)) // SYN
			syn := parseTCPFrame(t, b.next(t).f)
			ext := netip.AddrPortFrom(syn.src.Addr(), syn.src.Port())

			const payload, mss = 20000, 1448
			f := tcpSuperFrame(macOut, macB, bp, ext, header.TCPFlags(0x10), payload)
			want := bytes.Clone(f[14+20+32:])
			if !outH.SendSuper(f, mss) {
				t.Fatal("SendSuper refused")
			}
			var segs [][]byte
			if super {
				got := a.next(t)
				if got.mss != mss {
					t.Fatalf("arrived with mss %d, want %d", got.mss, mss)
				}
				segs = segmentsOf(t, got.f, mss)
			} else {
				for range (payload + mss - 1) / mss {
					got := a.next(t)
					checkTCPSegment(t, got.f)
					segs = append(segs, got.f)
				}
			}
			var data []byte
			for i, s := range segs {
				p := parseTCPFrame(t, s)
				if p.src != bp || p.dst != ap || p.ttl != 63 {
					t.Fatalf("segment %d: %s -> %s ttl %d, want %s -> %s ttl 63", i, p.src, p.dst, p.ttl, bp, ap)
				}
				data = append(data, p.payload...)
			}
			if len(segs) != (payload+mss-1)/mss || !bytes.Equal(data, want) {
				t.Errorf("%d segments, %d bytes; want %d, the payload sent", len(segs), len(data), (payload+mss-1)/mss)
			}
		})
	}
}

type tcpFrameInfo struct {
	src, dst netip.AddrPort
	ttl      uint8
	payload  []byte
}

func parseTCPFrame(t *testing.T, f []byte) tcpFrameInfo {
	t.Helper()
	ip, err := header.ParseIPv4(f[14:])
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := header.ParseTCP(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	return tcpFrameInfo{
		src: netip.AddrPortFrom(ip.Source(), tcp.SourcePort()), dst: netip.AddrPortFrom(ip.Destination(), tcp.DestinationPort()),
		ttl: ip.TTL(), payload: tcp[tcp.HeaderLen():],
	}
}
