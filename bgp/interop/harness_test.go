//go:build linux

package interop

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
)

// testTimeout bounds each test, daemon start to shutdown.
const testTimeout = 40 * time.Second

var topoSeq atomic.Int32

// topo is two namespaces joined by a veth pair: ours (10.99.N.1) and the
// daemon's (10.99.N.2).
type topo struct {
	t          *testing.T
	n          int
	ours, peer string // namespace names
	us, them   netip.Addr
	dir        string // per-test directory for configs, sockets and logs
	ctx        context.Context
}

func needRoot(t *testing.T, bins ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	for _, b := range append([]string{"ip"}, bins...) {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("needs %s (install the Debian package that ships it)", b)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newTopo creates the namespaces; t.Cleanup kills what runs in them and
// deletes them.
func newTopo(t *testing.T) *topo {
	t.Helper()
	n := int(topoSeq.Add(1))
	pid := os.Getpid()
	tp := &topo{
		t: t, n: n,
		ours: fmt.Sprintf("bgpus%d-%d", pid, n), peer: fmt.Sprintf("bgpth%d-%d", pid, n),
		us:   netip.AddrFrom4([4]byte{10, 99, byte(n), 1}),
		them: netip.AddrFrom4([4]byte{10, 99, byte(n), 2}),
	}
	dir, err := os.MkdirTemp("", "bgp") // short: unix socket paths must stay under 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	tp.dir = dir
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	tp.ctx = ctx
	t.Cleanup(func() {
		cancel()
		for _, ns := range []string{tp.ours, tp.peer} {
			if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
				for _, f := range strings.Fields(string(out)) {
					var p int
					fmt.Sscan(f, &p)
					if p > 0 {
						syscall.Kill(p, syscall.SIGKILL)
					}
				}
			}
			exec.Command("ip", "netns", "del", ns).Run()
		}
		if t.Failed() {
			t.Logf("logs kept in %s", dir)
			return
		}
		if os.Getenv("BGP_INTEROP_KEEP") == "" {
			os.RemoveAll(dir)
		}
	})
	run(t, "ip", "netns", "add", tp.ours)
	run(t, "ip", "netns", "add", tp.peer)
	run(t, "ip", "link", "add", "va", "netns", tp.ours, "type", "veth", "peer", "name", "vb", "netns", tp.peer)
	run(t, "ip", "-n", tp.ours, "addr", "add", tp.us.String()+"/24", "dev", "va")
	run(t, "ip", "-n", tp.peer, "addr", "add", tp.them.String()+"/24", "dev", "vb")
	for ns, dev := range map[string]string{tp.ours: "va", tp.peer: "vb"} {
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
		run(t, "ip", "-n", ns, "link", "set", dev, "up")
	}
	return tp
}

// addIPv6 adds fd99:N::1 (ours) and fd99:N::2 (the peer's) to the veth
// pair, without duplicate address detection, and returns them.
func (tp *topo) addIPv6() (us, them netip.Addr) {
	tp.t.Helper()
	us = netip.MustParseAddr(fmt.Sprintf("fd99:%x::1", tp.n))
	them = netip.MustParseAddr(fmt.Sprintf("fd99:%x::2", tp.n))
	run(tp.t, "ip", "-n", tp.ours, "addr", "add", us.String()+"/64", "dev", "va", "nodad")
	run(tp.t, "ip", "-n", tp.peer, "addr", "add", them.String()+"/64", "dev", "vb", "nodad")
	return us, them
}

func (tp *topo) path(name string) string { return filepath.Join(tp.dir, name) }

func (tp *topo) write(name, content string) string {
	tp.t.Helper()
	p := tp.path(name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tp.t.Fatal(err)
	}
	return p
}

// start runs a daemon in the peer namespace, output to name.out; it is
// stopped (SIGTERM, then SIGKILL) at cleanup.
func (tp *topo) start(name string, env []string, args ...string) *exec.Cmd {
	tp.t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", tp.peer}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := os.Create(tp.path(name + ".out"))
	if err != nil {
		tp.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tp.t.Fatalf("starting %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(done) }()
	tp.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return cmd
}

// cli runs a control command with a short timeout and returns its output.
func (tp *topo) cli(args ...string) string { return tp.cliTimeout(3*time.Second, args...) }

func (tp *topo) cliTimeout(d time.Duration, args ...string) string {
	ctx, cancel := context.WithTimeout(tp.ctx, d)
	defer cancel()
	out, _ := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	return string(out)
}

// eventually polls cond every 100 ms until it holds or d passes.
func (tp *topo) eventually(d time.Duration, what string, cond func() bool) {
	tp.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || tp.ctx.Err() != nil {
			tp.t.Fatalf("%s: not after %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// speaker starts our speaker with its sockets in our namespace.
func (tp *topo) speaker(asn uint32) *bgp.Speaker {
	tp.t.Helper()
	s, err := bgp.New(bgp.Config{
		ASN: asn, RouterID: tp.us,
		Listen: []netip.AddrPort{netip.AddrPortFrom(tp.us, 179)},
		NetNS:  "/run/netns/" + tp.ours,
		Logger: testLogger(),
	})
	if err != nil {
		tp.t.Fatal(err)
	}
	tp.t.Cleanup(func() { s.Close() })
	return s
}

// waitEvent waits for an event of sub that match accepts.
func (tp *topo) waitEvent(sub *bgp.Subscription, d time.Duration, what string, match func(bgp.Event) bool) bgp.Event {
	tp.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				tp.t.Fatalf("%s: subscription closed", what)
			}
			if match(ev) {
				return ev
			}
		case <-timer.C:
			tp.t.Fatalf("%s: nothing after %v", what, d)
		case <-tp.ctx.Done():
			tp.t.Fatalf("%s: test timeout", what)
		}
	}
}

func isUp(ev bgp.Event) bool { return ev.Type == bgp.SessionUp }

func announces(p netip.Prefix) func(bgp.Event) bool {
	return func(ev bgp.Event) bool {
		for _, r := range ev.Announced {
			if r.Prefix == p {
				return true
			}
		}
		return false
	}
}

func withdraws(p netip.Prefix) func(bgp.Event) bool {
	return func(ev bgp.Event) bool {
		for _, r := range ev.Withdrawn {
			if r.Prefix == p {
				return true
			}
		}
		return false
	}
}

// fileContains reports whether the file holds s.
func fileContains(path, s string) bool {
	b, _ := os.ReadFile(path)
	return bytes.Contains(b, []byte(s))
}

// testLogger logs to stderr when BGP_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("BGP_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// capture records the BGP packets on our veth with tcpdump, when it and
// tshark are installed (ok is false otherwise). stop ends the capture and
// returns the tshark summary lines of the frames from us that tshark
// marks malformed, and the number of BGP messages we sent.
func (tp *topo) capture() (stop func() (malformed []string, sent int), ok bool) {
	tp.t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		return nil, false
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		return nil, false
	}
	pcap := tp.path("bgp.pcap")
	cmd := exec.Command("ip", "netns", "exec", tp.ours, "tcpdump", "-i", "va", "-n", "-U", "--immediate-mode", "-w", pcap, "tcp port 179")
	errOut, err := os.Create(tp.path("tcpdump.err"))
	if err != nil {
		tp.t.Fatal(err)
	}
	cmd.Stderr = errOut
	if err := cmd.Start(); err != nil {
		tp.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); errOut.Close(); close(done) }()
	tp.t.Cleanup(func() { cmd.Process.Kill(); <-done })
	tp.eventually(5*time.Second, "tcpdump listening", func() bool {
		return fileContains(tp.path("tcpdump.err"), "listening on")
	})
	return func() ([]string, int) {
		time.Sleep(200 * time.Millisecond) // the last segments
		cmd.Process.Signal(syscall.SIGINT)
		<-done
		from := "ip.src == " + tp.us.String()
		bad := tp.cliTimeout(20*time.Second, "tshark", "-r", pcap, "-Y", from+" && _ws.malformed")
		msgs := tp.cliTimeout(20*time.Second, "tshark", "-r", pcap, "-Y", from+" && bgp", "-T", "fields", "-e", "bgp.type")
		var lines []string
		for _, l := range strings.Split(bad, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "Running as user") {
				lines = append(lines, l)
			}
		}
		n := 0
		for _, l := range strings.Split(msgs, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "Running as user") {
				n += len(strings.Split(l, ","))
			}
		}
		return lines, n
	}, true
}
