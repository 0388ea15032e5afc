package mux

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/internal/benchcpu"
)

const benchFlows = 1 << 20

var bench struct {
	once sync.Once
	m    *Mux
}

// setFlow makes pkt (an IPv4 TCP packet) a packet of flow i: source
// address 100.64.0.0 + i/16, source port 10000 + i%16.
func setFlow(pkt []byte, i uint32) {
	binary.BigEndian.PutUint32(pkt[12:16], 0x64400000+i/16)
	binary.BigEndian.PutUint16(pkt[20:22], uint16(10000+i%16))
}

// benchMux returns a Mux with a 2^21-entry flow table holding benchFlows
// trusted flows to a pool of 100 DIPs.
// It uses the system clock (the coarse jiffies) and an untrusted
// timeout of 100 ms, so that the new flows of BenchmarkProcess/new expire
// soon and keep being inserted rather than falling back to hashing.
func benchMux(b *testing.B) *Mux {
	bench.once.Do(func() {
		m := newMux(b, Config{FlowTableSize: 2 * benchFlows, UntrustedTimeout: 100 * time.Millisecond})
		configure(b, m, webLB(backends(100)))
		pkt := tcpPk(client, vip4, 1, 80).bytes()
		buf := make([]byte, 0, 256)
		for i := range uint32(benchFlows) {
			setFlow(pkt, i)
			m.Process(buf[:0], pkt)
			m.Process(buf[:0], pkt)
		}
		if s := m.Stats(); s.Promoted < benchFlows-benchFlows/10000 {
			b.Fatalf("%d flows in the table, want %d (%+v)", s.Promoted, benchFlows, s)
		}
		bench.m = m
	})
	return bench.m
}

// BenchmarkProcess measures the whole per-packet path of a Mux whose
// flow table holds 2^20 established flows (32 bytes of table per flow at
// this load: 2^21 entries of 16 bytes), for 60-byte TCP packets:
//
//   - hit/hot: packets of 1024 established flows (cache-resident),
//     built beforehand; hit/hot/into the same through ProcessInto,
//     hit/hot/worker through Worker.Process and hit/hot/inplace through
//     Worker.ProcessInPlace;
//   - hit/1M: packets of all 2^20 flows in turn (each touches a cold
//     cache line of a 32 MiB table);
//   - new: a new flow per packet (Maglev pick and insert);
//   - batch32/hot, batch32/1M, batch32/new: the same through
//     ProcessBatch, 32 packets per call (ns/packet is per packet).
//
// On Linux each also reports cpu-ns/op, the CPU time of the benchmark's
// thread, which a machine loaded with other work inflates less than the
// wall-clock ns/op.
func BenchmarkProcess(b *testing.B) {
	m := benchMux(b)
	pkt := tcpPk(client, vip4, 1, 80).bytes()
	buf := make([]byte, 0, 256)
	b.Logf("flow table: %d entries, %d bytes, %.1f bytes per established flow",
		m.flows.capacity(), m.flows.capacity()*16, float64(m.flows.capacity()*16)/benchFlows)
	b.Run("hit/hot", func(b *testing.B) {
		hot := hotPackets(client) // built beforehand, so that the loop writes nothing
		defer reportMisses(b, m, m.Stats())
		defer benchcpu.Start(b)()
		b.ReportAllocs()
		b.SetBytes(int64(len(pkt)))
		i := 0
		for b.Loop() {
			m.Process(buf[:0], hot[i&1023])
			i++
		}
	})
	b.Run("hit/hot/into", func(b *testing.B) {
		// The same through ProcessInto, the Result written in place.
		hot := hotPackets(client)
		defer reportMisses(b, m, m.Stats())
		defer benchcpu.Start(b)()
		b.ReportAllocs()
		b.SetBytes(int64(len(pkt)))
		var r Result
		i := 0
		for b.Loop() {
			m.ProcessInto(buf[:0], hot[i&1023], &r)
			i++
		}
	})
	b.Run("hit/hot/worker", func(b *testing.B) {
		// The same through a Worker, which counts hits without an
		// atomic add per packet.
		hot := hotPackets(client)
		w := m.NewWorker()
		defer reportMisses(b, m, m.Stats())
		defer benchcpu.Start(b)()
		b.ReportAllocs()
		b.SetBytes(int64(len(pkt)))
		var r Result
		i := 0
		for b.Loop() {
			w.Process(buf[:0], hot[i&1023], &r)
			i++
		}
	})
	b.Run("hit/hot/inplace", func(b *testing.B) {
		// The same through Worker.ProcessInPlace: each packet sits
		// after Headroom bytes of its buffer, where the outer headers
		// are written.
		hot := hotPackets(client)
		room := m.Headroom()
		for j, p := range hot {
			hot[j] = append(make([]byte, room, room+len(p)), p...)
		}
		w := m.NewWorker()
		defer reportMisses(b, m, m.Stats())
		defer benchcpu.Start(b)()
		b.ReportAllocs()
		b.SetBytes(int64(len(pkt)))
		var r Result
		i := 0
		for b.Loop() {
			w.ProcessInPlace(hot[i&1023], room, &r)
			i++
		}
	})
	b.Run("hit/1M", func(b *testing.B) {
		defer reportMisses(b, m, m.Stats())
		defer benchcpu.Start(b)()
		b.ReportAllocs()
		b.SetBytes(int64(len(pkt)))
		i := uint32(0)
		for b.Loop() {
			setFlow(pkt, i%benchFlows)
			m.Process(buf[:0], pkt)
			i++
		}
	})
	b.Run("new", func(b *testing.B) {
		full := m.Stats().TableFull
		defer func() {
			// New flows whose buckets were full of live entries and
			// that were sent by Maglev hashing alone.
			b.ReportMetric(float64(m.Stats().TableFull-full)/float64(b.N), "fallbacks/op")
		}()
		defer benchcpu.Start(b)()
		b.ReportAllocs()
		b.SetBytes(int64(len(pkt)))
		i := uint32(0)
		for b.Loop() {
			// Flows never seen: source addresses above the established ones.
			setFlow(pkt, benchFlows+i)
			m.Process(buf[:0], pkt)
			i++
		}
	})
	for _, tc := range []struct {
		name string
		flow func(i uint32) uint32
	}{
		{"batch32/hot", func(i uint32) uint32 { return i & 1023 * 1021 }},
		{"batch32/1M", func(i uint32) uint32 { return i % benchFlows }},
		{"batch32/new", func(i uint32) uint32 { return 2*benchFlows + i }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			defer benchcpu.Start(b)()
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)) * 32)
			pkts := make([][]byte, 32)
			for j := range pkts {
				pkts[j] = tcpPk(client, vip4, 1, 80).bytes()
			}
			out := make([]Output, 32)
			big := make([]byte, 0, 32*256)
			i := uint32(0)
			for b.Loop() {
				for _, p := range pkts {
					setFlow(p, tc.flow(i))
					i++
				}
				m.ProcessBatch(big[:0], pkts, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*32), "ns/packet")
		})
	}
}

