package bgp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// TestEqualAttributesShareUpdates: prefixes announced one by one with equal
// attributes go out together, 800 or so per 4096-byte UPDATE, not one
// UPDATE each.
func TestEqualAttributesShareUpdates(t *testing.T) {
	checkGoroutines(t)
	sa := newSpeaker(t, 65001, "10.0.0.1", loA.String())
	sb := newSpeaker(t, 65002, "10.0.0.2", loB.String())
	subB := sb.Subscribe(64)
	for i := range 1000 {
		// A fresh but equal attribute set each time.
		sa.Announce(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 8, byte(i >> 8), byte(i)}), 32),
			wire.Attributes{Communities: []wire.Community{65001<<16 | 7}})
	}
	if n := len(sa.attrSets); n != 1 {
		t.Fatalf("%d attribute sets for 1000 equal announcements", n)
	}
	if err := sb.AddPeer(PeerConfig{Address: loA, PeerASN: 65001, Passive: true}); err != nil {
		t.Fatal(err)
	}
	if err := sa.AddPeer(PeerConfig{Address: loB, Port: sb.ListenAddrs()[0].Port(), SourceAddress: loA, PeerASN: 65002, ConnectTime: time.Second}); err != nil {
		t.Fatal(err)
	}
	updates, n := 0, 0
	for n < 1000 {
		ev := waitFor(t, subB, 5*time.Second, "the 1000 prefixes", func(ev Event) bool { return len(ev.Announced) > 0 })
		updates++
		n += len(ev.Announced)
	}
	if updates > 2 {
		t.Errorf("1000 prefixes with equal attributes took %d UPDATEs, want 2", updates)
	}
}

// TestAttributeSetsReleased: replacing and withdrawing prefixes forgets
// attribute sets nothing uses any more.
func TestAttributeSetsReleased(t *testing.T) {
	s := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	p, q := netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("192.0.2.2/32")
	a, b := wire.Attributes{MED: 1, HasMED: true}, wire.Attributes{MED: 2, HasMED: true}
	s.Announce(p, a)
	s.Announce(q, a)
	s.Announce(p, b)
	if n := len(s.attrSets); n != 2 {
		t.Fatalf("%d attribute sets, want 2", n)
	}
	if s.table[q] == s.table[p] {
		t.Fatal("different attributes share a set")
	}
	s.Withdraw(q)
	if n := len(s.attrSets); n != 1 {
		t.Fatalf("%d attribute sets after the last user of one went, want 1", n)
	}
	s.Withdraw(p)
	if n := len(s.attrSets); n != 0 {
		t.Fatalf("%d attribute sets with nothing announced", n)
	}
}
