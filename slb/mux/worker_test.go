package mux

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/slb"
	"pgregory.net/rapid"
)

// twinMuxes returns two Muxes with the same configuration (IPv4 and IPv6
// VIPs, load-balancing and inbound NAT rules, an SNAT lease, small Maglev
// tables that build fast), clock and flow-table key, so that the same
// packets get the same Results and bytes from both, and the load
// balancer they were configured with.
func twinMuxes(t tb, clk Clock) (a, b *Mux, lb slb.LoadBalancer) {
	lb = webLB(backends(4))
	lb.FrontendIPConfigurations = append(lb.FrontendIPConfigurations, slb.Frontend{Name: "v6", VIP: vip6})
	lb.BackendAddressPools = append(lb.BackendAddressPools, slb.BackendPool{Name: "v6", VNI: 6,
		Backends: []slb.Backend{{DIP: netip.MustParseAddr("2001:db8:d::1"), HostPA: host(1)}}})
	lb.LoadBalancingRules = append(lb.LoadBalancingRules, slb.LoadBalancingRule{Name: "v6", Frontend: "v6",
		BackendPool: "v6", Probe: "p", Protocol: slb.ProtocolAll, FrontendPort: 80, BackendPort: 80})
	a = newMux(t, Config{Clock: clk, MaglevSize: 251})
	b = newMux(t, Config{Clock: clk, MaglevSize: 251})
	b.tableKey = a.tableKey // which picks the outer UDP source port
	for _, m := range []*Mux{a, b} {
		configure(t, m, lb)
		if err := m.LeaseSNAT(SNATLease{VIP: vip4, Protocol: protoTCP, Port: 20000, HostPA: host(2), VNI: 9, DIP: dip(2)}); err != nil {
			t.Fatal(err)
		}
	}
	return a, b, lb
}

// genPackets draws one packet, or two for a fragmented datagram, of the
// kinds the Mux handles: established and new flows, SYNs to clamp,
// inbound NAT, SNAT returns, no rule, fragments, ICMP errors, IPv6, and
// malformed packets. Addresses and ports come from small sets, so that
// flows repeat.
func genPackets(t *rapid.T) [][]byte {
	src := netip.AddrFrom4([4]byte{100, 64, 0, byte(rapid.IntRange(1, 3).Draw(t, "src"))})
	src6 := netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, 0xc, 15: byte(rapid.IntRange(1, 3).Draw(t, "src6"))})
	sp := uint16(rapid.IntRange(1000, 1003).Draw(t, "sport"))
	k := tcpPk(src, vip4, sp, 80)
	k.flags = rapid.SampledFrom([]uint8{tcpFlagACK, tcpFlagSYN, tcpFlagSYN | tcpFlagACK}).Draw(t, "flags")
	if k.flags&tcpFlagSYN != 0 && rapid.Bool().Draw(t, "mss") {
		k.mss = uint16(rapid.IntRange(500, 9000).Draw(t, "mss value"))
		k.mssOdd = rapid.Bool().Draw(t, "mss odd")
	}
	switch rapid.IntRange(0, 9).Draw(t, "kind") {
	case 0, 1: // a load-balancing rule's flow
	case 2: // inbound NAT, a single port and a pool's range
		k.dp = rapid.SampledFrom([]uint16{2201, 3000, 3999}).Draw(t, "nat port")
	case 3: // SNAT return, and a port next to the lease
		k.dp = uint16(rapid.IntRange(19999, 20008).Draw(t, "snat port"))
	case 4: // no rule, not mine
		k.dst = rapid.SampledFrom([]netip.Addr{vip4, netip.MustParseAddr("192.0.2.99")}).Draw(t, "dst")
		k.dp = 81
	case 5: // fragments, in order or not, of UDP over the HA-ports rule on IPv6 or of TCP
		w := pk{src: src6, dst: vip6, proto: protoUDP, sp: sp, dp: 80, payload: 100}
		if rapid.Bool().Draw(t, "v4 fragments") {
			w = k
			w.payload = 100
		}
		f, l := fragments(w.bytes(), 48, uint32(rapid.IntRange(1, 3).Draw(t, "frag id")))
		if rapid.Bool().Draw(t, "later first") {
			return [][]byte{l, f}
		}
		return [][]byte{f, l}
	case 6: // an ICMP error about a flow
		if rapid.Bool().Draw(t, "icmp v6") {
			return [][]byte{icmpError(netip.MustParseAddr("2001:db8::1"), reply(pk{src: src6, dst: vip6, proto: protoTCP, sp: sp, dp: 80}), 1280)}
		}
		return [][]byte{icmpError(netip.MustParseAddr("192.0.2.1"), reply(k), 1300)}
	case 7: // IPv6, with a hop-by-hop header or not
		k.src, k.dst = src6, vip6
		if rapid.Bool().Draw(t, "hop-by-hop") {
			return [][]byte{hopByHop(k.bytes())}
		}
	case 8: // malformed: cut short
		b := k.bytes()
		return [][]byte{b[:rapid.IntRange(0, len(b)-1).Draw(t, "cut")]}
	case 9: // arbitrary bytes
		return [][]byte{rapid.SliceOfN(rapid.Byte(), 0, 80).Draw(t, "bytes")}
	}
	return [][]byte{k.bytes()}
}

