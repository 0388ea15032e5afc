package main

import (
	"bytes"
	"context"
	"fmt"
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
