//go:build linux

package interop

import (
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// TestMD5WrongKey checks that TCP-MD5 is really in force: with a key BIRD
// does not share, no session comes up (the kernel drops the segments).
func TestMD5WrongKey(t *testing.T) {
	t.Parallel()
	needRoot(t, bird.bins...)
	tp := newTopo(t)
	s := tp.speaker(ourAS)
	sub := s.Subscribe(16)
	bird.start(tp, true, "the-right-key")
	if err := s.AddPeer(bgp.PeerConfig{
		Address: tp.them, PeerASN: theirAS, HoldTime: 9 * time.Second, ConnectTime: time.Second,
		Password: "a-wrong-key", Families: []wire.Family{wire.IPv4Unicast},
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-sub.Events():
		t.Fatalf("with a wrong TCP-MD5 key: %v %v", ev.Type, ev.Err)
	case <-time.After(3 * time.Second):
	}
	if bird.established(tp) {
		t.Fatal("BIRD shows Established with a wrong TCP-MD5 key")
	}
}
