package vxlan

import (
	"net/netip"
	"testing"
	"time"
)

var sinkHeader Header

func BenchmarkHeaderAppend(b *testing.B) {
	buf := make([]byte, 0, HeaderSize)
	h := Header{VNI: 4242}
	b.ReportAllocs()
	b.SetBytes(HeaderSize)
	for b.Loop() {
		buf, _ = h.Append(buf[:0])
	}
}

func BenchmarkDecode(b *testing.B) {
	p, _ := Header{VNI: 4242}.Append(nil)
	b.ReportAllocs()
	b.SetBytes(HeaderSize)
	for b.Loop() {
		sinkHeader, _ = Decode(p)
	}
}

func BenchmarkDecodeGPE(b *testing.B) {
	p, _ := GPEHeader{VNI: 4242, NextProtocol: NextIPv6}.Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		DecodeGPE(p)
	}
}

// BenchmarkEncapsulate is a 1450-byte inner frame in outer IPv4+UDP (what a
// VTEP does per frame on the raw/TAP path), with the UDP checksum zero and
// computed.
func BenchmarkEncapsulate(b *testing.B) {
	frame := testFrame(1450, 5)
	buf := make([]byte, 0, 2048)
	for _, c := range []struct {
		name string
		o    Outer
	}{
		{"ipv4", Outer{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")}},
		{"ipv4-udpcsum", Outer{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), UDPChecksum: true}},
		{"ipv6", Outer{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				buf, _ = c.o.Encapsulate(buf[:0], Header{VNI: 5}, frame)
			}
		})
	}
}

func BenchmarkDecapsulate(b *testing.B) {
	frame := testFrame(1450, 5)
	o := Outer{Ethernet: true, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), UDPChecksum: true}
	p, _ := o.Encapsulate(nil, Header{VNI: 5}, frame)
	for _, verify := range []bool{false, true} {
		name := "noverify"
		if verify {
			name = "verify"
		}
		b.Run(name, func(b *testing.B) {
			d := Decap{Ethernet: true, VerifyChecksum: verify}
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				d.Decapsulate(p)
			}
		})
	}
}

// BenchmarkForward is the VTEP's per-frame work for a 1450-byte frame from
// a local port: FDB lookup and encapsulation into a UDP payload.
func BenchmarkForward(b *testing.B) {
	ta, _ := loopbackPair(b, 1)
	v, _ := New(Config{Transport: ta, Ports: map[VNI]LocalPort{5: nil}})
	for i := range 1000 {
		v.FDB().Add(5, mac(i), vtepB)
	}
	v.FDB().Add(5, remoteMAC, vtepB)
	frame := ethFrame(remoteMAC, hostMAC, 1450)
	pkt := make([]byte, 0, 2048)
	remotes := make([]netip.Addr, 0, 8)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		pkt, remotes, _ = v.Forward(pkt[:0], remotes[:0], 5, frame)
	}
}

// BenchmarkInput is the receive side: decode, learn refresh, counters.
func BenchmarkInput(b *testing.B) {
	ta, _ := loopbackPair(b, 1)
	v, _ := New(Config{Transport: ta, Ports: map[VNI]LocalPort{5: nil}})
	buf, _ := EncapsulatePayload(nil, Header{VNI: 5}, ethFrame(hostMAC, remoteMAC, 1450))
	from := netip.MustParseAddrPort("10.0.0.9:4789")
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		v.Input(from, buf)
	}
}

// BenchmarkTransport sends batches of 32 VXLAN datagrams (1450-byte
// frames) over loopback and reads them back, with sendmmsg/recvmmsg
// batching and with one system call per datagram; pkts/s counts datagrams
// that made the round trip.
func BenchmarkTransport(b *testing.B) {
	const burst = 32
	payload, _ := EncapsulatePayload(nil, Header{VNI: 5}, ethFrame(remoteMAC, hostMAC, 1450))
	for _, c := range []struct {
		name  string
		batch int
	}{{"batch", DefaultBatch}, {"single", 1}} {
		b.Run(c.name, func(b *testing.B) {
			ta, tb := loopbackPair(b, c.batch)
			out := make([]Datagram, burst)
			in := make([]Datagram, burst)
			for i := range out {
				out[i] = Datagram{Buf: payload, Addr: tb.LocalAddr()}
				in[i].Buf = make([]byte, 2048)
			}
			b.ReportAllocs()
			b.SetBytes(int64(burst * len(payload)))
			pkts := 0
			for b.Loop() {
				if c.batch == 1 {
					for i := range out {
						ta.WriteBatch(out[i : i+1])
					}
				} else {
					ta.WriteBatch(out)
				}
				tb.Conn().SetReadDeadline(time.Now().Add(time.Second))
				for got := 0; got < burst; {
					n, err := tb.ReadBatch(in[:burst-got])
					if err != nil {
						b.Fatalf("after %d of %d: %v", got, burst, err)
					}
					got += n
				}
				pkts += burst
			}
			b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}
