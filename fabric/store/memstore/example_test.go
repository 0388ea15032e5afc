package memstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

// Compare-and-put: a writer that read an old revision is refused.
func Example() {
	ctx := context.Background()
	s := memstore.New(memstore.Options{})
	defer s.Close()

	rev, _ := s.Put(ctx, "/v1/virtualnetworks/blue", []byte(`{"vni":5001}`), store.MustNotExist)
	_, _ = s.Put(ctx, "/v1/virtualnetworks/blue", []byte(`{"vni":5002}`), rev)
	_, err := s.Put(ctx, "/v1/virtualnetworks/blue", []byte(`{"vni":5003}`), rev)
	var se *store.Error
	if errors.Is(err, store.ErrConflict) && errors.As(err, &se) {
		fmt.Println("conflict on", se.Key, "now at revision", se.Revision)
	}
	kv, _ := s.Get(ctx, "/v1/virtualnetworks/blue")
	fmt.Printf("%s created %d modified %d\n", kv.Value, kv.CreateRevision, kv.ModRevision)
	// Output:
	// conflict on /v1/virtualnetworks/blue now at revision 2
	// {"vni":5002} created 1 modified 2
}

// List, then watch from the list's revision: nothing missed, nothing twice.
func ExampleStore_Watch() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := memstore.New(memstore.Options{})
	defer s.Close()

	s.Put(ctx, "/v1/hosts/h1", []byte("pa=10.0.0.1"), store.MustNotExist)
	hosts, rev, _ := s.List(ctx, "/v1/hosts/")
	fmt.Println(len(hosts), "host at revision", rev)

	events, _ := s.Watch(ctx, "/v1/hosts/", rev)
	s.Apply(ctx, []store.Op{
		store.PutOp("/v1/hosts/h2", []byte("pa=10.0.0.2"), store.MustNotExist),
		store.DeleteOp("/v1/hosts/h1", store.Any),
	})
	for range 2 {
		ev := <-events
		fmt.Println(ev.Type, ev.KV.Key, ev.KV.ModRevision)
	}
	// Output:
	// 1 host at revision 1
	// put /v1/hosts/h2 2
	// delete /v1/hosts/h1 2
}
