package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// Run runs the conformance suite against the backend h describes.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"GetMissing", testGetMissing},
		{"CreateGet", testCreateGet},
		{"CreateTwice", testCreateTwice},
		{"CompareAndPut", testCompareAndPut},
		{"PutMissingWithRevision", testPutMissingWithRevision},
		{"Delete", testDelete},
		{"List", testList},
		{"ApplyAtomic", testApplyAtomic},
		{"ApplyEmpty", testApplyEmpty},
		{"Invalid", testInvalid},
		{"ValuesCopied", testValuesCopied},
		{"Watch", testWatch},
		{"WatchReplay", testWatchReplay},
		{"WatchCancel", testWatchCancel},
		{"WatchLagging", testWatchLagging},
		{"WatchCompacted", testWatchCompacted},
		{"ConcurrentCAS", testConcurrentCAS},
		{"BackupRestore", testBackupRestore},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

func newStore(t *testing.T, h Harness) store.Store {
	t.Helper()
	s := h.New(t)
	t.Cleanup(func() { s.Close() })
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, s store.Store, key, value string, ifRev int64) int64 {
	t.Helper()
	rev, err := s.Put(ctxT(t), key, []byte(value), ifRev)
	if err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
	return rev
}

// wantErr checks err wraps sentinel in a *store.Error naming key.
func wantErr(t *testing.T, err, sentinel error, key string) *store.Error {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want %v", err, sentinel)
	}
	var se *store.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *store.Error", err, err)
	}
	if key != "" && se.Key != key {
		t.Fatalf("error %v names key %q, want %q", err, se.Key, key)
	}
	return se
}

func testGetMissing(t *testing.T, h Harness) {
	s := newStore(t, h)
	_, err := s.Get(ctxT(t), "/v1/host/none")
	wantErr(t, err, store.ErrNotFound, "/v1/host/none")
}

func testCreateGet(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	before, err := s.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rev := mustPut(t, s, "/v1/host/h1", `{"a":1}`, store.MustNotExist)
	if rev <= before {
		t.Fatalf("Put revision %d, not after %d", rev, before)
	}
	got, err := s.Get(ctx, "/v1/host/h1")
	if err != nil {
		t.Fatal(err)
	}
	want := store.KV{Key: "/v1/host/h1", Value: []byte(`{"a":1}`), CreateRevision: rev, ModRevision: rev}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Get (-want +got):\n%s", d)
	}
	if now, _ := s.Revision(ctx); now != rev {
		t.Fatalf("Revision %d after Put at %d", now, rev)
	}
	// An empty value is a value.
	rev2 := mustPut(t, s, "/v1/host/empty", "", store.MustNotExist)
	got, err = s.Get(ctx, "/v1/host/empty")
	if err != nil || len(got.Value) != 0 || got.ModRevision != rev2 {
		t.Fatalf("Get empty = %+v, %v", got, err)
	}
}

func testCreateTwice(t *testing.T, h Harness) {
	s := newStore(t, h)
	rev := mustPut(t, s, "/v1/vnet/a", "one", store.MustNotExist)
	_, err := s.Put(ctxT(t), "/v1/vnet/a", []byte("two"), store.MustNotExist)
	se := wantErr(t, err, store.ErrConflict, "/v1/vnet/a")
	if se.Revision != rev {
		t.Fatalf("conflict names revision %d, want %d", se.Revision, rev)
	}
	got, _ := s.Get(ctxT(t), "/v1/vnet/a")
	if string(got.Value) != "one" {
		t.Fatalf("value %q after failed create", got.Value)
	}
}

