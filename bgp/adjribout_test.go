package bgp

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
	"pgregory.net/rapid"
)

// peerView is what a hand-driven peer has learned: prefix to MED.
type peerView struct {
	mu  sync.Mutex
	m   map[netip.Prefix]uint32
	err error // why the reader stopped, if it did
}

func (v *peerView) stop(err error) {
	v.mu.Lock()
	v.err = err
	v.mu.Unlock()
}

func (v *peerView) stopped() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

func (v *peerView) snapshot() map[netip.Prefix]uint32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[netip.Prefix]uint32, len(v.m))
	for k, x := range v.m {
		out[k] = x
	}
	return out
}

// TestAdjRIBOutConverges: after any sequence of Announce and Withdraw
// calls, the peer holds exactly the announced prefixes with their latest
// attributes (the session's Adj-RIB-Out follows the speaker's table).
func TestAdjRIBOutConverges(t *testing.T) {
	checkGoroutines(t)
	s := newSpeaker(t, 65001, "10.0.0.1", "127.0.0.1")
	ln := listenPeer(t, s, PeerConfig{PeerASN: 65002, HoldTime: 9 * time.Second, ConnectTime: 5 * time.Second,
		Families: []wire.Family{wire.IPv4Unicast}})
	nc := handshakeRaw(t, ln, 0, wire.Capabilities{FourOctetAS: true}).nc

	view := &peerView{m: map[netip.Prefix]uint32{}}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			m, err := wire.ReadMessage(nc, nil, wire.MaxMessageLen)
			if err != nil {
				view.stop(err)
				return
			}
			if wire.MessageType(m[18]) != wire.TypeUpdate {
				continue
			}
			u, err := wire.ParseUpdate(m, &wire.DecodeOptions{AS4: true, EBGP: true})
			if err != nil {
				view.stop(err)
				return
			}
			med := uint32(0)
			if a, ok := u.Attr(wire.AttrMED); ok {
				med = a.Uint32()
			}
			view.mu.Lock()
			for _, n := range u.Unreachable() {
				delete(view.m, n.Prefix)
			}
			for _, n := range u.Reachable() {
				view.m[n.Prefix] = med
			}
			view.mu.Unlock()
		}
	}()
	defer func() { nc.Close(); <-readDone }()

	model := map[netip.Prefix]uint32{}
	rapid.Check(t, func(rt *rapid.T) {
		// Each check starts from an empty table (the session is shared).
		for p := range model {
			s.Withdraw(p)
			delete(model, p)
		}
		ops := rapid.IntRange(1, 20).Draw(rt, "ops")
		for range ops {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 40, 0, byte(rapid.IntRange(0, 15).Draw(rt, "prefix"))}), 32)
			if rapid.Bool().Draw(rt, "announce") {
				med := uint32(rapid.IntRange(0, 3).Draw(rt, "med"))
				if err := s.Announce(p, wire.Attributes{MED: med, HasMED: true}); err != nil {
					rt.Fatal(err)
				}
				model[p] = med
			} else if _, ok := model[p]; ok {
				if err := s.Withdraw(p); err != nil {
					rt.Fatal(err)
				}
				delete(model, p)
			}
		}
		deadline := time.Now().Add(3 * time.Second)
		for {
			got := view.snapshot()
			diff := cmp.Diff(model, got)
			if diff == "" {
				return
			}
			if time.Now().After(deadline) {
				rt.Fatalf("peer's view differs from the announced table (-want +got; reader stopped: %v):\n%s", view.stopped(), diff)
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
}
