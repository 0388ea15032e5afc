package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/boltstore"
	"github.com/sdnfabric/sdnfabric/fabric/store/storetest"
)

func open(t testing.TB, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, boltstore.Options{WatchBuffer: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var harness = storetest.Harness{
	New: func(t testing.TB) store.Store {
		return open(t, filepath.Join(t.TempDir(), "store.db"))
	},
	WatchBuffer: 16,
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

func TestModel(t *testing.T) { storetest.RunModel(t, harness) }

// TestReopen shows committed state, revisions and watch history survive a
// close and reopen.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	r1, err := s.Put(ctx, "/v1/host/a", []byte("a"), store.MustNotExist)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s.Put(ctx, "/v1/host/a", []byte("b"), r1)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	if rev, err := s.Revision(ctx); err != nil || rev != r2 {
		t.Fatalf("Revision after reopen = %d, %v; want %d", rev, err, r2)
	}
	ch, err := s.Watch(ctx, "/v1/", r1)
	if err != nil {
		t.Fatal(err)
	}
	ev := <-ch
	if ev.Err != nil || string(ev.KV.Value) != "b" || ev.KV.ModRevision != r2 || ev.KV.CreateRevision != r1 {
		t.Fatalf("replayed %+v", ev)
	}
}

// TestHistoryLimit shows the log keeps the last HistoryLimit revisions.
func TestHistoryLimit(t *testing.T) {
	ctx := context.Background()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "store.db"), boltstore.Options{HistoryLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rev int64
	for i := range 10 {
		if rev, err = s.Put(ctx, fmt.Sprintf("/v1/k/%d", i), nil, store.Any); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Watch(ctx, "", rev-4); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("Watch past the history limit: %v, want ErrCompacted", err)
	}
	ch, err := s.Watch(ctx, "", rev-3)
	if err != nil {
		t.Fatal(err)
	}
	for want := rev - 2; want <= rev; want++ {
		if ev := <-ch; ev.KV.ModRevision != want {
			t.Fatalf("event %+v, want revision %d", ev, want)
		}
	}
}

// TestOtherFormat refuses a bbolt file written by something else.
func TestOtherFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket([]byte("meta"))
		return b.Put([]byte("format"), []byte("something else 7"))
	})
	db.Close()
	if _, err := boltstore.Open(path, boltstore.Options{}); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
}

// TestCorruptRecord shows a damaged record is a typed error, not a panic,
// and the rest of the store still works.
func TestCorruptRecord(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	if _, err := s.Put(ctx, "/v1/ok", []byte("fine"), store.Any); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("kv")).Put([]byte("/v1/bad"), []byte{0xff})
	})
	db.Close()
	s = open(t, path)
	_, err = s.Get(ctx, "/v1/bad")
	var se *store.Error
	if !errors.Is(err, store.ErrCorrupt) || !errors.As(err, &se) || se.Key != "/v1/bad" {
		t.Fatalf("Get damaged record = %v, want ErrCorrupt naming /v1/bad", err)
	}
	if kv, err := s.Get(ctx, "/v1/ok"); err != nil || string(kv.Value) != "fine" {
		t.Fatalf("Get /v1/ok = %+v, %v", kv, err)
	}
}

const crashEnv = "BOLTSTORE_CRASH_WRITER"

// TestCrashWriter is the child of TestCrashMidBatch (storetest.CrashWriter).
func TestCrashWriter(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("runs only as the child process of TestCrashMidBatch")
	}
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	storetest.CrashWriter(s)
}

// TestCrashMidBatch kills -9 a writer process in the middle of its stream
// of batches, reopens the file, and checks every batch is either wholly
// there or wholly absent and no reported commit was lost.
func TestCrashMidBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	for round := range 3 {
		committed := storetest.RunAndKill(t, "TestCrashWriter", crashEnv+"="+path, 5+round*7)
		s, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		n := storetest.CheckCrashBatch(t, s, committed)
		s.Close()
		t.Logf("round %d: killed after commit %d, store holds batch %d", round, committed, n)
	}
}

// BenchmarkStore measures with fsync on every commit (the default);
// BenchmarkStoreNoSync without it, which shows what the disk costs.
func BenchmarkStore(b *testing.B) { storetest.Bench(b, harness) }

func BenchmarkStoreNoSync(b *testing.B) {
	storetest.Bench(b, storetest.Harness{New: func(t testing.TB) store.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "store.db"), boltstore.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}})
}
