package mux

import (
	"context"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Process runs concurrently with Configure, SetHealth and the SNAT
// leases, SYNs among the packets (run with -race).
func TestConcurrent(t *testing.T) {
	m := newMux(t, Config{Announcer: newRecorder(), WithdrawUnhealthyVIPs: true})
	configure(t, m, webLB(backends(8)))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			buf := make([]byte, 0, 256)
			out := make([]Output, 8)
			pkts := make([][]byte, 8)
			for i := 0; ctx.Err() == nil; i++ {
				src := netip.AddrFrom4([4]byte{100, 64, byte(g), byte(i)})
				if g%2 == 0 {
					if _, r, err := m.Process(buf[:0], tcpPk(src, vip4, uint16(i), 80).bytes()); err != nil || r.Verdict == VerdictInvalid {
						t.Errorf("Process: %v %v", r.Verdict, err)
						return
					}
					continue
				}
				for j := range pkts {
					k := tcpPk(src, vip4, uint16(j), 80)
					if j%2 == 0 { // SYNs on the flows of DIPs going out of rotation
						k.flags = tcpFlagSYN
					}
					pkts[j] = k.bytes()
				}
				m.ProcessBatch(buf[:0], pkts, out)
			}
		})
	}
	for i := range 50 {
		configure(t, m, webLB(backends(4+i%8)))
		m.SetHealth(webVNI, dip(1+i%4), i%3 != 0)
		l := SNATLease{VIP: vip4, Protocol: protoTCP, Port: uint16(8000 + 8*(i%4)), HostPA: host(1), DIP: dip(1)}
		if err := m.LeaseSNAT(l); err != nil {
			t.Fatal(err)
		}
		m.ReleaseSNAT(l)
		_ = m.Stats()
	}
	cancel()
	wg.Wait()
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Flow hits, which take no lock, run concurrently with new flows that
// keep reusing the expired entries of the same buckets: an established
// flow is always found, on its own DIP, and every hit is counted (a
// Worker's once flushed).
func TestConcurrentFlowHits(t *testing.T) {
	clock := newClock()
	m := newMux(t, Config{Clock: clock, FlowTableSize: 64, Shards: 1, UntrustedTimeout: 20 * time.Millisecond})
	configure(t, m, webLB(backends(8)))
	const flows = 16
	pkts := make([][]byte, flows)
	dips := make([]netip.Addr, flows)
	for i := range pkts {
		pkts[i] = tcpPk(netip.AddrFrom4([4]byte{100, 64, 0, byte(i)}), vip4, 1000, 80).bytes()
		send(t, m, pkts[i])
		dips[i] = send(t, m, pkts[i]).DIP
	}
	before := m.Stats().FlowHits
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { // new flows, each seen once, expiring as the clock moves
		buf := make([]byte, 0, 256)
		for i := 0; ctx.Err() == nil; i++ {
			m.Process(buf[:0], tcpPk(netip.AddrFrom4([4]byte{100, 65, byte(i >> 8), byte(i)}), vip4, 2000, 80).bytes())
			if i%8 == 0 {
				clock.Advance(20 * time.Millisecond)
			}
		}
	})
	const rounds = 2000
	var hitters sync.WaitGroup
	for g := range 3 {
		hitters.Go(func() {
			buf := make([]byte, 0, 256)
			out := make([]Output, flows)
			w := m.NewWorker()
			defer w.Flush()
			for n := range rounds {
				if g == 2 { // through a Worker, in place
					i := n % flows
					in := append(buf[:m.Headroom()], pkts[i]...)
					var r Result
					if _, err := w.ProcessInPlace(in, m.Headroom(), &r); err != nil || r.Flow != FlowEstablished || r.DIP != dips[i] {
						t.Errorf("worker flow %d: %v %v to %v, want established to %v", i, err, r.Flow, r.DIP, dips[i])
						return
					}
					continue
				}
				if g == 0 {
					i := n % flows
					if _, r, err := m.Process(buf[:0], pkts[i]); err != nil || r.Flow != FlowEstablished || r.DIP != dips[i] {
						t.Errorf("flow %d: %v %v to %v, want established to %v", i, err, r.Flow, r.DIP, dips[i])
						return
					}
					continue
				}
				m.ProcessBatch(buf[:0], pkts, out)
				for i, o := range out {
					if o.Err != nil || o.Flow != FlowEstablished || o.DIP != dips[i] {
						t.Errorf("batch flow %d: %v %v to %v, want established to %v", i, o.Err, o.Flow, o.DIP, dips[i])
						return
					}
				}
			}
		})
	}
	hitters.Wait()
	cancel()
	wg.Wait()
	if t.Failed() {
		return
	}
	if got, want := m.Stats().FlowHits-before, uint64(2*rounds+rounds*flows); got != want {
		t.Errorf("FlowHits grew by %d, want %d", got, want)
	}
}

// A flow table of at least a huge page (on Linux mapped outside the Go
// heap) works like a small one and is released with its Mux.
func TestLargeFlowTable(t *testing.T) {
	m := newMux(t, Config{FlowTableSize: 1 << 18})
	configure(t, m, webLB(backends(8)))
	for i := range 100 {
		pkt := tcpPk(netip.AddrFrom4([4]byte{100, 64, 1, byte(i)}), vip4, 1000, 80).bytes()
		send(t, m, pkt)
		if r := send(t, m, pkt); r.Flow != FlowEstablished {
			t.Fatalf("flow %d: second packet %v", i, r.Flow)
		}
	}
	if u, tr := m.Flows(); u != 0 || tr != 100 {
		t.Errorf("Flows() = %d untrusted, %d trusted; want 0, 100", u, tr)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	runtime.GC() // runs the cleanup that unmaps the table
}
