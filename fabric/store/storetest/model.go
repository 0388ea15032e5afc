package storetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// model is the reference the property test holds the backend to: a map
// and the list of every event, nothing else.
type model struct {
	data   map[string]store.KV
	events []store.Event
	rev    int64
}

var modelKeys = []string{"/v1/a/x", "/v1/a/y", "/v1/b/x", "/v1/b/z", "/v1/ab"}
var modelPrefixes = []string{"", "/v1/a/", "/v1/b/", "/v1/a"}

// RunModel applies random sequences of puts (with right, stale and
// must-not-exist conditions), deletes, batches, lists and watches to a
// fresh store from h per check, and checks it against a model: revisions
// strictly increase, a failed condition returns a typed conflict and
// changes nothing, a watch from revision R delivers exactly the events
// after R in order, and List returns what the model holds.
func RunModel(t *testing.T, h Harness) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s := h.New(t)
		defer s.Close()
		start, err := s.Revision(ctx)
		if err != nil {
			rt.Fatal(err)
		}
		m := &model{data: map[string]store.KV{}, rev: start}
		live, err := s.Watch(ctx, "", start)
		if err != nil {
			rt.Fatal(err)
		}
		revs := []int64{start}

		// checkLive reads the events the last write produced.
		checkLive := func(n int) {
			want := m.events[len(m.events)-n:]
			got := recvRapid(rt, live, n)
			if d := gocmp.Diff(want, got); d != "" {
				rt.Fatalf("live watch (-want +got):\n%s", d)
			}
		}
		write := func(op string, ops []store.Op) {
			rev, err := s.Apply(ctx, ops)
			wantErr := m.apply(ops)
			if wantErr != nil {
				if !errors.Is(err, wantErr) {
					rt.Fatalf("%s %v: error %v, want %v", op, ops, err, wantErr)
				}
				var se *store.Error
				if !errors.As(err, &se) {
					rt.Fatalf("%s: error %v is not a *store.Error", op, err)
				}
				if errors.Is(err, store.ErrConflict) {
					if cur := m.data[se.Key]; se.Revision != cur.ModRevision {
						rt.Fatalf("conflict on %s names revision %d, model has %d", se.Key, se.Revision, cur.ModRevision)
					}
				}
				if now, _ := s.Revision(ctx); now != m.rev {
					rt.Fatalf("failed %s moved the revision from %d to %d", op, m.rev, now)
				}
				return
			}
			if err != nil {
				rt.Fatalf("%s %v: %v", op, ops, err)
			}
			if rev <= m.rev {
				rt.Fatalf("%s committed revision %d, not after %d", op, rev, m.rev)
			}
			m.commit(ops, rev)
			revs = append(revs, rev)
			checkLive(len(ops))
		}
		key := rapid.SampledFrom(modelKeys)
		value := rapid.SliceOfN(rapid.Byte(), 0, 8)
		// cond picks a right, stale, absent or unconditional revision.
		cond := func(rt *rapid.T, k string) int64 {
			cur := m.data[k].ModRevision
			switch rapid.IntRange(0, 3).Draw(rt, "cond") {
			case 0:
				return cur
			case 1:
				return store.Any
			case 2:
				return rapid.SampledFrom(revs).Draw(rt, "stale")
			}
			return store.MustNotExist
		}
		rt.Repeat(map[string]func(*rapid.T){
			"put": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				write("put", []store.Op{store.PutOp(k, value.Draw(rt, "value"), cond(rt, k))})
			},
			"delete": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				c := cond(rt, k)
				if c == store.MustNotExist {
					c = store.Any
				}
				write("delete", []store.Op{store.DeleteOp(k, c)})
			},
			"apply": func(rt *rapid.T) {
				ks := rapid.SliceOfNDistinct(key, 1, len(modelKeys), rapid.ID[string]).Draw(rt, "keys")
				ops := make([]store.Op, len(ks))
				for i, k := range ks {
					c := cond(rt, k)
					if c != store.MustNotExist && rapid.Bool().Draw(rt, "delete") {
						ops[i] = store.DeleteOp(k, c)
					} else {
						ops[i] = store.PutOp(k, value.Draw(rt, "value"), c)
					}
				}
				write("apply", ops)
			},
			"get": func(rt *rapid.T) {
				k := key.Draw(rt, "key")
				got, err := s.Get(ctx, k)
				want, ok := m.data[k]
				if !ok {
					if !errors.Is(err, store.ErrNotFound) {
						rt.Fatalf("Get(%s) = %+v, %v; want ErrNotFound", k, got, err)
					}
					return
				}
				if d := gocmp.Diff(want, got); err != nil || d != "" {
					rt.Fatalf("Get(%s): %v (-want +got):\n%s", k, err, d)
				}
			},
			"list": func(rt *rapid.T) {
				p := rapid.SampledFrom(modelPrefixes).Draw(rt, "prefix")
				got, rev, err := s.List(ctx, p)
				if err != nil {
					rt.Fatal(err)
				}
				if rev != m.rev {
					rt.Fatalf("List revision %d, model %d", rev, m.rev)
				}
				if d := gocmp.Diff(m.list(p), got); d != "" {
					rt.Fatalf("List(%q) (-want +got):\n%s", p, d)
				}
			},
			"watch": func(rt *rapid.T) {
				p := rapid.SampledFrom(modelPrefixes).Draw(rt, "prefix")
				from := rapid.SampledFrom(revs).Draw(rt, "from")
				wctx, wcancel := context.WithCancel(ctx)
				defer wcancel()
				ch, err := s.Watch(wctx, p, from)
				if err != nil {
					rt.Fatal(err)
				}
				want := m.after(p, from)
				if d := gocmp.Diff(want, recvRapid(rt, ch, len(want))); d != "" {
					rt.Fatalf("Watch(%q, %d) (-want +got):\n%s", p, from, d)
				}
			},
		})
	})
}