// A Worker's Process and ProcessInPlace give every packet the Result,
// error and encapsulated bytes that Mux.Process gives it, whatever the
// headroom, padding, health changes, reconfigurations and time, leave
// the bytes before the headroom alone (and the whole buffer when they do
// not forward), and, once flushed, the same Stats.
func TestPropertyWorkerMatchesProcess(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		clk := newClock()
		a, b, lb := twinMuxes(t, clk)
		w := b.NewWorker()
		prefix := []byte("keep")
		for step := range rapid.IntRange(1, 200).Draw(t, "steps") {
			switch rapid.IntRange(0, 19).Draw(t, "op") {
			case 0:
				clk.Advance(time.Duration(rapid.IntRange(0, 20_000).Draw(t, "ms")) * time.Millisecond)
				continue
			case 1:
				d, ok := dip(rapid.IntRange(1, 4).Draw(t, "dip")), rapid.Bool().Draw(t, "healthy")
				a.SetHealth(webVNI, d, ok)
				b.SetHealth(webVNI, d, ok)
				continue
			case 2: // remove a backend, or put them all back
				l := lb
				l.BackendAddressPools = append([]slb.BackendPool(nil), lb.BackendAddressPools...)
				if rapid.Bool().Draw(t, "remove") {
					i := rapid.IntRange(1, 3).Draw(t, "removed")
					bs := l.BackendAddressPools[0].Backends
					l.BackendAddressPools[0].Backends = append(append([]slb.Backend(nil), bs[:i]...), bs[i+1:]...)
				}
				configure(t, a, l)
				configure(t, b, l)
				continue
			}
			for _, pkt := range genPackets(t) {
				pad := rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "padding")
				pkt = append(pkt, pad...)
				want, wr, werr := a.Process(bytes.Clone(prefix), bytes.Clone(pkt))
				want = want[len(prefix):]
				var got []byte
				var r Result
				var err error
				if rapid.Bool().Draw(t, "in place") {
					room := b.Headroom() + rapid.IntRange(0, 20).Draw(t, "extra headroom")
					buf := append(bytes.Repeat([]byte{0xa5}, room), pkt...)
					orig := bytes.Clone(buf)
					r = Result{Rule: "stale", DIP: client, MSSClamped: true}
					got, err = w.ProcessInPlace(buf, room, &r)
					if !bytes.Equal(buf[:room-b.Headroom()], orig[:room-b.Headroom()]) {
						t.Fatalf("step %d: ProcessInPlace wrote before the headroom", step)
					}
					if r.Verdict != VerdictForward && (got != nil || !bytes.Equal(buf, orig)) {
						t.Fatalf("step %d: verdict %v, but %d bytes out and buffer changed: %v", step, r.Verdict, len(got), !bytes.Equal(buf, orig))
					}
				} else {
					got, err = w.Process(bytes.Clone(prefix), pkt, &r)
					if !bytes.Equal(got[:len(prefix)], prefix) {
						t.Fatalf("step %d: Worker.Process changed dst's bytes", step)
					}
					got = got[len(prefix):]
				}
				if diff := cmp.Diff(wr, r, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
					t.Fatalf("step %d: Result (-Process +Worker):\n%s", step, diff)
				}
				if err != werr || !bytes.Equal(got, want) {
					t.Fatalf("step %d: Worker gave %d bytes, %v; Process %d bytes, %v\n% x\n% x", step, len(got), err, len(want), werr, got, want)
				}
			}
		}
		w.Flush()
		if diff := cmp.Diff(a.Stats(), b.Stats()); diff != "" {
			t.Fatalf("Stats (-Process +Worker):\n%s", diff)
		}
	})
}

// A packet with less than Headroom bytes before it, or an offset beyond
// the buffer, gets ErrHeadroom without being counted or touched.
func TestProcessInPlaceHeadroom(t *testing.T) {
	m := newMux(t, Config{})
	configure(t, m, webLB(backends(4)))
	w := m.NewWorker()
	pkt := tcpPk(client, vip4, 1, 80).bytes()
	if m.Headroom() != 50 {
		t.Errorf("Headroom %d, want 50 (IPv4, UDP, VXLAN, Ethernet)", m.Headroom())
	}
	for _, off := range []int{-1, 0, m.Headroom() - 1, 1000} {
		room := max(off, 0)
		buf := append(make([]byte, min(room, 100)), pkt...)
		orig := bytes.Clone(buf)
		var r Result
		out, err := w.ProcessInPlace(buf, off, &r)
		if !errors.Is(err, ErrHeadroom) || r.Verdict != VerdictInvalid || out != nil || !bytes.Equal(buf, orig) {
			t.Errorf("offset %d: %v, %v, %d bytes out", off, err, r.Verdict, len(out))
		}
	}
	if s := m.Stats(); s.Packets() != 0 {
		t.Errorf("%d packets counted", s.Packets())
	}
	buf := append(make([]byte, m.Headroom()), pkt...)
	out, err := w.ProcessInPlace(buf, m.Headroom(), new(Result))
	if err != nil || &out[0] != &buf[0] || len(out) != len(buf) {
		t.Errorf("exact headroom: %v, %d bytes out of %d", err, len(out), len(buf))
	}
}

// A Worker holds back at most workerFlush flow hits, and Flush counts
// them.
func TestWorkerFlush(t *testing.T) {
	m := newMux(t, Config{})
	configure(t, m, webLB(backends(4)))
	w := m.NewWorker()
	pkt := tcpPk(client, vip4, 1, 80).bytes()
	var r Result
	for i := range 1000 {
		if _, err := w.Process(nil, pkt, &r); err != nil {
			t.Fatal(err)
		}
		if s := m.Stats(); s.Packets()+workerFlush < uint64(i+1) {
			t.Fatalf("%d packets processed, %d counted", i+1, s.Packets())
		}
	}
	w.Flush()
	if s := m.Stats(); s.Packets() != 1000 || s.FlowHits != 999 || s.FlowNew != 1 || s.BytesOut != 1000*uint64(m.Headroom()+len(pkt)) {
		t.Errorf("after Flush: %+v", s)
	}
}
