package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLabSubcommands(t *testing.T) {
	for _, args := range [][]string{{"lab"}, {"lab", "sideways"}, {"lab", "down", "-prefix", "Bad/Prefix"}} {
		var out bytes.Buffer
		if err := run(t.Context(), args, &out); err == nil {
			t.Errorf("fabric %s: no error", strings.Join(args, " "))
		}
	}
}

// lockedBuffer is an output the test reads while the command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestLabUpDown runs `fabric lab up` on the seed topology, curls the VIP
// from the client's namespace, stops it and checks with `fabric lab down`
// that nothing is left.
func TestLabUpDown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and TAP devices")
	}
	for _, bin := range []string{"ip", "curl"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s", bin)
		}
	}
	prefix := fmt.Sprintf("fc%d-", os.Getpid())
	state := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"lab", "up", "-f", "../../examples/seed.yaml", "-prefix", prefix, "-state-dir", state}, &out)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = run(context.Background(), []string{"lab", "down", "-prefix", prefix, "-state-dir", state}, &bytes.Buffer{})
	})
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(out.String(), "ready in") {
		select {
		case err := <-done:
			t.Fatalf("lab up ended: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("lab up not ready:\n%s", out.String())
		}
	}
	if _, err := os.Stat(state + "/lab-" + strings.TrimSuffix(prefix, "-") + ".pid"); err != nil {
		t.Errorf("no PID file: %v", err)
	}
	curl, err := exec.Command("ip", "netns", "exec", prefix+"clientvm", "curl", "-sS", "-m", "5", "http://192.168.102.10/").CombinedOutput()
	if err != nil || !strings.Contains(string(curl), "Hello from portalvm") {
		t.Fatalf("curl: %v\n%s\nlab up:\n%s", err, curl, out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("lab up: %v", err)
	}
	done <- nil // for the cleanup
	var down bytes.Buffer
	if err := run(context.Background(), []string{"lab", "down", "-prefix", prefix, "-state-dir", state}, &down); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(down.String(), "no namespace "+prefix+"* left") {
		t.Errorf("lab down after lab up stopped:\n%s", down.String())
	}
}

// TestStopLabProcessOnlyItsOwn: `lab down` stops the process its PID file
// names only while that process is the one that wrote it (same start
// time); a process that got the PID of a crashed lab is left running, and
// the stale PID file is removed either way.
func TestStopLabProcessOnlyItsOwn(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	// A process of another fabric command (a copy of sleep named fabric):
	// by its name alone it could be a lab.
	path, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("needs sleep")
	}
	bin, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fabric := t.TempDir() + "/fabric"
	if err := os.WriteFile(fabric, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	sleep := exec.Command(fabric, "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = sleep.Wait(); close(exited) }()
	t.Cleanup(func() { _ = sleep.Process.Kill(); <-exited })
	pid := sleep.Process.Pid
	start, err := processStart(pid)
	if err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/lab-x.pid"

	// A crashed lab's PID, now another process's.
	if err := os.WriteFile(file, fmt.Appendf(nil, "%d %s1\n", pid, start), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := stopLabProcess(file, io.Discard); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		t.Fatal("stopped a process that only reused the lab's PID")
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale PID file left: %v", err)
	}

	// The lab's own process.
	if err := os.WriteFile(file, fmt.Appendf(nil, "%d %s\n", pid, start), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := stopLabProcess(file, &out); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the lab's process still runs")
	}
	if !strings.Contains(out.String(), fmt.Sprintf("stopping lab process %d", pid)) {
		t.Errorf("output %q", out.String())
	}
}

// TestProcessStart: the start time of this process is read even though
// its command name may hold spaces and parentheses, and a PID that does
// not exist is an error.
func TestProcessStart(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	a, err := processStart(os.Getpid())
	if err != nil || a == "" {
		t.Fatalf("processStart(self) = %q, %v", a, err)
	}
	if b, _ := processStart(os.Getpid()); b != a {
		t.Errorf("start time changed: %s then %s", a, b)
	}
	if _, err := processStart(1 << 30); err == nil {
		t.Error("no error for a PID that does not exist")
	}
}
