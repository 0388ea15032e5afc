package controller_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

const batchSize = 50

// child is a controller subprocess (the test binary re-executed).
type child struct {
	cmd      *exec.Cmd
	url      string
	applying chan struct{}
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := &child{cmd: cmd, applying: make(chan struct{}, 1024)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			switch line := sc.Text(); {
			case strings.HasPrefix(line, "ready "):
				ready <- strings.TrimPrefix(line, "ready ")
			case line == "applying":
				c.applying <- struct{}{}
			}
		}
		close(ready)
	}()
	select {
	case url, ok := <-ready:
		if !ok {
			t.Fatal("the controller exited before serving")
		}
		c.url = url
	case <-time.After(30 * time.Second):
		t.Fatal("the controller did not start")
	}
	return c
}

func batch(n int) []model.Object {
	objs := make([]model.Object, batchSize)
	for i := range objs {
		objs[i] = host(fmt.Sprintf("b%d-%d", n, i), fmt.Sprintf("b%d-%d", n, i))
	}
	return objs
}

// TestCrashMidBatch kills the controller process (SIGKILL) while it is
// applying a batch, restarts it on the same bolt file, and checks that
// every batch is there whole or not at all, and that every batch the
// controller acknowledged is there.
func TestCrashMidBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills controller processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	attempted, acked := map[int]bool{}, map[int]bool{}
	next := 0
	for round := range 4 {
		c := startChild(t, dir)
		token, err := api.ReadToken(filepath.Join(dir, api.TokenFile))
		if err != nil {
			t.Fatal(err)
		}
		client, err := api.NewClient(c.url, token, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkBatches(t, client, attempted, acked)

		var wg sync.WaitGroup
		ctx, cancel := context.WithCancel(context.Background())
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				n := next
				next++
				attempted[n] = true
				mu.Unlock()
				if _, _, err := client.Apply(ctx, batch(n)); err != nil {
					return
				}
				mu.Lock()
				acked[n] = true
				mu.Unlock()
			}
		})
		// Kill during the k-th batch's store Apply, a little after it
		// started, so the kill lands before, in, or after the commit.
		k := 2 + rng.IntN(4)
		for range k {
			select {
			case <-c.applying:
			case <-time.After(30 * time.Second):
				t.Fatal("no batch reached the store")
			}
		}
		time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
		c.cmd.Process.Kill()
		c.cmd.Wait()
		cancel()
		wg.Wait()
		t.Logf("round %d: killed during batch %d; %d attempted, %d acknowledged", round, next-1, len(attempted), len(acked))
	}
	c := startChild(t, dir)
	token, _ := api.ReadToken(filepath.Join(dir, api.TokenFile))
	client, _ := api.NewClient(c.url, token, nil)
	checkBatches(t, client, attempted, acked)
}

// checkBatches checks each attempted batch is whole or absent, and each
// acknowledged one whole.
func checkBatches(t *testing.T, client *api.Client, attempted, acked map[int]bool) {
	t.Helper()
	hosts, _, err := client.List(context.Background(), model.KindHost)
	if err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	for _, h := range hosts {
		var n, i int
		if _, err := fmt.Sscanf(h.Metadata.Name, "b%d-%d", &n, &i); err != nil {
			t.Fatalf("unexpected host %q", h.Metadata.Name)
		}
		if !attempted[n] {
			t.Errorf("host %s of a batch never sent", h.Metadata.Name)
		}
		count[n]++
	}
	for n := range attempted {
		switch got := count[n]; {
		case got != 0 && got != batchSize:
			t.Errorf("batch %d is partial: %d of %d hosts", n, got, batchSize)
		case acked[n] && got == 0:
			t.Errorf("batch %d was acknowledged and is lost", n)
		}
	}
}
