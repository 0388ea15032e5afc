package memstore_test

import (
	"context"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
	"github.com/sdnfabric/sdnfabric/fabric/store/storetest"
)

var harness = storetest.Harness{
	New: func(testing.TB) store.Store {
		return memstore.New(memstore.Options{WatchBuffer: 16, HistoryLimit: 1000})
	},
	WatchBuffer: 16,
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

func TestModel(t *testing.T) { storetest.RunModel(t, harness) }

func BenchmarkStore(b *testing.B) { storetest.Bench(b, harness) }

// TestGetAllocs holds the read path at zero allocations.
func TestGetAllocs(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.Options{})
	s.Put(ctx, "/v1/nics/a", []byte("v"), store.MustNotExist)
	if n := testing.AllocsPerRun(100, func() { s.Get(ctx, "/v1/nics/a") }); n != 0 {
		t.Fatalf("Get allocates %v times", n)
	}
}
