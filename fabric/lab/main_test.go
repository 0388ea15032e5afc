package lab_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
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
	removeStaleFabricDirs()
	code := m.Run()
	if fabricDir != "" {
		_ = os.RemoveAll(fabricDir) // the fabric command the distributed lab tests built
	}
	os.Exit(code)
}

// fabricDirPattern names fabricDir after the test process's PID.
const fabricDirPattern = "fd%d-fabricbin"

// removeStaleFabricDirs removes the fabric commands built by test
// processes that no longer run: one ended by go test's timeout (a panic)
// or a signal never reached the end of its TestMain.
func removeStaleFabricDirs() {
	if _, err := os.Stat("/proc/self"); err != nil {
		return // no way to tell which processes run
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "fd*-fabricbin*"))
	for _, d := range dirs {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), fabricDirPattern, &pid); err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			continue // still running (or its PID taken again: left for later)
		}
		_ = os.RemoveAll(d)
	}
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
