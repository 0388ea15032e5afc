package controller_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// startEtcd runs an etcd server on a free loopback port for the test and
// returns its host:port.
func startEtcd(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		t.Skip("needs the etcd binary (Debian package etcd-server)")
	}
	for range 5 {
		port := 20000 + rand.IntN(30000)
		client := fmt.Sprintf("127.0.0.1:%d", port)
		peer := fmt.Sprintf("http://127.0.0.1:%d", port+1)
		dir := t.TempDir()
		cmd := exec.Command(bin, "--name", "c1", "--data-dir", filepath.Join(dir, "data"),
			"--listen-client-urls", "http://"+client, "--advertise-client-urls", "http://"+client,
			"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", "c1="+peer, "--log-level", "error", "--unsafe-no-fsync")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-exited })
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			select {
			case <-exited:
				deadline = time.Time{} // port taken: try another
				continue
			default:
			}
			if c, err := net.Dial("tcp", client); err == nil {
				c.Close()
				return client
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Kill()
	}
	t.Fatal("could not start etcd")
	return ""
}

// TestTwoControllersOnEtcd runs two controllers on one etcd, as a
// replicated control plane does, and races writes that are valid alone
// but not together through both APIs: the fence lets exactly one in.
func TestTwoControllersOnEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd")
	}
	ep := startEtcd(t)
	dir := t.TempDir()
	var clients []*api.Client
	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- controller.Run(ctx, controller.Options{Store: "etcd://" + ep, DataDir: dir,
				Listen: "127.0.0.1:0", Rules: uniqueRules(), Logger: quiet, Ready: func(u string) { ready <- u }})
		}()
		var url string
		select {
		case url = <-ready:
		case err := <-done:
			t.Fatalf("controller %d: %v", i, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("controller %d did not start", i)
		}
		t.Cleanup(func() { cancel(); <-done })
		token, err := api.ReadToken(filepath.Join(dir, api.TokenFile))
		if err != nil {
			t.Fatal(err)
		}
		c, err := api.NewClient(url, token, nil)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	ctx := t.Context()
	for round := range 10 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, c := range clients {
			wg.Go(func() {
				_, errs[i] = c.Create(ctx, host(fmt.Sprintf("r%d-c%d", round, i), fmt.Sprint("u", round)))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, api.ErrInvalid) {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d creates succeeded, want 1: %v", round, ok, errs)
		}
	}
	// Each controller sees the other's writes.
	for i, c := range clients {
		hosts, _, err := c.List(ctx, model.KindHost)
		if err != nil || len(hosts) != 10 {
			t.Errorf("controller %d lists %d hosts (%v), want 10", i, len(hosts), err)
		}
	}
}