func testCompareAndPut(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	r1 := mustPut(t, s, "/v1/vnet/a", "one", store.MustNotExist)
	r2 := mustPut(t, s, "/v1/vnet/a", "two", r1)
	if r2 <= r1 {
		t.Fatalf("revision %d not after %d", r2, r1)
	}
	// Stale revision: conflict naming the actual one, nothing changes.
	_, err := s.Put(ctx, "/v1/vnet/a", []byte("stale"), r1)
	if se := wantErr(t, err, store.ErrConflict, "/v1/vnet/a"); se.Revision != r2 {
		t.Fatalf("conflict names revision %d, want %d", se.Revision, r2)
	}
	if now, _ := s.Revision(ctx); now != r2 {
		t.Fatalf("revision moved to %d on a failed put", now)
	}
	r3 := mustPut(t, s, "/v1/vnet/a", "three", store.Any)
	got, err := s.Get(ctx, "/v1/vnet/a")
	if err != nil {
		t.Fatal(err)
	}
	want := store.KV{Key: "/v1/vnet/a", Value: []byte("three"), CreateRevision: r1, ModRevision: r3}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Get (-want +got):\n%s", d)
	}
}

func testPutMissingWithRevision(t *testing.T, h Harness) {
	s := newStore(t, h)
	_, err := s.Put(ctxT(t), "/v1/vnet/none", []byte("x"), 5)
	if se := wantErr(t, err, store.ErrConflict, "/v1/vnet/none"); se.Revision != 0 {
		t.Fatalf("conflict on a missing key names revision %d, want 0", se.Revision)
	}
	// Any creates.
	r := mustPut(t, s, "/v1/vnet/none", "x", store.Any)
	if got, _ := s.Get(ctxT(t), "/v1/vnet/none"); got.CreateRevision != r {
		t.Fatalf("create revision %d, want %d", got.CreateRevision, r)
	}
}

func testDelete(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	r1 := mustPut(t, s, "/v1/nic/a", "one", store.MustNotExist)
	r2 := mustPut(t, s, "/v1/nic/a", "two", r1)
	_, err := s.Delete(ctx, "/v1/nic/a", r1)
	if se := wantErr(t, err, store.ErrConflict, "/v1/nic/a"); se.Revision != r2 {
		t.Fatalf("conflict names revision %d, want %d", se.Revision, r2)
	}
	r3, err := s.Delete(ctx, "/v1/nic/a", r2)
	if err != nil {
		t.Fatal(err)
	}
	if r3 <= r2 {
		t.Fatalf("delete revision %d not after %d", r3, r2)
	}
	_, err = s.Get(ctx, "/v1/nic/a")
	wantErr(t, err, store.ErrNotFound, "/v1/nic/a")
	_, err = s.Delete(ctx, "/v1/nic/a", store.Any)
	wantErr(t, err, store.ErrNotFound, "/v1/nic/a")
	_, err = s.Delete(ctx, "/v1/nic/a", r2)
	wantErr(t, err, store.ErrNotFound, "/v1/nic/a")
	// Re-create starts a new life.
	r4 := mustPut(t, s, "/v1/nic/a", "again", store.MustNotExist)
	if got, _ := s.Get(ctx, "/v1/nic/a"); got.CreateRevision != r4 {
		t.Fatalf("re-created key has create revision %d, want %d", got.CreateRevision, r4)
	}
}

func testList(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	keys := []string{"/v1/vnet/b", "/v1/host/h2", "/v1/vnet/a", "/v1/host/h1", "/v1/vnetx/c"}
	var last int64
	for _, k := range keys {
		last = mustPut(t, s, k, "v"+k, store.MustNotExist)
	}
	got, rev, err := s.List(ctx, "/v1/vnet/")
	if err != nil {
		t.Fatal(err)
	}
	if rev != last {
		t.Fatalf("List revision %d, want %d", rev, last)
	}
	if d := cmp.Diff([]string{"/v1/vnet/a", "/v1/vnet/b"}, kvKeys(got)); d != "" {
		t.Fatalf("List keys (-want +got):\n%s", d)
	}
	for _, kv := range got {
		if string(kv.Value) != "v"+kv.Key || kv.ModRevision == 0 {
			t.Fatalf("List entry %+v", kv)
		}
	}
	all, _, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"/v1/host/h1", "/v1/host/h2", "/v1/vnet/a", "/v1/vnet/b", "/v1/vnetx/c"}, kvKeys(all)); d != "" {
		t.Fatalf("List all (-want +got):\n%s", d)
	}
	none, _, err := s.List(ctx, "/v2/")
	if err != nil || len(none) != 0 {
		t.Fatalf("List(/v2/) = %v, %v", none, err)
	}
}

