//go:build linux

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestDaemonKernel runs the daemon's run function on a thread inside a
// namespace, against a Linux vxlan device in another, and pings across.
func TestDaemonKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and TAP devices")
	}
	for _, bin := range []string{"ip", "ping"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs the %s command", bin)
		}
	}
	if testing.Short() {
		t.Skip("namespaces and pings take a few seconds")
	}
	nsK, nsG := fmt.Sprintf("sdnf-vtep%d-k", os.Getpid()), fmt.Sprintf("sdnf-vtep%d-g", os.Getpid())
	for _, ns := range []string{nsK, nsG} {
		exec.Command("ip", "netns", "del", ns).Run()
		sh(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	veth := fmt.Sprintf("vt%dk", os.Getpid()%100000)
	sh(t, "ip", "link", "add", veth, "type", "veth", "peer", "name", veth+"g")
	sh(t, "ip", "link", "set", veth, "netns", nsK, "name", "vk")
	sh(t, "ip", "link", "set", veth+"g", "netns", nsG, "name", "vg")
	sh(t, "ip", "-n", nsK, "addr", "add", "10.99.42.1/24", "dev", "vk")
	sh(t, "ip", "-n", nsG, "addr", "add", "10.99.42.2/24", "dev", "vg")
	sh(t, "ip", "-n", nsK, "link", "set", "vk", "up")
	sh(t, "ip", "-n", nsG, "link", "set", "vg", "up")
	sh(t, "ip", "-n", nsK, "link", "add", "vx0", "type", "vxlan", "id", "77", "dstport", "8472",
		"local", "10.99.42.1", "remote", "10.99.42.2", "dev", "vk")
	sh(t, "ip", "-n", nsK, "addr", "add", "10.99.43.1/24", "dev", "vx0")
	sh(t, "ip", "-n", nsK, "link", "set", "vx0", "up")

	c, err := parseFlags([]string{"-tap", "vt0", "-vni", "77", "-local", "10.99.42.2", "-peer", "10.99.42.1", "-port", "8472", "-stats", "0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the thread stays in nsG and dies with the goroutine
		fd, err := unix.Open("/run/netns/"+nsG, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Setns(fd, unix.CLONE_NEWNET)
			unix.Close(fd)
		}
		if err != nil {
			done <- err
			return
		}
		done <- run(ctx, c, slog.New(slog.DiscardHandler))
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("run did not stop after cancel")
		}
	}()
	for deadline := time.Now().Add(3 * time.Second); exec.Command("ip", "-n", nsG, "link", "show", "vt0").Run() != nil; {
		if time.Now().After(deadline) {
			t.Fatal("TAP device vt0 did not appear")
		}
		time.Sleep(20 * time.Millisecond)
	}
	sh(t, "ip", "-n", nsG, "addr", "add", "10.99.43.2/24", "dev", "vt0")
	sh(t, "ip", "-n", nsG, "link", "set", "vt0", "mtu", "1450", "up")
	sh(t, "ip", "netns", "exec", nsK, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.99.43.2")
	sh(t, "ip", "netns", "exec", nsG, "ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "1400", "10.99.43.1")
}
