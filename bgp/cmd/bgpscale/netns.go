//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// setupNetns creates two namespaces joined by a veth pair: the target's
// (v0: 10.200.0.1/16, fd00::1/64) and the feeders' (v1: 10.200.1.N/16 and
// fd00::1:N/64 for each feeder), so every feeder is a directly connected
// neighbor and its next hops are on a connected network.
func setupNetns(ns, feedNS string, peers int) error {
	cmds := [][]string{
		{"netns", "add", ns},
		{"netns", "add", feedNS},
		{"link", "add", "v0", "netns", ns, "type", "veth", "peer", "name", "v1", "netns", feedNS},
		{"-n", ns, "addr", "add", "10.200.0.1/16", "dev", "v0"},
		{"-n", ns, "addr", "add", "fd00::1/64", "dev", "v0", "nodad"},
	}
	for i := range peers {
		cmds = append(cmds,
			[]string{"-n", feedNS, "addr", "add", fmt.Sprintf("10.200.1.%d/16", i+1), "dev", "v1"},
			[]string{"-n", feedNS, "addr", "add", fmt.Sprintf("fd00::1:%x/64", i+1), "dev", "v1", "nodad"})
	}
	for _, n := range []string{ns, feedNS} {
		cmds = append(cmds, []string{"-n", n, "link", "set", "lo", "up"})
	}
	cmds = append(cmds, []string{"-n", ns, "link", "set", "v0", "up"}, []string{"-n", feedNS, "link", "set", "v1", "up"})
	for _, c := range cmds {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			deleteNetns(ns, feedNS)
			return fmt.Errorf("ip %s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
	return nil
}

func deleteNetns(names ...string) {
	for _, n := range names {
		exec.Command("ip", "netns", "del", n).Run()
	}
}

// dialIn opens a TCP connection from local (any address if invalid) to
// remote inside the namespace.
func dialIn(ctx context.Context, ns string, local, remote netip.AddrPort) (net.Conn, error) {
	f, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is discarded with the goroutine
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{nil, err}
			return
		}
		d := net.Dialer{}
		if local.Addr().IsValid() {
			d.LocalAddr = net.TCPAddrFromAddrPort(local)
		}
		c, err := d.DialContext(ctx, "tcp", remote.String())
		ch <- res{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// listening reports whether a socket in namespace ns listens on ap's port.
func listening(ns string, ap netip.AddrPort) bool {
	out, err := exec.Command("ip", "netns", "exec", ns, "ss", "-Hltn", fmt.Sprintf("sport = :%d", ap.Port())).Output()
	return err == nil && len(strings.TrimSpace(string(out))) > 0
}