func kvKeys(kvs []store.KV) []string {
	out := []string{}
	for _, kv := range kvs {
		out = append(out, kv.Key)
	}
	return out
}

func testApplyAtomic(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	ra := mustPut(t, s, "/v1/lb/a", "a1", store.MustNotExist)
	rb := mustPut(t, s, "/v1/lb/b", "b1", store.MustNotExist)
	rev, err := s.Apply(ctx, []store.Op{
		store.PutOp("/v1/lb/a", []byte("a2"), ra),
		store.DeleteOp("/v1/lb/b", rb),
		store.PutOp("/v1/lb/c", []byte("c1"), store.MustNotExist),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, lrev, err := s.List(ctx, "/v1/lb/")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.KV{
		{Key: "/v1/lb/a", Value: []byte("a2"), CreateRevision: ra, ModRevision: rev},
		{Key: "/v1/lb/c", Value: []byte("c1"), CreateRevision: rev, ModRevision: rev},
	}
	if d := cmp.Diff(want, got); d != "" || lrev != rev {
		t.Fatalf("after Apply at %d, List at %d (-want +got):\n%s", rev, lrev, d)
	}
	// One stale condition: nothing at all is written.
	_, err = s.Apply(ctx, []store.Op{
		store.PutOp("/v1/lb/a", []byte("a3"), rev),
		store.PutOp("/v1/lb/d", []byte("d1"), store.MustNotExist),
		store.PutOp("/v1/lb/c", []byte("c2"), ra), // stale
	})
	if se := wantErr(t, err, store.ErrConflict, "/v1/lb/c"); se.Revision != rev {
		t.Fatalf("conflict names revision %d, want %d", se.Revision, rev)
	}
	_, err = s.Apply(ctx, []store.Op{
		store.PutOp("/v1/lb/e", []byte("e1"), store.Any),
		store.DeleteOp("/v1/lb/missing", store.Any),
	})
	wantErr(t, err, store.ErrNotFound, "/v1/lb/missing")
	after, arev, err := s.List(ctx, "/v1/lb/")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, after); d != "" || arev != rev {
		t.Fatalf("failed Apply changed the store (revision %d, was %d) (-want +got):\n%s", arev, rev, d)
	}
}

func testApplyEmpty(t *testing.T, h Harness) {
	s := newStore(t, h)
	r := mustPut(t, s, "/v1/x/a", "a", store.MustNotExist)
	got, err := s.Apply(ctxT(t), nil)
	if err != nil || got != r {
		t.Fatalf("Apply(nil) = %d, %v; want %d, nil", got, err, r)
	}
}

func testInvalid(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	long := "/" + strings.Repeat("k", store.MaxKeyLen)
	for _, tc := range []struct {
		name string
		ops  []store.Op
		key  string
	}{
		{"relative key", []store.Op{store.PutOp("v1/a", nil, store.Any)}, "v1/a"},
		{"empty key", []store.Op{store.PutOp("", nil, store.Any)}, ""},
		{"long key", []store.Op{store.PutOp(long, nil, store.Any)}, long},
		{"control char", []store.Op{store.PutOp("/v1/a\n", nil, store.Any)}, "/v1/a\n"},
		{"not utf8", []store.Op{store.PutOp("/v1/\xff", nil, store.Any)}, "/v1/\xff"},
		{"big value", []store.Op{store.PutOp("/v1/big", make([]byte, store.MaxValueSize+1), store.Any)}, "/v1/big"},
		{"bad revision", []store.Op{store.PutOp("/v1/a", nil, -2)}, "/v1/a"},
		{"delete must-not-exist", []store.Op{store.DeleteOp("/v1/a", store.MustNotExist)}, "/v1/a"},
		{"duplicate", []store.Op{store.PutOp("/v1/a", nil, store.Any), store.DeleteOp("/v1/a", store.Any)}, "/v1/a"},
		{"too many", manyOps(store.MaxOps + 1), ""},
		{"too many bytes", []store.Op{
			store.PutOp("/v1/b1", make([]byte, store.MaxValueSize), store.Any),
			store.PutOp("/v1/b2", make([]byte, store.MaxValueSize), store.Any)}, ""},
		{"bad type", []store.Op{{Type: 9, Key: "/v1/a"}}, "/v1/a"},
	} {
		_, err := s.Apply(ctx, tc.ops)
		wantErr(t, err, store.ErrInvalid, tc.key)
	}
	_, err := s.Put(ctx, "nope", nil, store.Any)
	wantErr(t, err, store.ErrInvalid, "nope")
	_, err = s.Get(ctx, "nope")
	wantErr(t, err, store.ErrInvalid, "nope")
	_, _, err = s.List(ctx, "nope")
	wantErr(t, err, store.ErrInvalid, "nope")
	_, err = s.Watch(ctx, "nope", 0)
	wantErr(t, err, store.ErrInvalid, "nope")
	_, err = s.Watch(ctx, "/v1/", -1)
	wantErr(t, err, store.ErrInvalid, "/v1/")
	if kvs, _, _ := s.List(ctx, ""); len(kvs) != 0 {
		t.Fatalf("invalid requests wrote %v", kvKeys(kvs))
	}
	// The largest valid value round-trips.
	big := make([]byte, store.MaxValueSize)
	for i := range big {
		big[i] = byte(i)
	}
	if _, err := s.Put(ctx, "/v1/big", big, store.MustNotExist); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "/v1/big")
	if err != nil || !bytes.Equal(got.Value, big) {
		t.Fatalf("max-size value did not round-trip: %v", err)
	}
}

