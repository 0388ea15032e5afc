package rib

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	"github.com/sdnfabric/sdnfabric/bgp/rib/ribtest"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

func parsedUpdates(tb testing.TB, routes []ribtest.Route) []wire.Update {
	tb.Helper()
	msgs, err := ribtest.Updates(routes)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]wire.Update, len(msgs))
	for i, m := range msgs {
		if out[i], err = wire.ParseUpdate(m, &ribtest.DecodeOptions); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

var (
	benchNH4 = netip.MustParseAddr("10.0.0.1")
	benchNH6 = netip.MustParseAddr("2001:db8::1")
)

func benchPeer(r *RIB) PeerID {
	return r.AddPeer(PeerConfig{Addr: benchNH4, ASN: 64512, RouterID: benchNH4, AllowWithoutPolicy: true})
}

// An announce of an already-interned attribute set for an existing prefix
// does not allocate, with a subscriber already holding the prefix pending.
func TestIngestKnownDoesNotAllocate(t *testing.T) {
	r := New(Options{LocalASN: testASN, RouterID: testRouterID, DefaultLocalPref: 100, MaxPaths: 4})
	peer := benchPeer(r)
	other := r.AddPeer(PeerConfig{Addr: netip.MustParseAddr("10.0.0.2"), ASN: 64513, RouterID: netip.MustParseAddr("10.0.0.2"), AllowWithoutPolicy: true})
	p := netip.MustParsePrefix("192.0.2.0/24")
	a, b := testAttrs(1), testAttrs(2)
	ua := parsedUpdates(t, []ribtest.Route{{Prefix: p, Attrs: a}})
	ub := parsedUpdates(t, []ribtest.Route{{Prefix: p, Attrs: b}})
	// keep both sets interned through another peer
	if err := r.Ingest(other, &ua[0]); err != nil {
		t.Fatal(err)
	}
	if err := r.Announce(other, wire.NLRI{Prefix: p, PathID: 0}, b); err != nil {
		t.Fatal(err)
	}
	if err := r.Ingest(other, &ua[0]); err != nil {
		t.Fatal(err)
	}
	if err := r.Announce(other, wire.NLRI{Prefix: netip.MustParsePrefix("198.51.100.0/24")}, b); err != nil {
		t.Fatal(err)
	}
	sub := r.Subscribe()
	defer sub.Close()
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		u := &ua[0]
		if i%2 == 1 {
			u = &ub[0]
		}
		i++
		if err := r.Ingest(peer, u); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Ingest of a known attribute set allocates %v times", allocs)
	}
}

// BenchmarkIngest feeds a synthetic table (one sixth IPv6) into an empty
// RIB: ns/prefix for parse-free ingest, and the heap the RIB holds per
// prefix after a GC.
func BenchmarkIngest(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ups := parsedUpdates(b, ribtest.Table(n, 1, benchNH4, benchNH6))
			b.ReportAllocs()
			var bytesPerPrefix float64
			var sets int
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				runtime.GC()
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				r := New(Options{LocalASN: testASN, RouterID: testRouterID, DefaultLocalPref: 100})
				peer := benchPeer(r)
				b.StartTimer()
				for i := range ups {
					if err := r.Ingest(peer, &ups[i]); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&m1)
				if r.Len() != n {
					b.Fatalf("%d prefixes, want %d", r.Len(), n)
				}
				bytesPerPrefix = float64(m1.HeapAlloc-m0.HeapAlloc) / float64(n)
				sets = r.AttrSets()
				runtime.KeepAlive(r)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/prefix")
			b.ReportMetric(bytesPerPrefix, "bytes/prefix")
			b.ReportMetric(float64(sets), "attrsets")
		})
	}
}

// BenchmarkBestPath is the recompute of one prefix with 2, 8 or 32 paths
// when one of them changes (the eBGP paths tie down to the router ID).
func BenchmarkBestPath(b *testing.B) {
	for _, n := range []int{2, 8, 32} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := New(Options{LocalASN: testASN, RouterID: testRouterID, DefaultLocalPref: 100, MaxPaths: 8, ASPathRelax: true})
			p := netip.MustParsePrefix("192.0.2.0/24")
			var peers []PeerID
			for i := range n {
				a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i + 1)})
				id := r.AddPeer(PeerConfig{Addr: a, ASN: 64512 + uint32(i), RouterID: a, AllowWithoutPolicy: true})
				peers = append(peers, id)
				at := testAttrs(0)
				at.ASPath = []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{64512 + uint32(i), 1}}}
				at.NextHop = a
				if err := r.Announce(id, wire.NLRI{Prefix: p}, at); err != nil {
					b.Fatal(err)
				}
			}
			ua := parsedUpdates(b, []ribtest.Route{{Prefix: p, Attrs: testAttrs(1)}})
			ub := parsedUpdates(b, []ribtest.Route{{Prefix: p, Attrs: testAttrs(2)}})
			// keep both sets interned, so the loop measures the decision
			for i, a := range []*wire.Attributes{testAttrs(1), testAttrs(2)} {
				if err := r.Announce(peers[n/2], wire.NLRI{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), 32)}, a); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				u := &ua[0]
				if i%2 == 1 {
					u = &ub[0]
				}
				if err := r.Ingest(peers[n/2], u); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
