package mux

import (
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/slb"
)

// TestBackendMoves: a DIP whose host changes (a live migration) keeps its
// established flows, which go to the new host at once, without a drain;
// the other DIPs' flows stay where they were, and new flows are spread as
// before.
func TestBackendMoves(t *testing.T) {
	clk := newClock()
	m := newMux(t, Config{Clock: clk, DrainTimeout: 20 * time.Second})
	pool := backends(4)
	configure(t, m, webLB(pool))
	moving := pool[2]
	before := map[pk]Result{}
	for sp := uint16(1); sp < 200; sp++ {
		k := tcpPk(client, vip4, sp, 80)
		send(t, m, k.bytes())
		before[k] = send(t, m, k.bytes())
	}
	moved := append([]slb.Backend(nil), pool...)
	moved[2].HostPA = host(150)
	configure(t, m, webLB(moved))
	n := 0
	for k, was := range before {
		r := send(t, m, k.bytes())
		if r.Flow != FlowEstablished || r.DIP != was.DIP {
			t.Fatalf("flow %v: %+v after the move, was %+v", k, r, was)
		}
		switch {
		case r.DIP == moving.DIP:
			n++
			if r.NextHop != host(150) {
				t.Errorf("flow of the moved DIP still goes to %v", r.NextHop)
			}
		case r.NextHop != was.NextHop:
			t.Errorf("flow of %v moved from %v to %v", r.DIP, was.NextHop, r.NextHop)
		}
	}
	if n == 0 {
		t.Fatal("no flow reached the moving DIP")
	}
	// The inbound NAT rule to DIP 1 follows it too.
	moved[0].HostPA = host(151)
	configure(t, m, webLB(moved))
	if r := send(t, m, tcpPk(client, vip4, 40000, 2201).bytes()); r.NextHop != host(151) || r.DIP != pool[0].DIP {
		t.Errorf("inbound NAT after DIP 1 moved: %+v", r)
	}
	if s := m.Stats(); s.Repicked != 0 {
		t.Errorf("Repicked %d: a move is not a removal", s.Repicked)
	}
}
