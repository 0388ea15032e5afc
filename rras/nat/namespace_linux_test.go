//go:build linux

package nat

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// The namespace test: an inside namespace (10.99.1.2/24) and an outside
// one (10.99.2.2/24), each with a TAP device whose other end is this
// process, which runs the NAT between them (10.99.1.1 inside, external
// address 10.99.2.1). MAC addresses and neighbours are static, so no ARP is
// needed. Real kernel TCP and UDP from the inside reach echo servers
// outside, and a port forward reaches a server inside.
const nsScript = `
import socket, sys, threading, time
def serve_udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
    while True:
        d, a = s.recvfrom(2048); s.sendto(d + b"|" + a[0].encode(), a)
def serve_tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(8)
    while True:
        c, a = s.accept(); d = c.recv(100); c.sendall(d + b"|" + a[0].encode()); c.close()
def udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
    for _ in range(10):
        s.sendto(b"udp", (host, port))
        try: return s.recv(2048).decode()
        except socket.timeout: pass
    return "udp timeout"
def tcp(host, port):
    for _ in range(20):
        try:
            c = socket.create_connection((host, port), timeout=2); c.sendall(b"tcp"); return c.recv(100).decode()
        except OSError: time.sleep(0.2)
    return "tcp failed"
if sys.argv[1] == "serve":
    for p in sys.argv[2:]:
        threading.Thread(target=serve_udp, args=(int(p),), daemon=True).start()
        threading.Thread(target=serve_tcp, args=(int(p),), daemon=True).start()
    time.sleep(60)
elif sys.argv[1] == "udp": print(udp(sys.argv[2], int(sys.argv[3])))
else: print(tcp(sys.argv[2], int(sys.argv[3])))
`

