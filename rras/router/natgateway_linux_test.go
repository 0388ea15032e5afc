//go:build linux

package router

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/rras/nat"
)

// gatewayScript holds the servers and clients of the NAT gateway scenario.
// Every server answers with what it saw: "proto|address:port" of the
// client. Clients bind fixed source ports, so the port a server sees shows
// the NAT's port preservation and endpoint-independent mapping.
const gatewayScript = `
import socket, sys, threading, time
def serve_udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
    while True:
        d, a = s.recvfrom(65536); s.sendto(b"udp|%s:%d" % (a[0].encode(), a[1]) + (b"|%d" % len(d) if len(d) > 1 else b""), a)
def serve_tcp(s):
    while True:
        c, a = s.accept(); c.recv(100); c.sendall(b"tcp|%s:%d" % (a[0].encode(), a[1])); c.close()
def udp(host, ports, sport, connected=False, size=1):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", sport)); s.settimeout(0.5)
    out = []
    for port in ports:
        if connected: s.connect((host, port))
        for _ in range(6):
            try:
                if connected: s.send(b"x")
                else: s.sendto(b"x" * size, (host, port))
                out.append(s.recv(2048).decode()); break
            except socket.timeout: pass
            except ConnectionRefusedError: out.append("udp refused"); break
        else: out.append("udp timeout")
    return " ".join(out)
def tcp(host, port, sport):
    for _ in range(4):
        c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); c.settimeout(1)
        try:
            c.bind(("0.0.0.0", sport)); c.connect((host, port)); c.sendall(b"x"); return c.recv(100).decode()
        except OSError as e: err = e; time.sleep(0.2)
        finally: c.close()
    return "tcp failed: %s" % err
cmd = sys.argv[1]
if cmd == "serve":
    ts = []
    for p in sys.argv[2:]:
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(p))); s.listen(8); ts.append(s)
        threading.Thread(target=serve_udp, args=(int(p),), daemon=True).start()
    for s in ts: threading.Thread(target=serve_tcp, args=(s,), daemon=True).start()
    print("ready", flush=True); time.sleep(60)
elif cmd == "udp": print(udp(sys.argv[2], [int(p) for p in sys.argv[3].split(",")], int(sys.argv[4])))
elif cmd == "udpc": print(udp(sys.argv[2], [int(sys.argv[3])], int(sys.argv[4]), True))
elif cmd == "udpbig": print(udp(sys.argv[2], [int(sys.argv[3])], int(sys.argv[4]), size=4000))
else: print(tcp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
`

// gatewayResult is what the scenario observes from the hosts.
type gatewayResult struct {
	PingOut    string // TTL of an echo reply from the outside host
	PingRouter string // TTL of an echo reply from the router's external address
	UDP        string // two outside servers seen from one inside socket
	Fragmented string // a 4000-byte UDP datagram (three fragments) to outside
	TCP        string // outside server's view of an inside client
	Forward    string // inside server's view of an outside client, via the port forward
	Hairpin    string // inside server's view of an inside client, via the port forward
	Unsolicit  string // outside UDP to an unmapped external port
}

// gatewayWant: the outside sees the external address with the inside
// source ports preserved (one mapping for both UDP servers), the forward
// target sees the real client, and the hairpinned client appears with the
// external address.
var gatewayWant = gatewayResult{
	PingOut:    "ttl=63",
	PingRouter: "ttl=64",
	UDP:        "udp|10.99.42.1:40001 udp|10.99.42.1:40001",
	Fragmented: "udp|10.99.42.1:40006|4000",
	TCP:        "tcp|10.99.42.1:40002",
	Forward:    "tcp|10.99.42.2:40003",
	Hairpin:    "tcp|10.99.42.1:40004",
	Unsolicit:  "udp refused",
}

