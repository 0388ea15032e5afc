package snat_test

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/snat"
)

var (
	vip1  = netip.MustParseAddr("203.0.113.10")
	vip2  = netip.MustParseAddr("203.0.113.11")
	host1 = netip.MustParseAddr("192.0.2.11")
	host2 = netip.MustParseAddr("192.0.2.12")
	dipA  = netip.MustParseAddr("10.1.0.5")
	dipB  = netip.MustParseAddr("10.1.0.6")
)

// outbound is a load balancer with an outbound rule over two frontends,
// and inbound rules on some ports of the first (80 is below the SNAT
// range; 8080 and 20000-20009 are in it).
func outbound(ports int) slb.LoadBalancer {
	return slb.LoadBalancer{
		Name:                     "lb",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe1", VIP: vip1}, {Name: "fe2", VIP: vip2}},
		BackendAddressPools: []slb.BackendPool{{Name: "pool", VNI: 7, Backends: []slb.Backend{
			{DIP: dipA, HostPA: host1}, {DIP: dipB, HostPA: host2}}}},
		Probes: []slb.Probe{{Name: "tcp", Protocol: slb.ProbeTCP, Port: 80}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe1", BackendPool: "pool", Probe: "tcp",
			Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 80}},
		InboundNatRules: []slb.InboundNatRule{
			{Name: "admin", Frontend: "fe1", BackendPool: "pool", Protocol: slb.ProtocolTCP, FrontendPort: 8080, DIP: dipB, BackendPort: 80},
			{Name: "ssh", Frontend: "fe1", BackendPool: "pool", Protocol: slb.ProtocolTCP,
				FrontendPortRangeStart: 20000, FrontendPortRangeEnd: 20009, BackendPort: 22},
		},
		OutboundRules: []slb.OutboundRule{{Name: "out", Frontends: []string{"fe1", "fe2"}, BackendPool: "pool",
			Protocol: slb.ProtocolAll, AllocatedOutboundPorts: ports}},
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func req(dip, host netip.Addr, proto uint8) snat.Request {
	return snat.Request{LoadBalancer: "lb", Rule: "out", Host: host, VNI: 7, DIP: dip, Protocol: proto}
}

func TestLeaseQuotaRelease(t *testing.T) {
	var events []bool
	m := snat.New(snat.Config{OnChange: func(l snat.Lease, granted bool) { events = append(events, granted) }})
	if err := m.Configure(outbound(24)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var got []snat.Lease
	for range 3 {
		l, err := m.Lease(ctx, req(dipA, host1, 6))
		if err != nil {
			t.Fatal(err)
		}
		if l.VIP != vip1 || l.First%8 != 0 || l.First < slb.SNATFirstPort || l.Host != host1 {
			t.Errorf("lease %+v", l)
		}
		got = append(got, l)
	}
	_, err := m.Lease(ctx, req(dipA, host1, 6))
	var se *snat.Error
	if !errors.Is(err, snat.ErrQuota) || !errors.As(err, &se) || se.DIP != dipA {
		t.Fatalf("fourth block: %v, want ErrQuota", err)
	}
	// UDP has its own space and quota.
	if _, err := m.Lease(ctx, req(dipA, host1, 17)); err != nil {
		t.Fatal(err)
	}
	for _, r := range []snat.Request{req(dipA, host2, 6), req(netip.MustParseAddr("10.9.9.9"), host1, 6),
		{LoadBalancer: "lb", Rule: "nope", Host: host1, VNI: 7, DIP: dipA, Protocol: 6}, req(dipA, host1, 1)} {
		if _, err := m.Lease(ctx, r); !errors.Is(err, snat.ErrUnknown) {
			t.Errorf("%+v: %v, want ErrUnknown", r, err)
		}
	}
	if err := m.Release(ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	if err := m.Release(ctx, got[0]); !errors.Is(err, snat.ErrNotLeased) {
		t.Errorf("second release: %v, want ErrNotLeased", err)
	}
	if _, err := m.Lease(ctx, req(dipA, host1, 6)); err != nil {
		t.Errorf("after a release: %v", err)
	}
	s := m.Stats()
	if s.Leased != 4 || s.Quota != 1 || s.Granted != 5 || s.Released != 1 {
		t.Errorf("stats %+v", s)
	}
	if len(events) != 6 || events[5] != true || events[4] != false {
		t.Errorf("events %v", events)
	}
}

func TestInboundPortsExcluded(t *testing.T) {
	m := snat.New(snat.Config{})
	lb := outbound(0)
	// One DIP only, so it may have every block.
	lb.BackendAddressPools[0].Backends = lb.BackendAddressPools[0].Backends[:1]
	lb.InboundNatRules[0].DIP = dipA
	if err := m.Configure(lb); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := 0
	for {
		l, err := m.Lease(ctx, req(dipA, host1, 6))
		if errors.Is(err, snat.ErrQuota) || errors.Is(err, snat.ErrExhausted) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if l.VIP == vip1 && (l.Contains(8080) || (l.First <= 20009 && l.Last() >= 20000)) {
			t.Fatalf("block %v holds an inbound port", l.Block)
		}
		n++
	}
	// fe1 loses the blocks of 8080 and 20000-20009 (two blocks), fe2 none.
	want := 2*slb.SNATPortsPerVIP/8 - 3
	if n != want {
		t.Errorf("%d blocks leased, want %d", n, want)
	}
	// The quota (the free ports counted one by one) is one block more
	// than the whole blocks left, so the last request finds none. UDP
	// (both frontends) is untouched.
	if s := m.Stats(); s.Exhausted != 1 || s.Free != 2*slb.SNATPortsPerVIP/8 || s.Leased != n {
		t.Errorf("stats %+v", s)
	}
}

func TestExpireAndRenew(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	m := snat.New(snat.Config{Clock: clock, LeaseTime: time.Minute, Logger: slog.New(slog.DiscardHandler)})
	if err := m.Configure(outbound(16)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _ := m.Lease(ctx, req(dipA, host1, 6))
	b, _ := m.Lease(ctx, req(dipB, host2, 6))
	clock.Advance(50 * time.Second)
	if _, err := m.Renew(ctx, a); err != nil {
		t.Fatal(err)
	}
	clock.Advance(20 * time.Second)
	if n := m.Expire(); n != 1 {
		t.Errorf("expired %d, want 1 (b)", n)
	}
	if _, err := m.Renew(ctx, b); !errors.Is(err, snat.ErrNotLeased) {
		t.Errorf("renew expired lease: %v", err)
	}
	// A configuration that moves DIP A to host 2 revokes its lease.
	lb := outbound(16)
	lb.BackendAddressPools[0].Backends[0].HostPA = host2
	if err := m.Configure(lb); err != nil {
		t.Fatal(err)
	}
	if s := m.Stats(); s.Leased != 0 || s.Revoked != 1 {
		t.Errorf("stats %+v", s)
	}
}

// No block is ever leased twice, no DIP holds more than its quota, and
// every block released comes back: after releasing everything, the free
// count is what it was at the start.
func TestPropertyLeases(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ports := rapid.SampledFrom([]int{8, 16, 64}).Draw(t, "ports")
		m := snat.New(snat.Config{})
		if err := m.Configure(outbound(ports)); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		start := m.Stats().Free
		held := map[snat.Block]snat.Lease{}
		perDIP := map[[2]any]int{}
		dips := []snat.Request{req(dipA, host1, 6), req(dipA, host1, 17), req(dipB, host2, 6)}
		for range rapid.IntRange(1, 60).Draw(t, "ops") {
			if len(held) == 0 || rapid.Bool().Draw(t, "lease") {
				r := rapid.SampledFrom(dips).Draw(t, "req")
				l, err := m.Lease(ctx, r)
				k := [2]any{r.DIP, r.Protocol}
				if errors.Is(err, snat.ErrQuota) {
					if perDIP[k] != ports/8 {
						t.Fatalf("quota refused at %d blocks, quota %d", perDIP[k], ports/8)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if _, dup := held[l.Block]; dup {
					t.Fatalf("block %v leased twice", l.Block)
				}
				held[l.Block] = l
				perDIP[k]++
				continue
			}
			var blocks []snat.Block
			for b := range held {
				blocks = append(blocks, b)
			}
			b := blocks[rapid.IntRange(0, len(blocks)-1).Draw(t, "victim")]
			if err := m.Release(ctx, held[b]); err != nil {
				t.Fatal(err)
			}
			perDIP[[2]any{held[b].DIP, held[b].Protocol}]--
			delete(held, b)
		}
		n := 0
		for l := range m.Leases() {
			if held[l.Block] != l {
				t.Fatalf("manager holds %+v, model %+v", l, held[l.Block])
			}
			n++
		}
		if n != len(held) {
			t.Fatalf("manager has %d leases, model %d", n, len(held))
		}
		for _, l := range held {
			if err := m.Release(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		if s := m.Stats(); s.Free != start || s.Leased != 0 {
			t.Fatalf("after releasing everything: %+v, want %d free", s, start)
		}
	})
}

func BenchmarkLeaseRelease(b *testing.B) {
	m := snat.New(snat.Config{})
	if err := m.Configure(outbound(0)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l, err := m.Lease(ctx, req(dipA, host1, 6))
		if err != nil {
			b.Fatal(err)
		}
		m.Release(ctx, l)
	}
}
