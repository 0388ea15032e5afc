package router

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// TestConcurrentForwardingAndChanges forwards from several goroutines while
// routes, interfaces and neighbors change and timers run (run with -race).
func TestConcurrentForwardingAndChanges(t *testing.T) {
	r, _, clk := testRouter(t)
	r.cfg.Output = discard{}
	resolve(t, r, 2, hBv4, macB)
	resolve(t, r, 2, hBv6, macB)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f4 := udp4(macR1, macA, hAv4, netip.MustParseAddr("198.18.0.1"), 64, uint16(g), 2, 0)
			f6 := udp6(macR1, macA, hAv6, hBv6, 64, uint16(g), 2, 0)
			b4, b6 := make([]byte, len(f4)), make([]byte, len(f6))
			for {
				select {
				case <-stop:
					return
				default:
				}
				copy(b4, f4)
				copy(b6, f6)
				r.Input(1, b4)
				r.Input(1, b6)
			}
		}()
	}
	p := netip.MustParsePrefix("198.18.0.0/15")
	for i := range 200 {
		r.Routes().Replace(SourceEBGP, p, []NextHop{{Addr: hBv4}, {Addr: netip.AddrFrom4([4]byte{10, 99, 2, byte(30 + i%4)}), IfIndex: 2}})
		if i%10 == 0 {
			r.Routes().WithdrawSource(SourceEBGP)
			r.SetInterface(Interface{Index: 2, Name: "outside", MAC: macR2, MTU: 1400 + i,
				Addrs: []netip.Prefix{netip.PrefixFrom(r2v4, 24), netip.PrefixFrom(r2v6, 64)}})
		}
		r.Input(2, arpFrame(header.ARPReply, macB, hBv4, macR2, r2v4))
		clk.advance(100 * time.Millisecond)
		r.Tick()
	}
	for deadline := time.Now().Add(5 * time.Second); r.Counter(Forwarded) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // let the forwarding goroutines get scheduled
	}
	close(stop)
	wg.Wait()
	if r.Counter(Forwarded) == 0 {
		t.Error("nothing forwarded")
	}
}
