package nat

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// bigPool is 64 external addresses, enough ports for 1M mappings.
func bigPool(c *Config) {
	c.External = nil
	for i := range 64 {
		c.External = append(c.External, netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}))
	}
}

// BenchmarkNewSession creates one UDP session per operation (16 ports per
// host) in steady state: the virtual clock moves one second every size/256
// operations and the 2-minute UDP timer expires old sessions, so about half
// the table is live and each operation also pays for one expiry.
func BenchmarkNewSession(b *testing.B) {
	for _, size := range []int{1 << 16, 1 << 20} {
		b.Run(fmt.Sprintf("table=%dk", size>>10), func(b *testing.B) { benchNewSession(b, size) })
	}
}

func benchNewSession(b *testing.B, size int) {
	n, clk := newNAT(b, func(c *Config) {
		c.MaxSessions = size
		c.MaxSessionsPerHost = 64
		c.Timeouts.UDP = MinUDPTimeout
		bigPool(c)
	})
	tmpl := udpPacket(ap(hostA, 5000), ap(server, 53), "payload")
	buf := make([]byte, len(tmpl))
	step := size / 256
	// Fill the table to its steady state (half full) first.
	i := 0
	for ; i < size; i++ {
		newSessionOp(b, n, clk, buf, tmpl, i, step, size)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(tmpl)))
	lockThread()
	defer unlockThread()
	start := threadCPU()
	for ; b.Loop(); i++ {
		newSessionOp(b, n, clk, buf, tmpl, i, step, size)
	}
	if cpu := threadCPU() - start; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(b.N)/(float64(cpu)/1e9), "cpu-sessions/s")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}

// newSessionOp creates session number i (and expires old ones).
func newSessionOp(b *testing.B, n *NAT, clk *fakeClock, buf, tmpl []byte, i, step, size int) {
	if i%step == 0 {
		clk.advance(time.Second)
	}
	flow := i % (2 * size)
	copy(buf, tmpl)
	ip := header.IPv4(buf)
	h := 0x0a000000 | uint32(flow>>4)
	ip.SetSource(netip.AddrFrom4([4]byte{byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}))
	ip.SetChecksum(ip.ComputeChecksum())
	header.UDP(ip.Payload()).SetSourcePort(uint16(5000 + flow&15))
	if v, err := n.Outbound(buf); v != Forward {
		b.Fatalf("verdict %v (%v) at %d, %d sessions", v, err, i, n.Len())
	}
}

// BenchmarkEstablished translates packets of an existing session among
// 100k, outbound then inbound.
func BenchmarkEstablished(b *testing.B) {
	n, _ := newNAT(b, func(c *Config) { c.MaxSessions = 1 << 17; bigPool(c) })
	for i := range 100000 {
		h := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		n.Outbound(udpPacket(ap(h, 5000), ap(server, 53), "x"))
	}
	o := udpPacket(ap(hostA, 5000), ap(server, 53), "payload")
	buf := make([]byte, len(o))
	copy(buf, o)
	n.Outbound(buf)
	r := udpPacket(ap(server, 53), srcOf(buf), "payload")
	rbuf := make([]byte, len(r))
	b.ReportAllocs()
	b.SetBytes(int64(len(o)))
	lockThread()
	defer unlockThread()
	start := threadCPU()
	for b.Loop() {
		copy(buf, o)
		if v, _ := n.Outbound(buf); v != Forward {
			b.Fatal(v)
		}
		copy(rbuf, r)
		if v, _ := n.Inbound(rbuf); v != Forward {
			b.Fatal(v)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/pkt")
	if cpu := threadCPU() - start; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(2*b.N), "cpu-ns/pkt")
	}
}

// BenchmarkMemoryPerSession reports the heap a NAT holding 1M sessions
// takes, divided by the sessions.
func BenchmarkMemoryPerSession(b *testing.B) {
	const size = 1 << 20
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		n, _ := newNAT(b, func(c *Config) { c.MaxSessions = size; c.MaxSessionsPerHost = 64; bigPool(c) })
		buf := make([]byte, 0, 64)
		for i := range size {
			buf = append(buf[:0], udpPacket(ap(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 5000), ap(server, 53), "")...)
			if v, _ := n.Outbound(buf); v != Forward {
				b.Fatal(v, i)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n.Len()), "bytes/session")
		runtime.KeepAlive(n)
	}
}