func recvRapid(rt *rapid.T, ch <-chan store.Event, n int) []store.Event {
	out := []store.Event{}
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case ev, ok := <-ch:
			if !ok || ev.Err != nil {
				rt.Fatalf("watch ended after %d of %d events: %v", len(out), n, ev.Err)
			}
			out = append(out, ev)
		case <-timeout:
			rt.Fatalf("got %d of %d events", len(out), n)
		}
	}
	return out
}

// apply returns the sentinel the store must fail ops with, or nil.
func (m *model) apply(ops []store.Op) error {
	for i := range ops {
		cur, ok := m.data[ops[i].Key]
		if err := ops[i].Precondition("apply", cur, ok); err != nil {
			var se *store.Error
			errors.As(err, &se)
			return se.Err
		}
	}
	return nil
}

func (m *model) commit(ops []store.Op, rev int64) {
	for _, o := range ops {
		switch o.Type {
		case store.OpPut:
			kv := store.KV{Key: o.Key, Value: append([]byte{}, o.Value...), CreateRevision: rev, ModRevision: rev}
			if cur, ok := m.data[o.Key]; ok {
				kv.CreateRevision = cur.CreateRevision
			}
			m.data[o.Key] = kv
			m.events = append(m.events, store.Event{Type: store.EventPut, KV: kv})
		case store.OpDelete:
			delete(m.data, o.Key)
			m.events = append(m.events, store.Event{Type: store.EventDelete, KV: store.KV{Key: o.Key, ModRevision: rev}})
		}
	}
	m.rev = rev
}

func (m *model) list(prefix string) []store.KV {
	var out []store.KV
	for _, k := range slices.Sorted(maps.Keys(m.data)) {
		if strings.HasPrefix(k, prefix) {
			out = append(out, m.data[k])
		}
	}
	return out
}

func (m *model) after(prefix string, rev int64) []store.Event {
	out := []store.Event{}
	for _, ev := range m.events {
		if ev.KV.ModRevision > rev && strings.HasPrefix(ev.KV.Key, prefix) {
			out = append(out, ev)
		}
	}
	return out
}
