package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

func ExampleBackup() {
	ctx := context.Background()
	src := memstore.New(memstore.Options{})
	src.Put(ctx, "/v1/hosts/h1", []byte(`{"pa":"10.0.0.1"}`), store.MustNotExist)

	var file bytes.Buffer
	info, _ := store.Backup(ctx, src, &file)
	fmt.Println("backed up", info.Keys, "key at revision", info.Revision)

	dst := memstore.New(memstore.Options{})
	if _, err := store.Restore(ctx, dst, bytes.NewReader(file.Bytes())); err != nil {
		fmt.Println(err)
	}
	kv, _ := dst.Get(ctx, "/v1/hosts/h1")
	fmt.Printf("restored %s\n", kv.Value)

	damaged := bytes.Clone(file.Bytes())
	damaged[len(damaged)/2] ^= 1 // one flipped bit
	_, err := store.Restore(ctx, memstore.New(memstore.Options{}), bytes.NewReader(damaged))
	fmt.Println(errors.Is(err, store.ErrCorrupt))
	// Output:
	// backed up 1 key at revision 1
	// restored {"pa":"10.0.0.1"}
	// true
}
