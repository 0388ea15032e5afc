package lab_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/controller"
)

// controllerEnv makes the test binary run a controller instead of the
// tests: "<data dir> <listen address>" (see TestFailoverController).
const controllerEnv = "FABRIC_LAB_TEST_CONTROLLER"

// fabricDir holds the fabric command built by the distributed lab tests.
var fabricDir string

func TestMain(m *testing.M) {
	if ns := os.Getenv(visitorEnv); ns != "" {
		visit(ns)
	}
	if v := os.Getenv(controllerEnv); v != "" {
		if err := runController(v); err != nil {
			fmt.Fprintln(os.Stderr, "controller:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if fabricDir != "" {
		_ = os.RemoveAll(fabricDir) // the fabric command the distributed lab tests built
	}
	os.Exit(code)
}

// runController runs the controller on the bolt file of a data
// directory, printing "ready <url>" once it serves, until SIGTERM.
func runController(v string) error {
	var dir, listen string
	if _, err := fmt.Sscan(v, &dir, &listen); err != nil {
		return fmt.Errorf("%s=%q: %w", controllerEnv, v, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	return controller.Run(ctx, controller.Options{
		DataDir: dir,
		Listen:  listen,
		Logger:  slog.New(slog.DiscardHandler),
		Ready:   func(url string) { fmt.Println("ready", url) },
	})
}
