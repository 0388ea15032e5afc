package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// testBackupRestore backs a store up and restores it into a second one of
// the same backend: the same keys and values; a damaged copy of the file
// is refused and leaves the target empty.
func testBackupRestore(t *testing.T, h Harness) {
	src, dst, spoiled := newStore(t, h), newStore(t, h), newStore(t, h)
	ctx := ctxT(t)
	var ops []store.Op
	for i := range store.MaxOps + 10 { // more than one Apply's worth
		ops = append(ops, store.PutOp(fmt.Sprintf("/v1/nics/n%03d", i), fmt.Appendf(nil, `{"mac":"02:00:00:00:%02x:%02x"}`, i/256, i%256), store.MustNotExist))
		if len(ops) == store.MaxOps {
			if _, err := src.Apply(ctx, ops); err != nil {
				t.Fatal(err)
			}
			ops = ops[:0]
		}
	}
	ops = append(ops, store.PutOp("/v1/empty", nil, store.MustNotExist))
	if _, err := src.Apply(ctx, ops); err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	info, err := store.Backup(ctx, src, &file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Keys != store.MaxOps+11 {
		t.Fatalf("backup holds %d keys, want %d", info.Keys, store.MaxOps+11)
	}
	damaged := bytes.Clone(file.Bytes())
	damaged[len(damaged)/3] ^= 0x04
	if _, err := store.Restore(ctx, spoiled, bytes.NewReader(damaged)); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Restore of a damaged file = %v, want ErrCorrupt", err)
	}
	if kvs, _, _ := spoiled.List(ctx, ""); len(kvs) != 0 {
		t.Fatalf("a refused restore wrote %d keys", len(kvs))
	}
	if _, err := store.Restore(ctx, dst, &file); err != nil {
		t.Fatal(err)
	}
	want, _, _ := src.List(ctx, "")
	got, _, _ := dst.List(ctx, "")
	keyValue := cmp.Transformer("keyValue", func(kv store.KV) [2]string { return [2]string{kv.Key, string(kv.Value)} })
	if d := cmp.Diff(want, got, keyValue); d != "" {
		t.Fatalf("restored state (-want +got):\n%s", d)
	}
}
