package rib

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/bgp/rib/ribtest"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// checkInvariants verifies the refcounts and ECMP bookkeeping.
func checkInvariants(t testing.TB, r *RIB) {
	t.Helper()
	refs := map[*AttrSet]int32{}
	for p, d := range r.tab.all {
		if len(d.paths) == 0 || d.nbest < 1 || int(d.nbest) > len(d.paths) {
			t.Fatalf("%v: %d paths, ECMP set of %d", p, len(d.paths), d.nbest)
		}
		for _, x := range d.paths {
			refs[x.attrs]++
		}
	}
	n := 0
	for _, head := range r.intern.sets {
		for s := head; s != nil; s = s.next {
			n++
			if s.refs != refs[s] {
				t.Fatalf("attribute set has %d references, %d paths use it", s.refs, refs[s])
			}
			delete(refs, s)
		}
	}
	if len(refs) != 0 || n != r.intern.n {
		t.Fatalf("%d sets used by paths are not interned; table counts %d of %d", len(refs), r.intern.n, n)
	}
}

// FuzzIngest feeds arbitrary UPDATE bodies, as ParseUpdate accepts them,
// to a RIB that already holds routes; nothing panics and the refcounts and
// ECMP sets stay consistent.
func FuzzIngest(f *testing.F) {
	msgs, err := ribtest.Updates(ribtest.Table(20, 3, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("2001:db8::1")))
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range msgs {
		f.Add(byte(1), m[wire.HeaderLen:])
	}
	f.Add(byte(0), []byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, mode byte, body []byte) {
		if len(body) > wire.MaxExtendedMessageLen-wire.HeaderLen {
			return
		}
		msg := make([]byte, wire.HeaderLen, wire.HeaderLen+len(body))
		for i := range 16 {
			msg[i] = 0xff
		}
		binary.BigEndian.PutUint16(msg[16:], uint16(wire.HeaderLen+len(body)))
		msg[18] = byte(wire.TypeUpdate)
		msg = append(msg, body...)
		o := wire.DecodeOptions{AS4: mode&1 != 0, ExtendedMessage: true, EBGP: mode&2 != 0}
		if mode&4 != 0 {
			o.AddPath = o.AddPath.With(wire.IPv4Unicast).With(wire.IPv6Unicast)
		}
		u, err := wire.ParseUpdate(msg, &o)
		if err != nil {
			return
		}
		r := New(Options{LocalASN: testASN, RouterID: testRouterID, DefaultLocalPref: 100, MaxPaths: 4})
		a := r.AddPeer(PeerConfig{Addr: netip.MustParseAddr("10.0.0.1"), ASN: 1, AllowWithoutPolicy: true})
		b := r.AddPeer(PeerConfig{Addr: netip.MustParseAddr("10.0.0.2"), ASN: testASN, AllowWithoutPolicy: true})
		for i := range msgs {
			seed, err := wire.ParseUpdate(msgs[i], &ribtest.DecodeOptions)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Ingest(a, &seed); err != nil {
				t.Fatal(err)
			}
		}
		for _, peer := range []PeerID{a, b, a} {
			if err := r.Ingest(peer, &u); err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, r)
		}
		if err := r.RemovePeer(a); err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, r)
	})
}
