//go:build linux

package tap

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/gro"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// Emit is what a Relay calls for each frame it passes on.
type Emit = func(h virtio.NetHdr, frame []byte) error

// Relay is what the interop test's forwarder does to frames: AToB to each
// frame (with its virtio-net header) that A's kernel hands over, BToA to
// each of B's, and Flush when B has been quiet for 200 µs (the end of a
// receive burst, where Linux flushes GRO). Each calls out for every frame
// to write to the other side. It is exported for the test of the offload
// pipeline in package tap_test.
type Relay struct {
	AToB  func(h virtio.NetHdr, frame []byte, out Emit) error
	BToA  func(h virtio.NetHdr, frame []byte, out Emit) error
	Flush func(out Emit) error
}

// TestKernelTSOThroughGSOAndGRO relays with packages gso and gro directly:
// A's super-segments are split into MSS-sized frames with full checksums
// (and A's other partial checksums finished), B's frames are coalesced.
func TestKernelTSOThroughGSOAndGRO(t *testing.T) {
	segs := make([][]byte, 64)
	for i := range segs {
		segs[i] = make([]byte, 1514)
	}
	sizes := make([]int, len(segs))
	coal, err := gro.NewCoalescer(gro.Config{NetworkOffset: 14})
	if err != nil {
		t.Fatal(err)
	}
	RunInterop(t, Relay{
		AToB: func(h virtio.NetHdr, frame []byte, out Emit) error {
			if !h.IsGSO() {
				if err := h.FinishChecksum(frame); err != nil {
					return err
				}
				return out(virtio.NetHdr{}, frame)
			}
			n, err := gso.Segment(segs, sizes, frame, h, gso.Options{NetworkOffset: 14})
			if err != nil {
				return fmt.Errorf("gso.Segment(%+v, %d bytes): %w", h, len(frame), err)
			}
			for i := range n {
				if err := out(virtio.NetHdr{}, segs[i][:sizes[i]]); err != nil {
					return err
				}
			}
			return nil
		},
		BToA:  func(h virtio.NetHdr, frame []byte, out Emit) error { return coal.Add(h, frame, out) },
		Flush: func(out Emit) error { return coal.Flush(out) },
	})
	st := coal.Stats()
	t.Logf("gro: %d packets, merged %d, passed %d through, %d bad checksums", st.Packets, st.Merged, st.PassThrough, st.BadChecksum)
	if st.BadChecksum != 0 {
		t.Errorf("gro found %d bad checksums in B's frames", st.BadChecksum)
	}
}

