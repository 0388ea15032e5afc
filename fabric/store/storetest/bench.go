package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// Bench runs the backend benchmarks: a conditional Put, a Get, an Apply of
// 16 puts, a List of 100 keys, and a Put delivered to a watcher.
func Bench(b *testing.B, h Harness) {
	value := []byte(`{"kind":"NetworkInterface","spec":{"mac":"02:00:00:00:00:01","ip":"10.1.0.4"}}`)
	ctx := context.Background()
	b.Run("Put", func(b *testing.B) {
		s := h.New(b)
		defer s.Close()
		rev, _ := s.Put(ctx, "/v1/nics/a", value, store.MustNotExist)
		b.ReportAllocs()
		b.SetBytes(int64(len(value)))
		for b.Loop() {
			var err error
			if rev, err = s.Put(ctx, "/v1/nics/a", value, rev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Get", func(b *testing.B) {
		s := h.New(b)
		defer s.Close()
		s.Put(ctx, "/v1/nics/a", value, store.MustNotExist)
		b.ReportAllocs()
		b.SetBytes(int64(len(value)))
		for b.Loop() {
			if _, err := s.Get(ctx, "/v1/nics/a"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Apply16", func(b *testing.B) {
		s := h.New(b)
		defer s.Close()
		ops := make([]store.Op, 16)
		for i := range ops {
			ops[i] = store.PutOp(fmt.Sprintf("/v1/nics/n%02d", i), value, store.Any)
		}
		b.ReportAllocs()
		b.SetBytes(int64(16 * len(value)))
		for b.Loop() {
			if _, err := s.Apply(ctx, ops); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("List100", func(b *testing.B) {
		s := h.New(b)
		defer s.Close()
		for i := range 100 {
			s.Put(ctx, fmt.Sprintf("/v1/nics/n%03d", i), value, store.MustNotExist)
		}
		b.ReportAllocs()
		b.SetBytes(int64(100 * len(value)))
		for b.Loop() {
			if kvs, _, err := s.List(ctx, "/v1/nics/"); err != nil || len(kvs) != 100 {
				b.Fatal(len(kvs), err)
			}
		}
	})
	b.Run("PutWatched", func(b *testing.B) {
		s := h.New(b)
		defer s.Close()
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		rev, _ := s.Put(ctx, "/v1/nics/a", value, store.MustNotExist)
		ch, err := s.Watch(wctx, "/v1/", rev)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if rev, err = s.Put(ctx, "/v1/nics/a", value, rev); err != nil {
				b.Fatal(err)
			}
			if ev := <-ch; ev.Err != nil {
				b.Fatal(ev.Err)
			}
		}
	})
}