func manyOps(n int) []store.Op {
	ops := make([]store.Op, n)
	for i := range ops {
		ops[i] = store.PutOp(fmt.Sprintf("/v1/many/%d", i), nil, store.Any)
	}
	return ops
}

func testValuesCopied(t *testing.T, h Harness) {
	s := newStore(t, h)
	v := []byte("original")
	mustPut(t, s, "/v1/c/a", string(v), store.MustNotExist)
	buf := []byte("original")
	if _, err := s.Put(ctxT(t), "/v1/c/b", buf, store.MustNotExist); err != nil {
		t.Fatal(err)
	}
	copy(buf, "CHANGED!")
	got, _ := s.Get(ctxT(t), "/v1/c/b")
	if string(got.Value) != "original" {
		t.Fatalf("store kept the caller's slice: %q", got.Value)
	}
}

// recv reads n events from ch, failing after a timeout.
func recv(t *testing.T, ch <-chan store.Event, n int) []store.Event {
	t.Helper()
	var out []store.Event
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("watch closed after %d of %d events", len(out), n)
			}
			if ev.Err != nil {
				t.Fatalf("watch ended after %d of %d events: %v", len(out), n, ev.Err)
			}
			out = append(out, ev)
		case <-timeout:
			t.Fatalf("got %d of %d events", len(out), n)
		}
	}
	return out
}

// quiet checks nothing more arrives on ch for a short while.
func quiet(t *testing.T, ch <-chan store.Event) {
	t.Helper()
	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
}

func putEv(key, value string, create, mod int64) store.Event {
	return store.Event{Type: store.EventPut, KV: store.KV{Key: key, Value: []byte(value), CreateRevision: create, ModRevision: mod}}
}