// RunInterop puts this module between two Linux TCP stacks. Namespace A
// has tapa, opened with TSO so A's kernel hands over TCP super-segments
// with virtio-net headers; namespace B has tapb, opened without offloads,
// so B's kernel only takes and sends plain, fully checksummed frames, like
// a NIC without task offload. A forwarder passes A's frames through
// r.AToB to B and B's through r.BToA to A; what reaches B must be plain
// frames of at most 1514 bytes. A and B exchange a bulk stream in each
// direction over IPv4 and then IPv6; both must arrive intact, A must have
// handed over super-segments and the relay must have coalesced some of
// B's segments, every TCP frame written to B must reach B's TCP, and
// neither kernel may count a checksum or header error.
func RunInterop(t *testing.T, r Relay) {
	needRootAndIP(t)
	aToB, bToA := 16<<20, 4<<20
	if raceEnabled || testing.Short() {
		aToB, bToA = 4<<20, 1<<20
	}
	nsA, nsB := newNetNS(t, "a"), newNetNS(t, "b")
	tapa, err := Open(Config{Name: "tapa", Offload: OffloadCsum | OffloadTSO4 | OffloadTSO6 | OffloadTSOECN, NetNS: "/run/netns/" + nsA})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tapa.Close() })
	tapb, err := Open(Config{Name: "tapb", NetNS: "/run/netns/" + nsA})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tapb.Close() })
	ipCmd(t, "-n", nsA, "link", "set", "tapb", "netns", nsB) // the open fd follows
	ipCmd(t, "-n", nsA, "addr", "add", "10.99.5.1/24", "dev", "tapa")
	ipCmd(t, "-n", nsB, "addr", "add", "10.99.5.2/24", "dev", "tapb")
	ipCmd(t, "-n", nsA, "addr", "add", "fd00:99:5::1/64", "dev", "tapa", "nodad")
	ipCmd(t, "-n", nsB, "addr", "add", "fd00:99:5::2/64", "dev", "tapb", "nodad")
	ipCmd(t, "-n", nsA, "link", "set", "tapa", "up")
	ipCmd(t, "-n", nsB, "link", "set", "tapb", "up")
	snmpA0, snmpB0 := readSNMP(t, nsA), readSNMP(t, nsB)

	fw := &forwarder{a: tapa, b: tapb, r: r}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); fw.errAB = fw.runAToB() }()
	go func() { defer wg.Done(); fw.errBA = fw.runBToA() }()
	stop := func() {
		tapa.Close()
		tapb.Close()
		wg.Wait()
	}
	defer stop()

	for i, fam := range []struct{ network, server string }{{"tcp4", "10.99.5.2:0"}, {"tcp6", "[fd00:99:5::2]:0"}} {
		elapsed := exchange(t, nsA, nsB, fam.network, fam.server, aToB, bToA)
		t.Logf("%s: A->B %d MiB + B->A %d MiB in %v (A->B %.0f Mbit/s)", fam.network, aToB>>20, bToA>>20,
			elapsed.Round(time.Millisecond), float64(aToB)*8/elapsed.Seconds()/1e6)
		c := &fw.fam[i]
		t.Logf("%s from tapa: %d frames, %d super-segments (> 1514 B, largest %d B), relayed as %d frames (%d TCP) to tapb",
			fam.network, c.framesA.Load(), c.superA.Load(), c.maxA.Load(), c.toB.Load(), c.tcpToB.Load())
		t.Logf("%s from tapb: %d frames (largest %d B), relayed as %d frames, %d of them coalesced (GSO), to tapa",
			fam.network, c.framesB.Load(), c.maxB.Load(), c.toA.Load(), c.gsoToA.Load())
		if c.superA.Load() == 0 {
			t.Errorf("%s: A's kernel handed over no TSO super-segments", fam.network)
		}
		if c.gsoToA.Load() == 0 {
			t.Errorf("%s: the relay coalesced none of B's segments", fam.network)
		}
		if c.maxB.Load() > 1514 {
			t.Errorf("%s: tapb (no offloads) handed over a %d-byte frame", fam.network, c.maxB.Load())
		}
	}

	// The devices vanish when closed: read their counters first.
	dropped := linkStat(t, nsB, "tapb", "rx_dropped")
	droppedA := linkStat(t, nsA, "tapa", "tx_dropped")
	stop()
	for _, err := range []error{fw.errAB, fw.errBA} {
		if err != nil && !errors.Is(err, os.ErrClosed) {
			t.Errorf("forwarder: %v", err)
		}
	}
	snmpA, snmpB := readSNMP(t, nsA), readSNMP(t, nsB)
	for _, c := range []struct {
		ns         string
		before, at map[string]int64
	}{{"A", snmpA0, snmpA}, {"B", snmpB0, snmpB}} {
		for _, k := range []string{"Ip.InHdrErrors", "Ip.InDiscards", "Ip6.InHdrErrors", "Ip6.InDiscards", "Tcp.InErrs", "Tcp.InCsumErrors"} {
			if _, ok := c.at[k]; !ok {
				t.Errorf("no %s counter in namespace %s", k, c.ns)
			}
			if d := c.at[k] - c.before[k]; d != 0 {
				t.Errorf("kernel in %s counted %d %s", c.ns, d, k)
			}
		}
		t.Logf("kernel %s: Tcp.InSegs %d, Tcp.OutSegs %d, Tcp.RetransSegs %d", c.ns,
			c.at["Tcp.InSegs"]-c.before["Tcp.InSegs"], c.at["Tcp.OutSegs"]-c.before["Tcp.OutSegs"],
			c.at["Tcp.RetransSegs"]-c.before["Tcp.RetransSegs"])
	}
	// Every TCP frame written to B reached B's TCP, unless B's input
	// queue was full (rx_dropped on tapb: a host too busy, not a frame
	// B refused). Frames A's kernel could not queue for the relay
	// (tx_dropped on tapa) explain retransmissions.
	tcp := fw.fam[0].tcpToB.Load() + fw.fam[1].tcpToB.Load()
	if in := snmpB["Tcp.InSegs"] - snmpB0["Tcp.InSegs"]; in < tcp-dropped || in > tcp {
		t.Errorf("B's TCP took in %d segments, the relay wrote %d (%d dropped in B's queue)", in, tcp, dropped)
	}
	t.Logf("tapb rx_dropped %d, tapa tx_dropped %d", dropped, droppedA)
}

