//go:build linux

package router

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// tapOutput writes frames to TAP devices by interface index.
type tapOutput map[int]*tap.Device

func (o tapOutput) Send(ifIndex int, frame []byte) error {
	d := o[ifIndex]
	if d == nil {
		return errors.New("no such TAP")
	}
	return d.WritePacket(virtio.NetHdr{}, frame)
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// routeTAPs makes r the router between TAP devices the test adds to out
// (by interface index) in network namespaces: the returned start runs a
// reader per device into r.Input, and r.Run. When the test ends (also on
// failure) they are stopped, the devices closed and the namespaces
// deleted.
func routeTAPs(t *testing.T, r *Router, out tapOutput, namespaces ...string) (start func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		for _, d := range out {
			d.Close()
		}
		wg.Wait()
		for _, ns := range namespaces {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	return func() {
		for i, d := range out {
			wg.Go(func() {
				buf := make([]byte, tap.ReadBufferSize)
				for {
					_, frame, err := d.ReadPacket(buf)
					if errors.Is(err, os.ErrClosed) {
						return
					}
					if err == nil {
						r.Input(i, frame)
					}
				}
			})
		}
		wg.Go(func() { r.Run(ctx) })
	}
}

// TestNetns puts the router between two network namespaces, "inside" and
// "outside", each attached to the router by a TAP device the router owns,
// and checks with the kernel's own tools that ping (IPv4 and IPv6) and a TCP
// stream pass through it with the TTL decremented, and that a packet with
// TTL 1 gets a time exceeded from the router.
func TestNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and TAP devices")
	}
	for _, bin := range []string{"ip", "ping", "python3"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s", bin)
		}
	}
	pid := os.Getpid()
	type side struct {
		ns, dev        string
		mac            header.MAC
		router, host   netip.Prefix
		router6, host6 netip.Prefix
	}
	sides := []side{
		{fmt.Sprintf("rtin%d", pid), "rt0", header.MAC{2, 0, 0, 0, 0x31, 1},
			netip.MustParsePrefix("10.99.31.1/24"), netip.MustParsePrefix("10.99.31.2/24"),
			netip.MustParsePrefix("2001:db8:31::1/64"), netip.MustParsePrefix("2001:db8:31::2/64")},
		{fmt.Sprintf("rtout%d", pid), "rt1", header.MAC{2, 0, 0, 0, 0x32, 1},
			netip.MustParsePrefix("10.99.32.1/24"), netip.MustParsePrefix("10.99.32.2/24"),
			netip.MustParsePrefix("2001:db8:32::1/64"), netip.MustParsePrefix("2001:db8:32::2/64")},
	}
	out := tapOutput{}
	r := New(Config{Output: out})
	start := routeTAPs(t, r, out, sides[0].ns, sides[1].ns)
	for i, s := range sides {
		run(t, "ip", "netns", "add", s.ns)
		d, err := tap.Open(tap.Config{Name: s.dev, NetNS: "/run/netns/" + s.ns})
		if err != nil {
			t.Fatal(err)
		}
		out[i+1] = d
		run(t, "ip", "-n", s.ns, "link", "set", "lo", "up")
		run(t, "ip", "-n", s.ns, "addr", "add", s.host.String(), "dev", s.dev)
		run(t, "ip", "-n", s.ns, "addr", "add", s.host6.String(), "dev", s.dev, "nodad")
		run(t, "ip", "-n", s.ns, "link", "set", s.dev, "up")
		run(t, "ip", "-n", s.ns, "route", "add", "default", "via", s.router.Addr().String())
		run(t, "ip", "-n", s.ns, "-6", "route", "add", "default", "via", s.router6.Addr().String())
		if err := r.SetInterface(Interface{Index: i + 1, Name: s.dev, MAC: s.mac, Addrs: []netip.Prefix{s.router, s.router6}}); err != nil {
			t.Fatal(err)
		}
	}
	start()

	in, far := sides[0], sides[1]
	ping := run(t, "ip", "netns", "exec", in.ns, "ping", "-c", "2", "-i", "0.2", "-W", "2", far.host.Addr().String())
	if !strings.Contains(ping, "ttl=63") {
		t.Errorf("IPv4 ping through the router, want ttl=63:\n%s", ping)
	}
	ping6 := run(t, "ip", "netns", "exec", in.ns, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", far.host6.Addr().String())
	if !strings.Contains(ping6, "ttl=63") && !strings.Contains(ping6, "hlim=63") {
		t.Errorf("IPv6 ping through the router, want hop limit 63:\n%s", ping6)
	}
	// Traceroute's first probe: TTL 1 expires at the router.
	te, _ := exec.Command("ip", "netns", "exec", in.ns, "ping", "-c", "1", "-t", "1", "-W", "2", far.host.Addr().String()).CombinedOutput()
	if !strings.Contains(string(te), "From "+in.router.Addr().String()) || !strings.Contains(strings.ToLower(string(te)), "time to live exceeded") {
		t.Errorf("TTL 1 ping, want time exceeded from %s:\n%s", in.router.Addr(), te)
	}

	// A TCP stream of 1 MB from inside to a server outside.
	const server = `
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.listen(1); s.settimeout(8)
print("ready", flush=True)
c, _ = s.accept(); c.settimeout(8); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
print(n, flush=True)
`
	const client = `
import socket, sys
c = socket.create_connection((sys.argv[1], 5001), timeout=8)
c.sendall(b"x" * 1000000); c.close()
`
	srv := exec.Command("ip", "netns", "exec", far.ns, "python3", "-c", server, far.host.Addr().String())
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	lines := bufio.NewReader(stdout)
	if _, err := lines.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	run(t, "ip", "netns", "exec", in.ns, "python3", "-c", client, far.host.Addr().String())
	count, _ := lines.ReadString('\n')
	if got := strings.TrimSpace(count); got != "1000000" {
		t.Errorf("server received %q bytes, want 1000000", got)
	}
	for _, n := range r.Neighbors() {
		if n.State != StateReachable && n.State != StateStale && n.State != StateDelay && n.State != StateProbe {
			t.Errorf("neighbor %+v not resolved", n)
		}
	}
	t.Logf("forwarded %d packets, %d ICMP sent, neighbors %v", r.Counter(Forwarded), r.Counter(ICMPSent), r.Neighbors())
}