func delEv(key string, rev int64) store.Event {
	return store.Event{Type: store.EventDelete, KV: store.KV{Key: key, ModRevision: rev}}
}

func testWatch(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	r0 := mustPut(t, s, "/v1/host/old", "old", store.MustNotExist)
	ch, err := s.Watch(ctx, "/v1/host/", r0)
	if err != nil {
		t.Fatal(err)
	}
	r1 := mustPut(t, s, "/v1/host/a", "a1", store.MustNotExist)
	mustPut(t, s, "/v1/other/x", "x", store.MustNotExist)
	r2 := mustPut(t, s, "/v1/host/a", "a2", r1)
	r3, err := s.Apply(ctx, []store.Op{
		store.PutOp("/v1/host/b", []byte("b1"), store.MustNotExist),
		store.PutOp("/v1/other/y", []byte("y"), store.MustNotExist),
		store.DeleteOp("/v1/host/a", r2),
		store.DeleteOp("/v1/host/old", r0),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Event{
		putEv("/v1/host/a", "a1", r1, r1),
		putEv("/v1/host/a", "a2", r1, r2),
		putEv("/v1/host/b", "b1", r3, r3),
		delEv("/v1/host/a", r3),
		delEv("/v1/host/old", r3),
	}
	if d := cmp.Diff(want, recv(t, ch, len(want))); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
	quiet(t, ch)
}

func testWatchReplay(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	r1 := mustPut(t, s, "/v1/a/1", "one", store.MustNotExist)
	r2 := mustPut(t, s, "/v1/a/2", "two", store.MustNotExist)
	r3 := mustPut(t, s, "/v1/a/1", "uno", r1)
	// From r1: the writes after it, then the live ones.
	ch, err := s.Watch(ctx, "", r1)
	if err != nil {
		t.Fatal(err)
	}
	r4, err := s.Delete(ctx, "/v1/a/2", r2)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Event{
		putEv("/v1/a/2", "two", r2, r2),
		putEv("/v1/a/1", "uno", r1, r3),
		delEv("/v1/a/2", r4),
	}
	if d := cmp.Diff(want, recv(t, ch, len(want))); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
	quiet(t, ch)
	// List then watch from the list's revision misses nothing.
	kvs, lrev, err := s.List(ctx, "/v1/a/")
	if err != nil || len(kvs) != 1 {
		t.Fatalf("List = %v, %v", kvs, err)
	}
	ch2, err := s.Watch(ctx, "/v1/a/", lrev)
	if err != nil {
		t.Fatal(err)
	}
	quiet(t, ch2)
	r5 := mustPut(t, s, "/v1/a/3", "three", store.MustNotExist)
	if d := cmp.Diff([]store.Event{putEv("/v1/a/3", "three", r5, r5)}, recv(t, ch2, 1)); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
}

func testWatchCancel(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx, cancel := context.WithCancel(ctxT(t))
	r, _ := s.Revision(ctx)
	ch, err := s.Watch(ctx, "/v1/", r)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	drainClosed(t, ch)
	// Writers are not affected by the cancelled watcher.
	mustPut(t, s, "/v1/after", "x", store.MustNotExist)
}

// drainClosed reads ch until it closes, failing after a timeout; it
// returns the error of the last event, if any.
func drainClosed(t *testing.T, ch <-chan store.Event) error {
	t.Helper()
	timeout := time.After(10 * time.Second)
	var last error
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return last
			}
			if last != nil {
				t.Fatalf("event %+v after the final error %v", ev, last)
			}
			last = ev.Err
		case <-timeout:
			t.Fatal("watch channel did not close")
		}
	}
}

