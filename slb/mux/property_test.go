package mux

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/slb"
	"pgregory.net/rapid"
)

func genPool(t *rapid.T, label string, min, max int) []slb.Backend {
	n := rapid.IntRange(min, max).Draw(t, label+" size")
	ids := rapid.Permutation(rapid.SliceOfNDistinct(rapid.IntRange(1, 4000), n, n, rapid.ID[int]).Draw(t, label+" ids")).Draw(t, label+" order")
	pool := make([]slb.Backend, n)
	for i, id := range ids {
		pool[i] = slb.Backend{DIP: dip(id), HostPA: host(id%200 + 1), Weight: uint32(1 + id%3)}
	}
	return pool
}

func genFlows(t *rapid.T, n int) []pk {
	flows := make([]pk, n)
	for i := range flows {
		src := netip.AddrFrom4([4]byte{100, 64, byte(rapid.IntRange(0, 255).Draw(t, "a")), byte(rapid.IntRange(0, 255).Draw(t, "b"))})
		flows[i] = tcpPk(src, vip4, uint16(rapid.IntRange(1024, 65535).Draw(t, "port")), 80)
	}
	return flows
}

// An established flow keeps its DIP across any sequence of backend
// additions until it goes idle.
func TestPropertyStickyAcrossAdditions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		clk := newClock()
		m := newMux(t, Config{Clock: clk, MaglevSize: 251})
		pool := genPool(t, "initial", 1, 8)
		lb := webLB(pool)
		lb.InboundNatRules = nil
		configure(t, m, lb)
		flows := genFlows(t, 30)
		dips := map[int]netip.Addr{}
		for i, k := range flows {
			dips[i] = send(t, m, k.bytes()).DIP
		}
		used := map[netip.Addr]bool{}
		for _, b := range pool {
			used[b.DIP] = true
		}
		for range rapid.IntRange(1, 4).Draw(t, "additions") {
			for _, b := range genPool(t, "added", 1, 5) {
				if !used[b.DIP] {
					used[b.DIP] = true
					lb.BackendAddressPools[0].Backends = append(lb.BackendAddressPools[0].Backends, b)
				}
			}
			configure(t, m, lb)
			clk.Advance(time.Duration(rapid.IntRange(0, 3000).Draw(t, "ms")) * time.Millisecond)
			for i, k := range flows {
				if r := send(t, m, k.bytes()); r.DIP != dips[i] {
					t.Fatalf("flow %d moved from %v to %v", i, dips[i], r.DIP)
				}
			}
		}
		// Idle past the rule's timeout: flows are new again and go where
		// Maglev sends them, which a fresh Mux agrees with.
		clk.Advance(5 * time.Minute)
		fresh := newMux(t, Config{MaglevSize: 251})
		configure(t, fresh, lb)
		for _, k := range flows {
			r, want := send(t, m, k.bytes()), send(t, fresh, k.bytes())
			if r.DIP != want.DIP {
				t.Fatalf("idle flow went to %v, Maglev says %v", r.DIP, want.DIP)
			}
		}
	})
}

// A removed DIP keeps its established flows for the drain time while new
// flows go elsewhere; after it the flows move to healthy DIPs.
func TestPropertyDrain(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		clk := newClock()
		drain := time.Duration(rapid.IntRange(1, 60).Draw(t, "drain s")) * time.Second
		m := newMux(t, Config{Clock: clk, MaglevSize: 251, DrainTimeout: drain})
		pool := genPool(t, "pool", 2, 8)
		lb := webLB(pool)
		lb.InboundNatRules = nil
		configure(t, m, lb)
		flows := genFlows(t, 30)
		dips := make([]netip.Addr, len(flows))
		for i, k := range flows {
			send(t, m, k.bytes())
			dips[i] = send(t, m, k.bytes()).DIP // trusted
		}
		gone := rapid.IntRange(0, len(pool)-1).Draw(t, "removed")
		removed := pool[gone].DIP
		lb.BackendAddressPools[0].Backends = append(append([]slb.Backend(nil), pool[:gone]...), pool[gone+1:]...)
		configure(t, m, lb)
		for _, k := range genFlows(t, 20) {
			k.sp ^= 0x8000 // not one of the established flows
			if r := send(t, m, k.bytes()); r.DIP == removed && r.Flow != FlowEstablished {
				t.Fatalf("new flow sent to removed DIP %v", removed)
			}
		}
		clk.Advance(drain - 20*time.Millisecond)
		for i, k := range flows {
			if r := send(t, m, k.bytes()); r.DIP != dips[i] {
				t.Fatalf("flow %d moved during the drain: %v -> %v", i, dips[i], r.DIP)
			}
		}
		clk.Advance(40 * time.Millisecond)
		for i, k := range flows {
			r := send(t, m, k.bytes())
			if r.DIP == removed {
				t.Fatalf("flow %d still on %v after the drain", i, removed)
			}
			if dips[i] != removed && r.DIP != dips[i] {
				t.Fatalf("flow %d on a kept DIP moved: %v -> %v", i, dips[i], r.DIP)
			}
		}
	})
}

