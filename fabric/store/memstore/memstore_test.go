package memstore_test

import (
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