// runGatewayScenario starts the servers (outside: 10.99.42.2 ports 7 and 9;
// inside: 10.99.41.2 port 8080) and runs the clients.
func runGatewayScenario(t *testing.T, nsIn, nsOut string) gatewayResult {
	t.Helper()
	script := filepath.Join(t.TempDir(), "gw.py")
	if err := os.WriteFile(script, []byte(gatewayScript), 0o644); err != nil {
		t.Fatal(err)
	}
	var servers []*exec.Cmd
	defer func() {
		for _, c := range servers {
			c.Process.Kill()
			c.Wait()
		}
	}()
	for _, s := range []struct{ ns, ports string }{{nsOut, "7 9"}, {nsIn, "8080"}} {
		cmd := exec.Command("ip", append([]string{"netns", "exec", s.ns, "python3", script, "serve"}, strings.Fields(s.ports)...)...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		servers = append(servers, cmd)
		if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
			t.Fatalf("server in %s: %q %v", s.ns, line, err)
		}
	}
	client := func(ns string, args ...string) string {
		out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "python3", script}, args...)...).CombinedOutput()
		if err != nil {
			return fmt.Sprintf("error %v: %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	ttl := regexp.MustCompile(`ttl=\d+`)
	ping := func(ns, addr string) string {
		out, _ := exec.Command("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "2", addr).CombinedOutput()
		if m := ttl.Find(out); m != nil {
			return string(m)
		}
		return "no reply: " + string(out)
	}
	return gatewayResult{
		PingOut:    ping(nsIn, "10.99.42.2"),
		PingRouter: ping(nsOut, "10.99.42.1"),
		UDP:        client(nsIn, "udp", "10.99.42.2", "7,9", "40001"),
		Fragmented: client(nsIn, "udpbig", "10.99.42.2", "7", "40006"),
		TCP:        client(nsIn, "tcp", "10.99.42.2", "7", "40002"),
		Forward:    client(nsOut, "tcp", "10.99.42.1", "80", "40003"),
		Hairpin:    client(nsIn, "tcp", "10.99.42.1", "80", "40004"),
		Unsolicit:  client(nsOut, "udpc", "10.99.42.1", "9999", "40005"),
	}
}

// TestNetnsNATGateway is the NATVM of the seed end to end: an inside
// namespace (10.99.41.2/24) and an outside one (10.99.42.2/24), each
// attached by a TAP device to this process, which runs a Router with a
// nat.NAT between them (10.99.41.1 inside; 10.99.42.1 outside, the NAT's
// external address, with a TCP forward 10.99.42.1:80 -> 10.99.41.2:8080).
// ARP is real. Kernel ping, UDP and TCP go through it, and the same
// scenario through a namespace router with ip_forward and nftables
// (masquerade, the same forward as a DNAT rule, SNAT of hairpinned
// traffic) must observe the same results.
func TestNetnsNATGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("namespace test skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and TAP devices")
	}
	for _, bin := range []string{"ip", "ping", "python3", "nft"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s (iproute2, iputils-ping, python3, nftables)", bin)
		}
	}
	pid := os.Getpid()
	nsIn, nsOut := fmt.Sprintf("gwin%d", pid), fmt.Sprintf("gwout%d", pid)

	n, err := nat.New(nat.Config{
		External: []netip.Addr{netip.MustParseAddr("10.99.42.1")},
		Forwards: []nat.PortForward{{Proto: header.ProtocolTCP,
			External: netip.MustParseAddrPort("10.99.42.1:80"),
			Internal: netip.MustParseAddrPort("10.99.41.2:8080")}},
		MaxSessions: 1024,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := tapOutput{}
	r := New(Config{Output: out, NAT: n})
	start := routeTAPs(t, r, out, nsIn, nsOut)
	sides := []struct {
		ns, dev      string
		router, host string
		side         NATSide
	}{
		{nsIn, "gwi", "10.99.41.1/24", "10.99.41.2/24", NATInside},
		{nsOut, "gwo", "10.99.42.1/24", "10.99.42.2/24", NATOutside},
	}
	for i, s := range sides {
		run(t, "ip", "netns", "add", s.ns)
		d, err := tap.Open(tap.Config{Name: s.dev, NetNS: "/run/netns/" + s.ns})
		if err != nil {
			t.Fatal(err)
		}
		out[i+1] = d
		run(t, "ip", "-n", s.ns, "link", "set", "lo", "up")
		run(t, "ip", "-n", s.ns, "addr", "add", s.host, "dev", s.dev)
		run(t, "ip", "-n", s.ns, "link", "set", s.dev, "up")
		if err := r.SetInterface(Interface{Index: i + 1, Name: s.dev, MAC: header.MAC{2, 0, 0, 0, 0x41 + byte(i), 1},
			Addrs: []netip.Prefix{netip.MustParsePrefix(s.router)}, NAT: s.side}); err != nil {
			t.Fatal(err)
		}
	}
	run(t, "ip", "-n", nsIn, "route", "add", "default", "via", "10.99.41.1")
	start()

	ours := runGatewayScenario(t, nsIn, nsOut)
	if diff := cmp.Diff(gatewayWant, ours); diff != "" {
		t.Errorf("router+NAT observed (-want +got):\n%s", diff)
	}
	kernel := kernelGateway(t, pid)
	if diff := cmp.Diff(kernel, ours); diff != "" {
		t.Errorf("router+NAT differs from the kernel's nftables masquerade (-kernel +ours):\n%s", diff)
	}
	t.Logf("router: forwarded %d, NAT translated %d, dropped %d",
		r.Counter(Forwarded), r.Counter(NATTranslated), r.Counter(DropNAT))
}

// kernelGateway builds the same topology around a kernel router namespace
// (veth pairs, ip_forward, nftables NAT) and runs the scenario.
func kernelGateway(t *testing.T, pid int) gatewayResult {
	t.Helper()
	in, rtr, out := fmt.Sprintf("kgin%d", pid), fmt.Sprintf("kgrt%d", pid), fmt.Sprintf("kgout%d", pid)
	for _, ns := range []string{in, rtr, out} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	run(t, "ip", "-n", rtr, "link", "add", "ri", "type", "veth", "peer", "name", "gwi", "netns", in)
	run(t, "ip", "-n", rtr, "link", "add", "ro", "type", "veth", "peer", "name", "gwo", "netns", out)
	for _, c := range [][]string{
		{rtr, "addr", "add", "10.99.41.1/24", "dev", "ri"}, {rtr, "addr", "add", "10.99.42.1/24", "dev", "ro"},
		{rtr, "link", "set", "ri", "up"}, {rtr, "link", "set", "ro", "up"},
		{in, "addr", "add", "10.99.41.2/24", "dev", "gwi"}, {in, "link", "set", "gwi", "up"},
		{in, "route", "add", "default", "via", "10.99.41.1"},
		{out, "addr", "add", "10.99.42.2/24", "dev", "gwo"}, {out, "link", "set", "gwo", "up"},
	} {
		run(t, append([]string{"ip", "-n", c[0]}, c[1:]...)...)
	}
	run(t, "ip", "netns", "exec", rtr, "sysctl", "-qw", "net.ipv4.ip_forward=1",
		"net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.ri.send_redirects=0")
	rules := `table ip nat {
	chain pre { type nat hook prerouting priority -100; ip daddr 10.99.42.1 tcp dport 80 dnat to 10.99.41.2:8080; }
	chain post { type nat hook postrouting priority 100; oifname "ro" masquerade; oifname "ri" ip saddr 10.99.41.0/24 snat to 10.99.42.1; }
}`
	f := filepath.Join(t.TempDir(), "nat.nft")
	if err := os.WriteFile(f, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "ip", "netns", "exec", rtr, "nft", "-f", f)
	return runGatewayScenario(t, in, out)
}
