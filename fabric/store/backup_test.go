package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

// state is what a restore must reproduce: keys and values.
func state(t testing.TB, s store.Store) map[string]string {
	t.Helper()
	kvs, _, err := s.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.Key] = string(kv.Value)
	}
	return m
}

func filled(t testing.TB, kv map[string][]byte) store.Store {
	t.Helper()
	s := memstore.New(memstore.Options{})
	for k, v := range kv {
		if _, err := s.Put(context.Background(), k, v, store.MustNotExist); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func sample(t testing.TB) (store.Store, []byte) {
	t.Helper()
	s := filled(t, map[string][]byte{
		"/v1/hosts/h1":           []byte(`{"kind":"Host","metadata":{"name":"h1"}}`),
		"/v1/virtualnetworks/vn": []byte(`{"kind":"VirtualNetwork","spec":{"vni":5001}}`),
		"/v1/empty":              {},
		"/v1/binary/\u00e9":      {0, 1, 2, 0xff, '\n', '"'},
	})
	var buf bytes.Buffer
	info, err := store.Backup(context.Background(), s, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if info.Keys != 4 {
		t.Fatalf("backup of %d keys, want 4", info.Keys)
	}
	return s, buf.Bytes()
}

func TestBackupRestore(t *testing.T) {
	src, file := sample(t)
	dst := memstore.New(memstore.Options{})
	info, err := store.Restore(context.Background(), dst, bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := src.Revision(context.Background()); info.Revision != want || info.Keys != 4 {
		t.Fatalf("Restore info %+v", info)
	}
	if d := cmp.Diff(state(t, src), state(t, dst)); d != "" {
		t.Fatalf("restored state (-want +got):\n%s", d)
	}
}

func TestRestoreRefusesDamage(t *testing.T) {
	_, file := sample(t)
	check := func(name string, b []byte) {
		t.Helper()
		dst := memstore.New(memstore.Options{})
		_, err := store.Restore(context.Background(), dst, bytes.NewReader(b))
		var be *store.BackupError
		if !errors.Is(err, store.ErrCorrupt) || !errors.As(err, &be) {
			t.Fatalf("%s: Restore = %v, want a *BackupError wrapping ErrCorrupt", name, err)
		}
		if rev, _ := dst.Revision(context.Background()); rev != 0 {
			t.Fatalf("%s: a refused restore wrote to the store (revision %d)", name, rev)
		}
	}
	for n := range len(file) {
		check(fmt.Sprintf("truncated to %d bytes", n), file[:n])
	}
	for i := range file {
		for _, bit := range []byte{0x01, 0x20, 0x80} {
			b := bytes.Clone(file)
			b[i] ^= bit
			check(fmt.Sprintf("byte %d ^ %#x", i, bit), b)
		}
	}
	check("trailing data", append(bytes.Clone(file), "x"...))
	check("version 2", bytes.Replace(file, []byte(store.BackupFormat+" 1"), []byte(store.BackupFormat+" 2"), 1))
}

func TestRestoreNotEmpty(t *testing.T) {
	_, file := sample(t)
	dst := filled(t, map[string][]byte{"/v1/already": []byte("here")})
	_, err := store.Restore(context.Background(), dst, bytes.NewReader(file))
	if !errors.Is(err, store.ErrNotEmpty) {
		t.Fatalf("Restore into a non-empty store = %v, want ErrNotEmpty", err)
	}
	if d := cmp.Diff(map[string]string{"/v1/already": "here"}, state(t, dst)); d != "" {
		t.Fatalf("store changed (-want +got):\n%s", d)
	}
}

// TestBackupRestoreProperty: any state survives a backup and a restore,
// including more keys than one Apply takes.
func TestBackupRestoreProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		keys := rapid.SliceOfNDistinct(rapid.StringMatching(`/v1/[a-z]{1,3}/[a-zé0-9 ._-]{1,12}`), 0, 300, rapid.ID[string]).Draw(rt, "keys")
		kv := map[string][]byte{}
		for _, k := range keys {
			kv[k] = rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(rt, "value")
		}
		src := filled(t, kv)
		var buf bytes.Buffer
		if _, err := store.Backup(context.Background(), src, &buf); err != nil {
			rt.Fatal(err)
		}
		dst := memstore.New(memstore.Options{})
		if _, err := store.Restore(context.Background(), dst, &buf); err != nil {
			rt.Fatal(err)
		}
		if d := cmp.Diff(state(t, src), state(t, dst)); d != "" {
			rt.Fatalf("restored state (-want +got):\n%s", d)
		}
	})
}

// TestBackupRestoreBig restores values at the size limit, which Restore
// must split over several Applies.
func TestBackupRestoreBig(t *testing.T) {
	src := filled(t, map[string][]byte{
		"/v1/big/a": bytes.Repeat([]byte{'a'}, store.MaxValueSize),
		"/v1/big/b": bytes.Repeat([]byte{'b'}, store.MaxValueSize),
		"/v1/small": []byte("s"),
	})
	var buf bytes.Buffer
	if _, err := store.Backup(context.Background(), src, &buf); err != nil {
		t.Fatal(err)
	}
	dst := memstore.New(memstore.Options{})
	if _, err := store.Restore(context.Background(), dst, &buf); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(state(t, src), state(t, dst)) {
		t.Fatal("restored state differs")
	}
}

func FuzzRestore(f *testing.F) {
	_, file := sample(f)
	f.Add(file)
	f.Add([]byte(store.BackupFormat + " 1 revision=0 keys=0\nsha256 \n"))
	f.Add([]byte(store.BackupFormat + " 1 revision=9 keys=99999999\n"))
	f.Add([]byte(strings.Repeat("x", 100)))
	f.Fuzz(func(t *testing.T, b []byte) {
		dst := memstore.New(memstore.Options{})
		_, err := store.Restore(context.Background(), dst, bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			if rev, _ := dst.Revision(context.Background()); rev != 0 {
				t.Fatal("a refused restore wrote to the store")
			}
			return
		}
		// Accepted: backing the result up again gives the same keys.
		var again bytes.Buffer
		if _, err := store.Backup(context.Background(), dst, &again); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Restore(context.Background(), memstore.New(memstore.Options{}), &again); err != nil {
			t.Fatalf("re-backup of an accepted file is refused: %v", err)
		}
	})
}
