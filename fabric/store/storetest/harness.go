package storetest

import (
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/store"
)

// Harness describes the backend under test.
type Harness struct {
	// New returns an empty store whose watchers have a buffer of
	// WatchBuffer events. It may register cleanups on t; the suite also
	// closes the store itself (Close must be idempotent).
	New func(t testing.TB) store.Store
	// WatchBuffer is the watcher buffer New configures (the suite
	// overflows it).
	WatchBuffer int
}