// exchange connects from A to a listener in B and sends aToB bytes one way
// and bToA the other at the same time; both must arrive intact. It
// returns how long that took.
func exchange(t *testing.T, nsA, nsB, network, server string, aToB, bToA int) time.Duration {
	t.Helper()
	var ln net.Listener
	if err := inNetNS(nsB, func() (err error) {
		ln, err = net.Listen(network, server)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var ca net.Conn
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := inNetNS(nsA, func() (err error) {
		ca, err = (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	cb, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	deadline, _ := ctx.Deadline()
	ca.SetDeadline(deadline)
	cb.SetDeadline(deadline)

	start := time.Now()
	type result struct {
		sum [32]byte
		n   int64
		err error
	}
	recv := func(c net.Conn, res chan<- result) {
		h := sha256.New()
		n, err := io.Copy(h, c)
		var r result
		copy(r.sum[:], h.Sum(nil))
		r.n, r.err = n, err
		res <- r
	}
	send := func(c net.Conn, data []byte, errc chan<- error) {
		_, err := c.Write(data)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		errc <- err
	}
	dataAB, dataBA := streamData(aToB, 1), streamData(bToA, 2)
	resB, resA := make(chan result, 1), make(chan result, 1)
	errc := make(chan error, 2)
	go recv(cb, resB)
	go recv(ca, resA)
	go send(ca, dataAB, errc)
	go send(cb, dataBA, errc)
	for range 2 {
		if err := <-errc; err != nil {
			t.Errorf("%s send: %v", network, err)
		}
	}
	gotB, gotA := <-resB, <-resA
	elapsed := time.Since(start)
	if gotB.err != nil || gotB.n != int64(aToB) || gotB.sum != sha256.Sum256(dataAB) {
		t.Errorf("%s A->B stream: %d bytes, err %v, hash match %v", network, gotB.n, gotB.err, gotB.sum == sha256.Sum256(dataAB))
	}
	if gotA.err != nil || gotA.n != int64(bToA) || gotA.sum != sha256.Sum256(dataBA) {
		t.Errorf("%s B->A stream: %d bytes, err %v, hash match %v", network, gotA.n, gotA.err, gotA.sum == sha256.Sum256(dataBA))
	}
	return elapsed
}

// forwarder moves frames between the two devices through a Relay.
type forwarder struct {
	a, b         *Device
	r            Relay
	errAB, errBA error
	fam          [2]counters // IPv4, IPv6
}

// counters describe the frames of one IP version.
type counters struct {
	framesA, superA, maxA, toB, tcpToB atomic.Int64
	framesB, maxB, toA, gsoToA         atomic.Int64
}

// family returns the counters for frame's IP version (IPv6 for IPv6,
// IPv4 for everything else, ARP included).
func (fw *forwarder) family(frame []byte) *counters {
	if len(frame) >= 14 && frame[12] == 0x86 && frame[13] == 0xdd {
		return &fw.fam[1]
	}
	return &fw.fam[0]
}

// isTCP reports whether frame is TCP over IPv4 or over IPv6 without
// extension headers.
func isTCP(frame []byte) bool {
	switch {
	case len(frame) > 23 && frame[12] == 0x08 && frame[13] == 0x00:
		return frame[23] == 6
	case len(frame) > 20 && frame[12] == 0x86 && frame[13] == 0xdd:
		return frame[20] == 6
	}
	return false
}

func storeMax(v *atomic.Int64, n int64) {
	if n > v.Load() {
		v.Store(n)
	}
}

// runAToB relays A's frames to B, which takes only plain frames.
func (fw *forwarder) runAToB() error {
	buf := make([]byte, ReadBufferSize)
	out := func(h virtio.NetHdr, frame []byte) error {
		if h.IsGSO() || h.NeedsChecksum() || len(frame) > 1514 {
			return fmt.Errorf("relay sent B a %d-byte frame with %+v", len(frame), h)
		}
		c := fw.family(frame)
		c.toB.Add(1)
		if isTCP(frame) {
			c.tcpToB.Add(1)
		}
		return fw.b.WritePacket(h, frame)
	}
	for {
		h, frame, err := fw.a.ReadPacket(buf)
		if err != nil {
			return err
		}
		c := fw.family(frame)
		c.framesA.Add(1)
		if n := int64(len(frame)); n > 1514 {
			c.superA.Add(1)
			storeMax(&c.maxA, n)
		}
		if err := fw.r.AToB(h, frame, out); err != nil {
			return err
		}
	}
}

// runBToA relays B's frames to A. A burst ends when no frame arrives for
// 200 µs; then the relay is flushed.
func (fw *forwarder) runBToA() error {
	buf := make([]byte, ReadBufferSize)
	out := func(h virtio.NetHdr, frame []byte) error {
		c := fw.family(frame)
		c.toA.Add(1)
		if h.IsGSO() {
			c.gsoToA.Add(1)
		}
		return fw.a.WritePacket(h, frame)
	}
	pending := false
	for {
		if pending {
			fw.b.SetReadDeadline(time.Now().Add(200 * time.Microsecond))
		} else {
			fw.b.SetReadDeadline(time.Time{})
		}
		h, frame, err := fw.b.ReadPacket(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if err := fw.r.Flush(out); err != nil {
				return err
			}
			pending = false
			continue
		}
		if err != nil {
			return err
		}
		c := fw.family(frame)
		c.framesB.Add(1)
		storeMax(&c.maxB, int64(len(frame)))
		if err := fw.r.BToA(h, frame, out); err != nil {
			return err
		}
		pending = true
	}
}

// linkStat reads a counter of /sys/class/net/DEV/statistics in ns.
func linkStat(t *testing.T, ns, dev, name string) int64 {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/sys/class/net/"+dev+"/statistics/"+name).Output()
	if err != nil {
		t.Fatalf("reading %s of %s in %s: %v", name, dev, ns, err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatalf("%s of %s: %v", name, dev, err)
	}
	return v
}

// streamData returns n pseudo-random bytes.
func streamData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// readSNMP returns the Ip and Tcp counters of /proc/net/snmp and the Ip6
// counters of /proc/net/snmp6 in namespace ns, keyed "Ip.InHdrErrors",
// "Tcp.InCsumErrors", "Ip6.InDiscards" and so on.
func readSNMP(t *testing.T, ns string) map[string]int64 {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").Output()
	if err != nil {
		t.Fatalf("reading /proc/net/snmp in %s: %v", ns, err)
	}
	m := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	var names []string
	for sc.Scan() {
		proto, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (proto != "Ip" && proto != "Tcp") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) > 0 && fields[0] != "" && (fields[0][0] < '0' || fields[0][0] > '9') && fields[0][0] != '-' {
			names = fields
			continue
		}
		for i, f := range fields {
			if i < len(names) {
				v, _ := strconv.ParseInt(f, 10, 64)
				m[proto+"."+names[i]] = v
			}
		}
	}
	out, err = exec.Command("ip", "netns", "exec", ns, "cat", "/proc/net/snmp6").Output()
	if err != nil {
		t.Fatalf("reading /proc/net/snmp6 in %s: %v", ns, err)
	}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 2 && strings.HasPrefix(f[0], "Ip6") {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			m["Ip6."+strings.TrimPrefix(f[0], "Ip6")] = v
		}
	}
	return m
}
