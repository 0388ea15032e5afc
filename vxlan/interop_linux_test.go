//go:build linux

package vxlan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/tap"
)

// needNetNS skips the test unless it can build namespaces with TAP devices
// and kernel VXLAN devices.
func needNetNS(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces, TAP and VXLAN devices")
	}
	for _, bin := range []string{"ip", "bridge", "ping"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs the %s command to configure and test namespaces", bin)
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skip("needs /dev/net/tun to create TAP devices")
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

// tshark runs tshark with args and returns its standard output (its
// stderr carries a warning about running as root).
func tshark(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// newNS creates a namespace named after this process and tag, removed
// when the test ends.
func newNS(t *testing.T, tag string) string {
	t.Helper()
	name := fmt.Sprintf("sdnf-vx%d-%s", os.Getpid(), tag)
	exec.Command("ip", "netns", "del", name).Run()
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// inNS runs fn on an OS thread switched into namespace ns; sockets fn
// opens stay in ns.
func inNS(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(self)
		target, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		err = unix.Setns(target, unix.CLONE_NEWNET)
		unix.Close(target)
		if err != nil {
			errc <- err
			return
		}
		err = fn()
		if unix.Setns(self, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		} // else the thread dies with the goroutine, still locked
		errc <- err
	}()
	return <-errc
}

// txChecksumOff turns off transmit checksum offload of dev in ns, as
// "ethtool -K dev tx off" does (ETHTOOL_STXCSUM). Over veth, a kernel
// VXLAN device otherwise sends inner TCP segments whose checksum is only
// partial (the skb carries CHECKSUM_PARTIAL to the peer namespace), which
// a userspace VTEP receiving through a UDP socket cannot finish.
func txChecksumOff(t *testing.T, ns, dev string) {
	t.Helper()
	err := inNS(ns, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		const ethtoolSTxCsum = 0x17
		val := struct{ cmd, data uint32 }{ethtoolSTxCsum, 0}
		var ifr struct {
			name [unix.IFNAMSIZ]byte
			data uintptr
			_    [16]byte
		}
		copy(ifr.name[:], dev)
		ifr.data = uintptr(unsafe.Pointer(&val))
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
		runtime.KeepAlive(&val)
		if errno != 0 {
			return errno
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ETHTOOL_STXCSUM off on %s: %v", dev, err)
	}
}

func linkMAC(t *testing.T, ns, dev string) header.MAC {
	t.Helper()
	var links []struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(run(t, "ip", "-n", ns, "-j", "link", "show", dev)), &links); err != nil || len(links) != 1 {
		t.Fatalf("ip link show %s: %v", dev, err)
	}
	m, err := header.ParseMAC(links[0].Address)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tcpStream sends n bytes from a client in ns `from` to a server in ns `to`
// listening on addr, and checks they arrive intact.
func tcpStream(t *testing.T, from, to string, addr netip.AddrPort, n int) {
	t.Helper()
	var ln net.Listener
	if err := inNS(to, func() (err error) {
		ln, err = net.Listen("tcp", addr.String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	want := make([]byte, n)
	for i := range want {
		want[i] = byte(i * 7)
	}
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(c)
		got <- b
	}()
	var c net.Conn
	if err := inNS(from, func() (err error) {
		d := net.Dialer{Timeout: 3 * time.Second}
		c, err = d.Dial("tcp", addr.String())
		return err
	}); err != nil {
		t.Fatalf("dial %v from %s: %v", addr, from, err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(want); err != nil {
		t.Fatalf("write: %v", err)
	}
	c.Close()
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("TCP stream %s -> %s: got %d bytes, want %d identical", from, to, len(b), n)
	}
}

// TestInteropKernel runs a Linux kernel VXLAN device in one namespace and
// our VTEP, behind a TAP device, in another, joined by a veth pair:
//
//	nsK: vx0 (VNI 42, 10.99.41.1/24, fd99:41::1/64) --- vk 10.99.40.1 ==veth== vg 10.99.40.2 --- VTEP --- TAP (10.99.41.2/24, fd99:41::2/64) :nsG
//
// over an IPv4 underlay and again over an IPv6 one (fd99:40::1, ::2). Ping
// (IPv4 and IPv6) and a TCP stream pass both ways, each side's FDB learns
// the other's MAC, and tshark (when installed) decodes every frame we send
// as VXLAN with VNI 42 and no malformed packets. Our VTEP suppresses ARP
// and ND for the kernel side's addresses (a neighbor table filled with
// vx0's MAC), so the TAP side's kernel must accept our replies; the
// kernel's own requests cross the tunnel.
func TestInteropKernel(t *testing.T) {
	needNetNS(t)
	if testing.Short() {
		t.Skip("kernel interop takes a few seconds")
	}
	// Over IPv4 the TAP device hands over TSO super-packets and partial
	// checksums for the VTEP to segment and finish; over IPv6 it does not.
	t.Run("underlay=ipv4/offload", func(t *testing.T) {
		testInteropKernel(t, "10.99.40.1", "10.99.40.2", 24, tap.OffloadCsum|tap.OffloadTSO4|tap.OffloadTSO6)
	})
	t.Run("underlay=ipv6", func(t *testing.T) { testInteropKernel(t, "fd99:40::1", "fd99:40::2", 64, 0) })
}

func testInteropKernel(t *testing.T, addrK, addrG string, bits int, offload tap.Offload) {
	const vni = 42
	remoteK, localG := netip.MustParseAddr(addrK), netip.MustParseAddr(addrG)
	ipField := "ip.src"
	if localG.Is6() {
		ipField = "ipv6.src"
	}
	nsK, nsG := newNS(t, "k"), newNS(t, "g")
	veth := fmt.Sprintf("vx%dk", os.Getpid()%100000)
	run(t, "ip", "link", "add", veth, "type", "veth", "peer", "name", veth+"g")
	run(t, "ip", "link", "set", veth, "netns", nsK, "name", "vk")
	run(t, "ip", "link", "set", veth+"g", "netns", nsG, "name", "vg")
	run(t, "ip", "-n", nsK, "addr", "add", fmt.Sprintf("%s/%d", addrK, bits), "dev", "vk", "nodad")
	run(t, "ip", "-n", nsG, "addr", "add", fmt.Sprintf("%s/%d", addrG, bits), "dev", "vg", "nodad")
	run(t, "ip", "-n", nsK, "link", "set", "vk", "up")
	run(t, "ip", "-n", nsG, "link", "set", "vg", "up")
	run(t, "ip", "-n", nsK, "link", "add", "vx0", "type", "vxlan", "id", fmt.Sprint(vni), "dstport", "4789",
		"local", addrK, "remote", addrG, "dev", "vk")
	run(t, "ip", "-n", nsK, "addr", "add", "10.99.41.1/24", "dev", "vx0")
	run(t, "ip", "-n", nsK, "addr", "add", "fd99:41::1/64", "dev", "vx0", "nodad")
	run(t, "ip", "-n", nsK, "link", "set", "vx0", "up")
	txChecksumOff(t, nsK, "vx0")

	dev, err := tap.Open(tap.Config{Name: "vxtap0", NetNS: "/run/netns/" + nsG, Offload: offload})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	run(t, "ip", "-n", nsG, "addr", "add", "10.99.41.2/24", "dev", "vxtap0")
	run(t, "ip", "-n", nsG, "addr", "add", "fd99:41::2/64", "dev", "vxtap0", "nodad")
	run(t, "ip", "-n", nsG, "link", "set", "vxtap0", "mtu", "1450", "up")

	var tr *Transport
	if err := inNS(nsG, func() (err error) {
		tr, err = ListenTransport(context.Background(), netip.AddrPortFrom(localG, Port), DefaultBatch)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	var pcap string
	var dump *exec.Cmd
	if _, err := exec.LookPath("tshark"); err == nil {
		if _, err := exec.LookPath("tcpdump"); err == nil {
			dir, _ := os.MkdirTemp("", "vxlan")
			t.Cleanup(func() { os.RemoveAll(dir) })
			pcap = filepath.Join(dir, "vxlan.pcap")
			dump = exec.Command("ip", "netns", "exec", nsG, "tcpdump", "-i", "vg", "-n", "-U", "-w", pcap, "udp port 4789")
			stderr, err := dump.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := dump.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { dump.Process.Kill(); dump.Wait() })
			listening := make(chan struct{})
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					if strings.Contains(sc.Text(), "listening on") {
						close(listening)
						break
					}
				}
				io.Copy(io.Discard, stderr)
			}()
			select {
			case <-listening:
			case <-time.After(3 * time.Second):
				t.Fatal("tcpdump did not start listening")
			}
		}
	}

	kernelMAC, ourMAC := linkMAC(t, nsK, "vx0"), linkMAC(t, nsG, "vxtap0")
	nb := NewNeighbors()
	nb.Set(vni, netip.MustParseAddr("10.99.41.1"), kernelMAC)
	nb.Set(vni, netip.MustParseAddr("fd99:41::1"), kernelMAC)
	v, err := New(Config{Transport: tr, Ports: map[VNI]LocalPort{vni: dev}, Neighbors: nb})
	if err != nil {
		t.Fatal(err)
	}
	v.FDB().Add(vni, header.MAC{}, remoteK)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := v.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	// The TAP side pings first, so its ARP request and Neighbor
	// Solicitation are ours to answer.
	run(t, "ip", "netns", "exec", nsG, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.99.41.1")
	run(t, "ip", "netns", "exec", nsG, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd99:41::1")
	run(t, "ip", "netns", "exec", nsK, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.99.41.2")
	run(t, "ip", "netns", "exec", nsK, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd99:41::2")
	tcpStream(t, nsK, nsG, netip.MustParseAddrPort("10.99.41.2:5001"), 1<<20)
	tcpStream(t, nsG, nsK, netip.MustParseAddrPort("10.99.41.1:5002"), 1<<20)

	if r, ok := v.FDB().Lookup(vni, kernelMAC); !ok || r != remoteK {
		t.Errorf("our FDB: kernel MAC %v -> %v, %v", kernelMAC, r, ok)
	}
	var fdb []struct {
		MAC string `json:"mac"`
		Dst string `json:"dst"`
	}
	if err := json.Unmarshal([]byte(run(t, "bridge", "-n", nsK, "-j", "fdb", "show", "dev", "vx0")), &fdb); err != nil {
		t.Fatal(err)
	}
	learned := false
	for _, e := range fdb {
		if e.MAC == ourMAC.String() && e.Dst == addrG {
			learned = true
		}
	}
	if !learned {
		t.Errorf("kernel FDB did not learn %v behind %s: %+v", ourMAC, addrG, fdb)
	}
	cs, _ := v.VNIStats(vni)
	ps, _ := v.PeerStats(remoteK)
	t.Logf("VNI %d: %+v; peer %s: %+v; %+v", vni, cs, addrK, ps, v.Stats())
	if s := v.Stats(); s.Malformed != 0 || s.UnknownVNI != 0 || s.Suppressed < 2 || (offload != 0) != (s.Segmented > 0) {
		t.Errorf("kernel packets rejected, no ARP and NS suppressed, or super-packets where none were asked for: %+v", s)
	}

	if dump == nil {
		t.Log("tshark or tcpdump not installed: wire decode not checked")
		return
	}
	time.Sleep(100 * time.Millisecond)
	dump.Process.Signal(os.Interrupt)
	dump.Wait()
	if out := tshark(t, "-r", pcap, "-Y", "_ws.malformed"); strings.TrimSpace(out) != "" {
		t.Errorf("tshark reports malformed frames:\n%s", out)
	}
	out := tshark(t, "-r", pcap, "-Y", "vxlan && "+ipField+" == "+addrG, "-T", "fields", "-e", "vxlan.vni")
	lines := strings.Fields(out)
	if len(lines) < 10 {
		t.Errorf("tshark decoded only %d of our frames as VXLAN", len(lines))
	}
	for _, l := range lines {
		if l != fmt.Sprint(vni) {
			t.Fatalf("tshark sees VNI %q in our frames", l)
		}
	}
	all := strings.Fields(tshark(t, "-r", pcap, "-Y", ipField+" == "+addrG, "-T", "fields", "-e", "frame.number"))
	if len(all) != len(lines) {
		t.Errorf("%d of our frames on the wire, %d decoded as VXLAN", len(all), len(lines))
	}
	t.Logf("tshark: %d frames from our VTEP decoded as VXLAN VNI %d, none malformed", len(lines), vni)
}