func testWatchLagging(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	r, _ := s.Revision(ctx)
	slow, err := s.Watch(ctx, "/v1/", r)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := s.Watch(ctx, "/v1/", r)
	if err != nil {
		t.Fatal(err)
	}
	n := 4*h.WatchBuffer + 8
	for i := range n {
		// Each write completes although slow never reads; fast reads in
		// step and is never ended.
		key := fmt.Sprintf("/v1/lag/%03d", i)
		mustPut(t, s, key, "v", store.MustNotExist)
		if got := recv(t, fast, 1); got[0].KV.Key != key {
			t.Fatalf("fast watcher got %s, want %s", got[0].KV.Key, key)
		}
	}
	count := 0
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-slow:
			if !ok {
				t.Fatalf("slow watcher closed after %d events without an error", count)
			}
			if ev.Err != nil {
				wantErr(t, ev.Err, store.ErrCompacted, "")
				if count >= n {
					t.Fatalf("slow watcher got all %d events and then %v", count, ev.Err)
				}
				drainClosed(t, slow)
				return
			}
			if want := fmt.Sprintf("/v1/lag/%03d", count); ev.KV.Key != want {
				t.Fatalf("slow watcher event %d is %s, want %s", count, ev.KV.Key, want)
			}
			count++
		case <-timeout:
			t.Fatal("slow watcher was neither ended nor closed")
		}
	}
}

func testWatchCompacted(t *testing.T, h Harness) {
	s := newStore(t, h)
	c, ok := s.(store.Compactor)
	if !ok {
		t.Skip("backend does not implement store.Compactor")
	}
	ctx := ctxT(t)
	r1 := mustPut(t, s, "/v1/k/a", "1", store.MustNotExist)
	r2 := mustPut(t, s, "/v1/k/a", "2", r1)
	r3 := mustPut(t, s, "/v1/k/a", "3", r2)
	if err := c.Compact(ctx, r2); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Watch(ctx, "/v1/k/", r1)
	if err == nil {
		err = drainClosed(t, ch)
	}
	wantErr(t, err, store.ErrCompacted, "")
	// From the compaction revision on, history is still there.
	ch, err = s.Watch(ctx, "/v1/k/", r2)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]store.Event{putEv("/v1/k/a", "3", r1, r3)}, recv(t, ch, 1)); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
}

func testConcurrentCAS(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	mustPut(t, s, "/v1/counter", "0", store.MustNotExist)
	const workers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for done := 0; done < each; {
				kv, err := s.Get(ctx, "/v1/counter")
				if err != nil {
					errs <- err
					return
				}
				var n int
				fmt.Sscan(string(kv.Value), &n)
				_, err = s.Put(ctx, "/v1/counter", []byte(fmt.Sprint(n+1)), kv.ModRevision)
				switch {
				case err == nil:
					done++
				case errors.Is(err, store.ErrConflict):
				default:
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	kv, err := s.Get(ctx, "/v1/counter")
	if err != nil || string(kv.Value) != fmt.Sprint(workers*each) {
		t.Fatalf("counter = %q, %v; want %d (a lost update)", kv.Value, err, workers*each)
	}
}

func testClose(t *testing.T, h Harness) {
	s := newStore(t, h)
	ctx := ctxT(t)
	r := mustPut(t, s, "/v1/a", "a", store.MustNotExist)
	ch, err := s.Watch(ctx, "/v1/", r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := drainClosed(t, ch); err != nil {
		wantErr(t, err, store.ErrClosed, "")
	}
	_, err = s.Get(ctx, "/v1/a")
	wantErr(t, err, store.ErrClosed, "")
	_, err = s.Put(ctx, "/v1/b", nil, store.Any)
	wantErr(t, err, store.ErrClosed, "")
	_, _, err = s.List(ctx, "")
	wantErr(t, err, store.ErrClosed, "")
	_, err = s.Watch(ctx, "/v1/", 0)
	wantErr(t, err, store.ErrClosed, "")
	_, err = s.Revision(ctx)
	wantErr(t, err, store.ErrClosed, "")
}
