package boltstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/boltstore"
)

// A batch is committed all-or-nothing, and survives a reopen.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "boltstore-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "fabric.db")
	ctx := context.Background()

	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	rev, _ := s.Apply(ctx, []store.Op{
		store.PutOp("/v1/hosts/h1", []byte(`{"pa":"10.0.0.1"}`), store.MustNotExist),
		store.PutOp("/v1/hosts/h2", []byte(`{"pa":"10.0.0.2"}`), store.MustNotExist),
	})
	s.Close()

	s, _ = boltstore.Open(path, boltstore.Options{})
	defer s.Close()
	hosts, now, _ := s.List(ctx, "/v1/hosts/")
	fmt.Println(len(hosts), "hosts, committed at", rev, "store at", now)
	// Output: 2 hosts, committed at 1 store at 1
}
