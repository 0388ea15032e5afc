package router

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/rras/lpm"
	"github.com/sdnfabric/sdnfabric/rras/lpm/lpmtest"
)

// benchRouter is a router whose interface 2 leads to four resolved ECMP
// gateways and whose table holds a synthetic full table (lpmtest.Full4 IPv4
// and lpmtest.Full6 IPv6 prefixes) plus default routes, all via those
// gateways. Building it takes seconds, so it is built once.
var benchRouter = sync.OnceValues(func() (*Router, [2][]netip.Addr) {
	r := New(Config{Output: discard{}})
	r.SetInterface(Interface{Index: 1, MAC: macR1, Addrs: []netip.Prefix{netip.PrefixFrom(r1v4, 24), netip.PrefixFrom(r1v6, 64)}})
	r.SetInterface(Interface{Index: 2, MAC: macR2, Addrs: []netip.Prefix{netip.PrefixFrom(r2v4, 24), netip.PrefixFrom(r2v6, 64)}})
	var hops4, hops6 []NextHop
	for g := 2; g <= 5; g++ {
		a4 := gatewayAddr(2, g)
		a6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 2, 15: byte(g)})
		r.Input(2, arpFrame(header.ARPReply, gatewayMAC(2, g), a4, macR2, r2v4))
		r.Input(2, nsFrame(gatewayMAC(2, g), a6, r2v6))
		r.Input(2, naFrame(gatewayMAC(2, g), a6, macR2, r2v6, header.NDPFlagSolicited|header.NDPFlagOverride))
		hops4 = append(hops4, NextHop{Addr: a4, IfIndex: 2})
		hops6 = append(hops6, NextHop{Addr: a6, IfIndex: 2})
	}
	t4, t6 := lpmtest.Table4(lpmtest.Full4, 1), lpmtest.Table6(lpmtest.Full6, 1)
	// Load the table straight into the FIB in one batch, as RIB.Replace
	// would install it, sharing one next-hop set per family.
	s4 := r.rib.intern(SourceEBGP, 20, hops4)
	s6 := r.rib.intern(SourceEBGP, 20, hops6)
	r.fib.Update(func(b *lpm.Batch[*NextHopSet]) error {
		for _, p := range t4 {
			b.Insert(p, s4)
		}
		for _, p := range t6 {
			b.Insert(p, s6)
		}
		b.Insert(netip.MustParsePrefix("0.0.0.0/0"), s4)
		b.Insert(netip.MustParsePrefix("::/0"), s6)
		return nil
	})
	var addrs [2][]netip.Addr
	for _, a := range lpmtest.Addrs(t4, 1<<14, 2) {
		if !martian4(a) && !(a.As4()[0] == 10 && a.As4()[1] == 99) {
			addrs[0] = append(addrs[0], a)
		}
	}
	for _, a := range lpmtest.Addrs(t6, 1<<14, 2) {
		if !a.IsMulticast() && !a.IsLinkLocalUnicast() && !a.IsLoopback() && !a.IsUnspecified() && !a.Is4In6() {
			addrs[1] = append(addrs[1], a)
		}
	}
	return r, addrs
})

func benchForward(b *testing.B, v6 bool) {
	if testing.Short() {
		b.Skip("builds a full routing table")
	}
	r, addrs := benchRouter()
	var frames [][]byte
	fam := 0
	if v6 {
		fam = 1
	}
	for i, a := range addrs[fam] {
		if v6 {
			frames = append(frames, udp6(macR1, macA, hAv6, a, 64, uint16(i), 443, 18))
		} else {
			frames = append(frames, udp4(macR1, macA, hAv4, a, 64, uint16(i), 443, 18))
		}
	}
	buf := make([]byte, len(frames[0]))
	before := r.Counter(Forwarded)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		copy(buf, frames[i%len(frames)])
		r.Input(1, buf)
	}
	b.StopTimer()
	if got := r.Counter(Forwarded) - before; got < uint64(b.N) {
		b.Fatalf("forwarded %d of %d", got, b.N)
	}
}

// BenchmarkForward4 forwards IPv4/UDP packets to random destinations
// through a full table (1M prefixes) and a 4-way ECMP set: parse, checksum
// check, lookup, flow hash, neighbor, TTL decrement, Ethernet rewrite.
func BenchmarkForward4(b *testing.B) { benchForward(b, false) }

// BenchmarkForward6 is BenchmarkForward4 for IPv6 (200k prefixes).
func BenchmarkForward6(b *testing.B) { benchForward(b, true) }

// BenchmarkForwardSmallTable4 is the same path with only connected routes.
func BenchmarkForwardSmallTable4(b *testing.B) {
	r, _, _ := testRouter(b)
	resolve(b, r, 2, hBv4, macB)
	r.cfg.Output = discard{}
	f := udp4(macR1, macA, hAv4, hBv4, 64, 1, 2, 18)
	buf := make([]byte, len(f))
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, f)
		r.Input(1, buf)
	}
}

// BenchmarkECMPSelect measures the flow hash and member choice.
func BenchmarkECMPSelect(b *testing.B) {
	f := udp4(macR1, macA, hAv4, hBv4, 64, 1, 2, 18)
	ip := header.IPv4(f[14:])
	s := &NextHopSet{Hops: make([]NextHop, 8)}
	var n int
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ip[21] = byte(i)
		n += s.Pick(FlowHash4(ip, 7)).IfIndex
	}
	_ = n
}

// BenchmarkRIBReplace measures route changes from a source, one prefix per
// call (a BGP best-path change) and in batches of 1000 (UPDATEs with many
// NLRI), into a table of 100k routes.
func BenchmarkRIBReplace(b *testing.B) {
	t4 := lpmtest.Table4(100_000, 3)
	hops := [][]NextHop{{{Addr: gatewayAddr(2, 2), IfIndex: 2}}, {{Addr: gatewayAddr(2, 3), IfIndex: 2}}}
	b.Run("single", func(b *testing.B) {
		rib := New(Config{Output: discard{}}).Routes()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			rib.Replace(SourceEBGP, t4[i%len(t4)], hops[i/len(t4)%2])
		}
	})
	b.Run("batch1000", func(b *testing.B) {
		rib := New(Config{Output: discard{}}).Routes()
		routes := make([]Route, 1000)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			for j := range routes {
				k := i*len(routes) + j
				routes[j] = Route{t4[k%len(t4)], hops[k/len(t4)%2]}
			}
			rib.ReplaceBatch(SourceEBGP, routes)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(routes)), "ns/route")
	})
}

// BenchmarkFIBLookup is the table lookup alone, on the full table and
// destinations of BenchmarkForward4/6, to separate the table's share of the
// per-packet cost from the router's.
func BenchmarkFIBLookup(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a full routing table")
	}
	r, addrs := benchRouter()
	for fam, name := range []string{"ipv4", "ipv6"} {
		b.Run(name, func(b *testing.B) {
			as := addrs[fam]
			var n int
			for i := 0; b.Loop(); i++ {
				s, _ := r.fib.Lookup(as[i%len(as)])
				n += len(s.Hops)
			}
			_ = n
		})
	}
}
