package hostagent_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// Packets both ways (SYNs on tracked tuples among them), SNAT,
// reconfiguration, ticks, SetBusy and SetInternal at once: run with
// -race, nothing may race or break a translation.
func TestConcurrentUse(t *testing.T) {
	r := newSNATRig(t, 1024)
	a := r.agent
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				port := uint16(10000 + g*1000 + i)
				in := build(t, flow{Src: ap(client4, port), Dst: ap(vip4, 81), Proto: 6, Flags: header.TCPFlagACK})
				if i%3 == 0 { // a SYN on an earlier connection's tuple, whose DIP may be busy
					port = uint16(10000 + g*1000 + i%50)
					in = build(t, flow{Src: ap(client4, port), Dst: ap(vip4, 81), Proto: 6, Flags: header.TCPFlagSYN})
				}
				res, err := a.Inbound(in, vni, netip.Addr{})
				if err != nil {
					t.Error(err)
					return
				}
				// A delivery the full table could not track has no state
				// for its reply to find (ReasonTableFull).
				if res.Verdict == hostagent.Deliver && res.Reason != hostagent.ReasonTableFull {
					got, ok := read(t, in)
					if !ok {
						t.Error("bad checksum")
						return
					}
					back := build(t, reply(got))
					if res, _ := a.Outbound(back, vni); res.Verdict != hostagent.ToRouter {
						t.Errorf("reply: %+v", res)
						return
					}
				}
				out := build(t, flow{Src: ap(dipC, port), Dst: ap(remote2, 443), Proto: 6, Flags: header.TCPFlagSYN})
				a.Outbound(out, vni)
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			lb := withOutbound(1024)
			if i%2 == 1 {
				lb.LoadBalancingRules[1].IdleTimeoutInMinutes = 5
			}
			if err := a.Configure(lb); err != nil {
				t.Error(err)
			}
			a.Tick(context.Background())
			a.SetBusy(vni, dipB, i%2 == 0)
			if i%2 == 0 { // remote2 internal, or not: its SYNs Pass or are SNATed
				a.SetInternal([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.PrefixFrom(remote2, 32)})
			} else {
				a.SetInternal([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
			}
			_ = a.Stats()
		}
	})
	wg.Wait()
}
