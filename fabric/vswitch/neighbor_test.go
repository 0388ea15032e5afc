package vswitch

import (
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// TestNeighborLearn: learning refreshes a learned entry's MAC, leaves a
// static one alone, and adds no address the switch never asked for.
func TestNeighborLearn(t *testing.T) {
	var n neighbors
	n.init()
	learned, static, unknown := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	old, moved := header.MAC{2, 0, 0, 0, 0, 1}, header.MAC{2, 0, 0, 0, 0, 2}
	n.set(learned, old, false)
	n.set(static, old, true)
	for _, a := range []netip.Addr{learned, static, unknown} {
		n.learn(a, old) // unchanged
		n.learn(a, moved)
	}
	for _, c := range []struct {
		a    netip.Addr
		want header.MAC
		ok   bool
	}{{learned, moved, true}, {static, old, true}, {unknown, header.MAC{}, false}} {
		if mac, ok := n.lookup(c.a); mac != c.want || ok != c.ok {
			t.Errorf("%s: %s %v, want %s %v", c.a, mac, ok, c.want, c.ok)
		}
	}
}
