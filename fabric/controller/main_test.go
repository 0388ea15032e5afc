package controller_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/store"
	"github.com/sdnfabric/sdnfabric/fabric/store/boltstore"
)

// childEnv makes the test binary run a controller instead of the tests
// (see TestCrashMidBatch).
const childEnv = "FABRIC_CONTROLLER_TEST_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		if err := runChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild runs a controller on dir's bolt file, printing "ready <url>"
// once it serves and "applying" on stdout just before each large store
// Apply, so the parent can kill it in the middle of one.
func runChild(dir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	out := os.Stdout // each line one write(2), so lines never interleave
	return controller.Run(ctx, controller.Options{
		DataDir: dir,
		Listen:  "127.0.0.1:0",
		Rules:   uniqueRules(),
		Logger:  quiet,
		Open: func() (store.Store, error) {
			st, err := boltstore.Open(dir+"/fabric.db", boltstore.Options{Logger: quiet})
			if err != nil {
				return nil, err
			}
			return &markedStore{Store: st, out: out}, nil
		},
		Ready: func(url string) { fmt.Fprintln(out, "ready", url) },
	})
}

type markedStore struct {
	store.Store
	out *os.File
}

func (s *markedStore) Apply(ctx context.Context, ops []store.Op) (int64, error) {
	if len(ops) > 10 {
		fmt.Fprintln(s.out, "applying")
	}
	return s.Store.Apply(ctx, ops)
}