// reportMisses reports the packets of a flow-hit benchmark that did not
// find their flow, which should be none.
func reportMisses(b *testing.B, m *Mux, before Stats) {
	after := m.Stats()
	b.ReportMetric(float64(after.FlowNew-before.FlowNew+after.TableFull-before.TableFull), "misses")
}

// BenchmarkProcessIPv6 measures the flow-hit path for an IPv6 VIP over
// an IPv6 provider network, with the outer UDP checksum computed (the
// default) and with a zero checksum (RFC 6935), for 1024 established
// flows of 60-byte TCP packets and of 1400-byte ones.
func BenchmarkProcessIPv6(b *testing.B) {
	for _, zero := range []bool{false, true} {
		for _, payload := range []int{0, 1340} {
			name := fmt.Sprintf("zeroUDPChecksum=%v/bytes=%d", zero, 60+payload)
			b.Run(name, func(b *testing.B) {
				m := newMux(b, Config{LocalPA: muxPA6, ZeroUDP6Checksum: zero, FlowTableSize: 1 << 12})
				pool := make([]slb.Backend, 16)
				for i := range pool {
					pool[i] = slb.Backend{DIP: netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, 15: byte(i + 1)}), HostPA: host6(i + 1)}
				}
				lb := webLB(pool)
				lb.FrontendIPConfigurations[0].VIP = vip6
				lb.InboundNatRules = nil
				configure(b, m, lb)
				pkts := make([][]byte, 1024)
				for j := range pkts {
					k := tcpPk(cli6, vip6, uint16(1024+j), 80)
					k.payload = payload
					pkts[j] = k.bytes()
					send(b, m, pkts[j])
					send(b, m, pkts[j])
				}
				buf := make([]byte, 0, 2048)
				defer benchcpu.Start(b)()
				b.ReportAllocs()
				b.SetBytes(int64(len(pkts[0])))
				i := 0
				for b.Loop() {
					m.Process(buf[:0], pkts[i&1023])
					i++
				}
			})
		}
	}
}

// hotPackets returns 1024 packets of established flows from client to the
// VIP, one per flow.
func hotPackets(client netip.Addr) [][]byte {
	hot := make([][]byte, 1024)
	for j := range hot {
		hot[j] = tcpPk(client, vip4, 1, 80).bytes()
		setFlow(hot[j], uint32(j)*1021)
	}
	return hot
}