func TestNamespaceNAT(t *testing.T) {
	if testing.Short() {
		t.Skip("namespace test skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and TAP devices")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("needs python3 for the echo servers and clients")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2)")
	}
	pid := os.Getpid()
	nsIn, nsOut := fmt.Sprintf("natin%d", pid), fmt.Sprintf("natout%d", pid)
	run := func(args ...string) string {
		t.Helper()
		outp, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, outp)
		}
		return string(outp)
	}
	for _, ns := range []string{nsIn, nsOut} {
		run("ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	var (
		natInMAC   = header.MAC{2, 0, 0, 0, 1, 1}
		hostInMAC  = header.MAC{2, 0, 0, 0, 1, 2}
		natOutMAC  = header.MAC{2, 0, 0, 0, 2, 1}
		hostOutMAC = header.MAC{2, 0, 0, 0, 2, 2}
	)
	open := func(name, ns string) *tap.Device {
		d, err := tap.Open(tap.Config{Name: name, NetNS: "/run/netns/" + ns})
		if err != nil {
			t.Skipf("cannot open a TAP device: %v", err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	tapIn, tapOut := open(fmt.Sprintf("ti%d", pid), nsIn), open(fmt.Sprintf("to%d", pid), nsOut)
	setup := func(ns, dev string, mac header.MAC, addr, peer string, peerMAC header.MAC, route bool) {
		x := func(args ...string) { run(append([]string{"ip", "netns", "exec", ns}, args...)...) }
		x("ip", "link", "set", "lo", "up")
		x("ip", "link", "set", dev, "address", mac.String())
		x("ip", "addr", "add", addr, "dev", dev)
		x("ip", "link", "set", dev, "up")
		x("ip", "neigh", "replace", peer, "lladdr", peerMAC.String(), "dev", dev, "nud", "permanent")
		if route {
			x("ip", "route", "add", "default", "via", peer)
		}
	}
	setup(nsIn, tapIn.Name(), hostInMAC, "10.99.1.2/24", "10.99.1.1", natInMAC, true)
	setup(nsOut, tapOut.Name(), hostOutMAC, "10.99.2.2/24", "10.99.2.1", natOutMAC, false)

	n, err := New(Config{
		External: []netip.Addr{netip.MustParseAddr("10.99.2.1")},
		Forwards: []PortForward{{Proto: header.ProtocolTCP,
			External: netip.MustParseAddrPort("10.99.2.1:80"),
			Internal: netip.MustParseAddrPort("10.99.1.2:8080")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // a NAT is single-threaded; two pumps share it
	done := make(chan struct{})
	var wg sync.WaitGroup
	pump := func(from, to *tap.Device, outbound bool, srcMAC, dstMAC header.MAC, backMAC header.MAC) {
		defer wg.Done()
		buf := make([]byte, tap.ReadBufferSize)
		for {
			select {
			case <-done:
				return
			default:
			}
			from.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			_, frame, err := from.ReadPacket(buf)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					continue
				}
				return
			}
			if len(frame) < 14 || frame[12] != 0x08 || frame[13] != 0x00 {
				continue // IPv4 only; neighbours are static
			}
			mu.Lock()
			var v Verdict
			if outbound {
				v, _ = n.Outbound(frame[14:])
			} else {
				v, _ = n.Inbound(frame[14:])
			}
			mu.Unlock()
			switch v {
			case Forward:
				copy(frame[0:6], dstMAC[:])
				copy(frame[6:12], srcMAC[:])
				to.WritePacket(virtio.NetHdr{}, frame)
			case Hairpin:
				copy(frame[0:6], backMAC[:])
				from.WritePacket(virtio.NetHdr{}, frame)
			}
		}
	}
	wg.Add(2)
	go pump(tapIn, tapOut, true, natOutMAC, hostOutMAC, hostInMAC)
	go pump(tapOut, tapIn, false, natInMAC, hostInMAC, hostOutMAC)
	t.Cleanup(func() { close(done); wg.Wait() })

	got := nsScenario(t, python, nsIn, nsOut)
	if diff := cmp.Diff(nsWant, got); diff != "" {
		t.Errorf("observable results (-want +got):\n%s", diff)
	}
	// The same scenario through the kernel's nftables masquerade.
	kernel := kernelNAT(t, pid)
	if diff := cmp.Diff(got, kernel); diff != "" {
		t.Errorf("our NAT differs from nftables masquerade (-ours +kernel):\n%s", diff)
	}
	mu.Lock()
	t.Logf("counters: %+v", n.Counters())
	mu.Unlock()
}

// nsWant is what the scenario observes through a conforming NAT: the
// outside server sees the external address, the forward target sees the
// real client, and a hairpinned connection comes from the external address.
var nsWant = []string{"udp|10.99.2.1", "tcp|10.99.2.1", "tcp|10.99.2.2", "hairpin tcp|10.99.2.1"}

// nsScenario runs echo servers (outside on port 7, inside on 8080) and
// clients, and returns what the clients read.
func nsScenario(t *testing.T, python, nsIn, nsOut string) []string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "ns.py")
	if err := os.WriteFile(script, []byte(nsScript), 0o644); err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	defer func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	}()
	serve := func(ns string, ports ...string) {
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns, python, script, "serve"}, ports...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	serve(nsOut, "7")
	serve(nsIn, "8080")
	client := func(ns, proto, host, port string) string {
		outp, err := exec.Command("ip", "netns", "exec", ns, python, script, proto, host, port).CombinedOutput()
		if err != nil {
			return fmt.Sprintf("error %v: %s", err, outp)
		}
		return strings.TrimSpace(string(outp))
	}
	return []string{
		client(nsIn, "udp", "10.99.2.2", "7"),
		client(nsIn, "tcp", "10.99.2.2", "7"),
		client(nsOut, "tcp", "10.99.2.1", "80"),
		"hairpin " + client(nsIn, "tcp", "10.99.2.1", "80"),
	}
}

// kernelNAT builds the same topology with a router namespace between veth
// pairs, NATing with nftables (masquerade, a DNAT port forward, and SNAT to
// the external address for hairpinned traffic), and runs the scenario.
func kernelNAT(t *testing.T, pid int) []string {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft (nftables) for the kernel comparison")
	}
	python, _ := exec.LookPath("python3")
	in, rtr, out := fmt.Sprintf("knin%d", pid), fmt.Sprintf("knrt%d", pid), fmt.Sprintf("knout%d", pid)
	run := func(args ...string) {
		t.Helper()
		if outp, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, outp)
		}
	}
	for _, ns := range []string{in, rtr, out} {
		run("ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		run("ip", "-n", ns, "link", "set", "lo", "up")
	}
	run("ip", "-n", rtr, "link", "add", "ri", "type", "veth", "peer", "name", "hi", "netns", in)
	run("ip", "-n", rtr, "link", "add", "ro", "type", "veth", "peer", "name", "ho", "netns", out)
	for _, c := range [][]string{
		{rtr, "addr", "add", "10.99.1.1/24", "dev", "ri"}, {rtr, "addr", "add", "10.99.2.1/24", "dev", "ro"},
		{rtr, "link", "set", "ri", "up"}, {rtr, "link", "set", "ro", "up"},
		{in, "addr", "add", "10.99.1.2/24", "dev", "hi"}, {in, "link", "set", "hi", "up"},
		{in, "route", "add", "default", "via", "10.99.1.1"},
		{out, "addr", "add", "10.99.2.2/24", "dev", "ho"}, {out, "link", "set", "ho", "up"},
	} {
		run(append([]string{"ip", "-n", c[0]}, c[1:]...)...)
	}
	run("ip", "netns", "exec", rtr, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.ri.send_redirects=0")
	rules := `table ip nat {
	chain pre { type nat hook prerouting priority -100; ip daddr 10.99.2.1 tcp dport 80 dnat to 10.99.1.2:8080; }
	chain post { type nat hook postrouting priority 100; oifname "ro" masquerade; oifname "ri" ip saddr 10.99.1.0/24 snat to 10.99.2.1; }
}`
	f := filepath.Join(t.TempDir(), "nat.nft")
	if err := os.WriteFile(f, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	run("ip", "netns", "exec", rtr, "nft", "-f", f)
	return nsScenario(t, python, in, out)
}
