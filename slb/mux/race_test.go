package mux

import (
	"context"
	"net/netip"
	"sync"
	"testing"
)

// Process runs concurrently with Configure, SetHealth and the SNAT
// leases (run with -race).
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
					pkts[j] = tcpPk(src, vip4, uint16(j), 80).bytes()
				}
				m.ProcessBatch(buf[:0], pkts, out)
			}
		})
	}
	for i := range 50 {
		configure(t, m, webLB(backends(4+i%8)))
		m.SetHealth(dip(1+i%4), i%3 != 0)
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
