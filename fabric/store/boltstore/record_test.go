package boltstore

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

func TestEventsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rev := rapid.Int64Range(1, 1<<40).Draw(t, "rev")
		n := rapid.IntRange(0, 5).Draw(t, "n")
		var want []store.Event
		var b []byte
		for range n {
			ev := store.Event{Type: store.EventDelete, KV: store.KV{
				Key: "/" + rapid.StringN(0, 20, store.MaxKeyLen-1).Draw(t, "key"), ModRevision: rev}}
			if rapid.Bool().Draw(t, "put") {
				ev.Type = store.EventPut
				ev.KV.CreateRevision = rapid.Int64Range(1, rev).Draw(t, "create")
				ev.KV.Value = rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "value")
			}
			want = append(want, ev)
			b = appendEvent(b, ev)
		}
		var got []store.Event
		if err := decodeEvents(rev, b, func(ev store.Event) bool { got = append(got, ev); return true }); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got, cmp.Transformer("str", func(b []byte) string { return string(b) })); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
}

func TestKVRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mod := rapid.Int64Range(1, 1<<40).Draw(t, "mod")
		want := store.KV{Key: "/k", CreateRevision: rapid.Int64Range(1, mod).Draw(t, "create"), ModRevision: mod,
			Value: rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "value")}
		got, err := decodeKV("/k", appendKV(nil, want))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got, cmp.Transformer("str", func(b []byte) string { return string(b) })); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
}

func FuzzDecodeEvents(f *testing.F) {
	f.Add(appendEvent(nil, store.Event{Type: store.EventPut, KV: store.KV{Key: "/v1/a", CreateRevision: 3, Value: []byte("x")}}))
	f.Add(appendEvent(nil, store.Event{Type: store.EventDelete, KV: store.KV{Key: "/v1/a"}}))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{3})
	f.Fuzz(func(t *testing.T, b []byte) {
		err := decodeEvents(10, b, func(ev store.Event) bool {
			if len(ev.KV.Key) > store.MaxKeyLen || ev.KV.ModRevision != 10 {
				t.Fatalf("decoded out-of-bounds event %+v", ev)
			}
			return true
		})
		if err != nil && !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		}
	})
}

func FuzzDecodeKV(f *testing.F) {
	f.Add(appendKV(nil, store.KV{CreateRevision: 1, ModRevision: 2, Value: []byte("v")}))
	f.Add([]byte{})
	f.Add([]byte{5, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		kv, err := decodeKV("/k", b)
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if kv.CreateRevision > kv.ModRevision {
			t.Fatalf("accepted %+v", kv)
		}
	})
}
