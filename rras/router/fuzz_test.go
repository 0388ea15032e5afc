package router

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// FuzzInput feeds arbitrary frames to a router with routes, resolved and
// unresolved neighbors: Input must not panic, and the neighbor cache and the
// resolution queues stay within their bounds however many frames arrive.
func FuzzInput(f *testing.F) {
	for _, seed := range [][]byte{
		udp4(macR1, macA, hAv4, hBv4, 64, 1, 2, 10),
		udp4(macR1, macA, hAv4, hBv4, 1, 1, 2, 10),
		udp4(macR1, macA, hAv4, netip.MustParseAddr("10.99.2.99"), 64, 1, 2, 10),
		udp4(macR1, macA, hAv4, r1v4, 64, 1, 2, 10),
		udp6(macR1, macA, hAv6, hBv6, 64, 1, 2, 10),
		udp6(macR1, macA, hAv6, hBv6, 1, 1, 2, 10),
		udp6(macR1, macA, hAv6, r1v6, 64, 1, 2, 10),
		arpFrame(header.ARPRequest, macA, hAv4, header.MAC{}, r1v4),
		arpFrame(header.ARPReply, macB, netip.MustParseAddr("10.99.1.77"), macR1, r1v4),
		nsFrame(macA, hAv6, r1v6),
		naFrame(macA, hAv6, macR1, r1v6, header.NDPFlagSolicited),
		{},
	} {
		f.Add(uint8(1), seed)
	}
	out := &capture{}
	clk := &clock{t: time.Unix(1, 0)}
	r := New(Config{Output: out, Now: clk.Now, MaxNeighbors: 16, MaxQueued: 8})
	r.SetInterface(Interface{Index: 1, MAC: macR1, Addrs: []netip.Prefix{netip.PrefixFrom(r1v4, 24), netip.PrefixFrom(r1v6, 64)}})
	r.SetInterface(Interface{Index: 2, MAC: macR2, MTU: 1280, Addrs: []netip.Prefix{netip.PrefixFrom(r2v4, 24), netip.PrefixFrom(r2v6, 64)}})
	r.Routes().Replace(SourceStatic, netip.MustParsePrefix("0.0.0.0/0"), []NextHop{{Addr: hBv4}})
	r.Routes().Replace(SourceStatic, netip.MustParsePrefix("::/0"), []NextHop{{Addr: hBv6, IfIndex: 2}})
	resolve(f, r, 2, hBv4, macB)
	resolve(f, r, 2, hBv6, macB)
	resolve(f, r, 1, hAv4, macA)
	f.Fuzz(func(t *testing.T, ifIndex uint8, frame []byte) {
		out.take()
		in := int(ifIndex%3) + 1
		_ = r.Input(in, frame)
		// The same bytes as a TCP super-frame, its MSS from the
		// interface byte (0 to 255) and a common one.
		_ = r.InputSuper(in, frame, int(ifIndex))
		_ = r.InputSuper(in, frame, 1448)
		clk.advance(700 * time.Millisecond)
		r.Tick()
		r.neigh.mu.Lock()
		n, q := r.neigh.n, r.neigh.queued
		walked, waiting := 0, 0
		for _, e := range r.neigh.all {
			walked++
			waiting += len(e.queue)
		}
		r.neigh.mu.Unlock()
		if walked != n || waiting != q {
			t.Fatalf("neighbor bookkeeping: %d entries and %d queued counted, %d and %d present", n, q, walked, waiting)
		}
		if n > 16 || q > 8 || q < 0 {
			t.Fatalf("neighbor cache %d entries, %d queued: bounds exceeded", n, q)
		}
	})
}
