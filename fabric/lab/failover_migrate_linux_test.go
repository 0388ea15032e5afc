//go:build linux

package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

// pacedDownload is a download read as fast as it comes (so that a stall
// of the network is not hidden by the socket's buffer), but slowly from
// slowFrom bytes on until fast is set (so that it lasts across an event
// however fast the network is; the client's small receive buffer makes
// the sender wait too), which records when each read returned. The reader
// slows down itself: a test that polled for slowFrom bytes could find the
// whole download read by then.
type pacedDownload struct {
	mu       sync.Mutex
	n        int64
	stall    time.Duration // the longest pause between two reads
	reads    []time.Time
	done     chan error
	slowFrom int64       // 16 KiB per 20 ms from here on
	fast     atomic.Bool // as fast as it comes again
}

// smallWindowClient is a client from machine's namespace whose sockets
// have a 64 KiB receive buffer: a reader that slows down holds the sender
// back within a few round trips.
func smallWindowClient(l *lab.Lab, machine string) *http.Client {
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return l.DialWith(ctx, d, machine, network, addr)
		},
		DisableKeepAlives: true,
	}}
}

// startDownload GETs url?bytes=size with new connections until one is
// served by want, and reads it in the background, slowly from slowFrom
// bytes on until d.fast is set.
func startDownload(t *testing.T, c *http.Client, url, want string, size, slowFrom int) *pacedDownload {
	t.Helper()
	var resp *http.Response
	for range 50 {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("%s?bytes=%d", url, size), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err = c.Do(req); err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get(runtime.ServedBy) == want {
			break
		}
		resp.Body.Close()
		resp = nil
	}
	if resp == nil {
		t.Fatalf("no download from %s served by %s", url, want)
	}
	d := &pacedDownload{done: make(chan error, 1), slowFrom: int64(slowFrom)}
	go func() {
		defer resp.Body.Close()
		buf := make([]byte, 32<<10)
		last := time.Now()
		var n int64 // d.n, which only this goroutine writes
		for {
			b := buf
			if n >= d.slowFrom && !d.fast.Load() {
				time.Sleep(20 * time.Millisecond)
				b = buf[:16<<10]
			}
			k, err := resp.Body.Read(b)
			now := time.Now()
			d.mu.Lock()
			d.stall = max(d.stall, now.Sub(last))
			d.reads = append(d.reads, now)
			d.n += int64(k)
			n = d.n
			d.mu.Unlock()
			last = now
			switch {
			case err == io.EOF && n == int64(size):
				d.done <- nil
				return
			case err != nil:
				d.done <- fmt.Errorf("after %d of %d bytes: %v", n, size, err)
				return
			}
		}
	}()
	return d
}

// pauseAt returns the pause between the reads before and after t.
func (d *pacedDownload) pauseAt(t time.Time) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := 1; i < len(d.reads); i++ {
		if d.reads[i].After(t) {
			return d.reads[i].Sub(d.reads[i-1])
		}
	}
	return 0
}

func (d *pacedDownload) read() (int64, time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n, d.stall
}

// TestFailoverMigrate is failover scenario 3 (issue 11): the seed runs
// with the controller in process and an agent on every node; from
// ClientVM's namespace a download through the VIP (the load-balancing
// rule, so the Mux's flow table carries it) runs from PortalVM1 when its
// NIC moves from host1 to host2 in the controller. Host2's agent moves
// the VM: its namespace and kernel TCP state stay as they are while its
// TAP's port is replugged into host2's virtual switch, host1's flow state
// of the DIP goes to host2, and every node is programmed with the VM
// where it is. The download completes with every byte (kernel TCP on both
// ends); the stall across the migration (the pause between the reads
// around it; the reader drains the socket as data comes) is reported.
func TestFailoverMigrate(t *testing.T) {
	needLab(t)
	p := prefix(t, "ffmig")
	ctx := t.Context()
	ctl, err := controller.New(controller.Config{Store: memstore.New(memstore.Options{}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	topo := applySeed(ctx, t, ctl)
	migrated := make(chan runtime.Progress, 1)
	l := upWithAgents(ctx, t, topo, lab.Options{Prefix: p, Runtime: runtime.Options{Progress: func(pr runtime.Progress) {
		if pr.Event == "migrated" {
			select {
			case migrated <- pr:
			default:
			}
		}
	}}}, ctl)
	eventually(t, "every host programmed", 10*time.Second, func() bool {
		for _, h := range []string{"host1", "host2"} {
			o, err := ctl.Get(ctx, model.KindHost, h)
			var st model.HostStatus
			if err != nil || len(o.Status) == 0 || json.Unmarshal(o.Status, &st) != nil || st.ObservedGeneration != o.Metadata.Generation || !st.Ready {
				return false
			}
		}
		return true
	})

	size := 64 << 20
	if raceEnabled {
		size = 2 << 20
	}
	// Slowly from a sixteenth on until the VM moved: a fast network
	// would otherwise finish the download before the controller has even
	// told the hosts.
	d := startDownload(t, smallWindowClient(l, "clientvm"), "http://"+l.Runtime().VIPs()[0].String()+"/", "portalvm1", size, size/16)
	eventually(t, "a sixteenth downloaded", 10*time.Second, func() bool { n, _ := d.read(); return n >= int64(size/16) })

	o, err := ctl.Get(ctx, model.KindNetworkInterface, "portalvm1")
	if err != nil {
		t.Fatal(err)
	}
	var nic model.NetworkInterfaceSpec
	if err := json.Unmarshal(o.Spec, &nic); err != nil {
		t.Fatal(err)
	}
	nic.Host = "host2"
	if err := o.SetSpec(&nic); err != nil {
		t.Fatal(err)
	}
	o.Status, o.Metadata.ResourceVersion = nil, ""
	at, _ := d.read()
	if _, _, err := ctl.Apply(ctx, []model.Object{o}); err != nil {
		t.Fatal(err)
	}
	var when time.Time
	select {
	case pr := <-migrated:
		when = pr.Time
		d.fast.Store(true)
		t.Logf("%s %s", pr.Node, pr.Detail)
	case <-time.After(10 * time.Second):
		t.Fatal("portalvm1 did not migrate")
	}
	select {
	case err := <-d.done:
		n, stall := d.read()
		if err != nil {
			t.Fatalf("download across the migration: %v", err)
		}
		t.Logf("%d MiB downloaded by ClientVM's kernel from PortalVM1's, %.1f MiB of it after the NIC moved; stall across the migration %s (longest pause between reads %s)",
			n>>20, float64(n-at)/(1<<20), d.pauseAt(when).Round(time.Millisecond), stall.Round(time.Millisecond))
		if n-at < int64(size/8) {
			t.Errorf("only %d bytes came after the move: the download did not cross it", n-at)
		}
	case <-time.After(30 * time.Second):
		n, _ := d.read()
		t.Fatalf("the download stalled after %d of %d bytes", n, size)
	}
	// New connections reach PortalVM1 on host2 (the inbound NAT rule).
	if _, by, err := get(ctx, l.HTTPClient("clientvm"), "http://"+l.Runtime().VIPs()[0].String()+":8080/"); err != nil || by != "portalvm1" {
		t.Errorf("VIP:8080 after the migration: served by %q, %v", by, err)
	}
}