// Whatever DIPs go out of rotation (unhealthy or removed), a SYN that
// opens a connection on an established flow's 5-tuple goes where a fresh
// Mux with the same configuration and health sends a new flow, never to
// a DIP out of rotation, and the flow's later packets follow it; until
// such a SYN, the flow's packets stay on its DIP.
func TestPropertySYNLeavesDIPOutOfRotation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		clk := newClock()
		m := newMux(t, Config{Clock: clk, MaglevSize: 251, DrainTimeout: time.Minute})
		pool := genPool(t, "pool", 2, 8)
		lb := webLB(pool)
		lb.InboundNatRules = nil
		configure(t, m, lb)
		var flows []pk // distinct
		for _, k := range genFlows(t, 30) {
			if !slices.Contains(flows, k) {
				flows = append(flows, k)
			}
		}
		cur := make([]netip.Addr, len(flows))
		for i, k := range flows {
			send(t, m, k.bytes())
			cur[i] = send(t, m, k.bytes()).DIP // trusted
		}
		// Out of rotation: some unhealthy, some removed, one left.
		out := map[netip.Addr]bool{}
		var kept []slb.Backend
		var down []netip.Addr
		for i, b := range pool {
			switch how := rapid.IntRange(0, 2).Draw(t, "out"); {
			case i == len(pool)-1 && len(out) == i, how == 0:
				kept = append(kept, b)
			case how == 1:
				kept = append(kept, b)
				down = append(down, b.DIP)
				out[b.DIP] = true
			default:
				out[b.DIP] = true
			}
		}
		if len(kept) == len(down) { // keep one healthy DIP
			down = down[:len(down)-1]
			delete(out, kept[len(down)].DIP)
		}
		lb.BackendAddressPools[0].Backends = kept
		configure(t, m, lb)
		fresh := newMux(t, Config{MaglevSize: 251})
		configure(t, fresh, lb)
		for _, d := range down {
			m.SetHealth(webVNI, d, false)
			fresh.SetHealth(webVNI, d, false)
		}
		for range rapid.IntRange(1, 100).Draw(t, "packets") {
			i := rapid.IntRange(0, len(flows)-1).Draw(t, "flow")
			k := flows[i]
			k.flags = rapid.SampledFrom([]uint8{tcpFlagACK, tcpFlagSYN, tcpFlagSYN | tcpFlagACK}).Draw(t, "flags")
			r := send(t, m, k.bytes())
			if k.flags != tcpFlagSYN || !out[cur[i]] {
				if r.DIP != cur[i] {
					t.Fatalf("flow %d, flags %#x: sent to %v, want its DIP %v", i, k.flags, r.DIP, cur[i])
				}
				continue
			}
			if want := send(t, fresh, k.bytes()).DIP; r.DIP != want || out[r.DIP] || r.Flow != FlowNew {
				t.Fatalf("flow %d on %v out of rotation: SYN sent to %v (%v), a new flow goes to %v", i, cur[i], r.DIP, r.Flow, want)
			}
			cur[i] = r.DIP
		}
	})
}

// Two Muxes configured with the same pools in different orders, through
// different histories, send every new flow to the same DIP.
func TestPropertyMuxesAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pool := genPool(t, "pool", 1, 12)
		a := newMux(t, Config{MaglevSize: 251, Shards: 1})
		b := newMux(t, Config{MaglevSize: 251, Shards: 8, LocalPA: netip.MustParseAddr("10.0.0.2")})
		lbA := webLB(pool)
		lbA.InboundNatRules = nil
		// b first saw a different pool, then the same DIPs in another order.
		lbB := lbA
		lbB.BackendAddressPools = []slb.BackendPool{{Name: "web", VNI: 5001, Backends: genPool(t, "history", 1, 5)}}
		configure(t, b, lbB)
		lbB.BackendAddressPools = []slb.BackendPool{{Name: "web", VNI: 5001,
			Backends: rapid.Permutation(pool).Draw(t, "order")}}
		configure(t, a, lbA)
		configure(t, b, lbB)
		for _, k := range genFlows(t, 50) {
			k.sp ^= 0x4000 // flows b has not seen under the old pool
			ra, rb := send(t, a, k.bytes()), send(t, b, k.bytes())
			if ra.DIP != rb.DIP {
				t.Fatalf("flow %v:%d: %v vs %v", k.src, k.sp, ra.DIP, rb.DIP)
			}
		}
	})
}
