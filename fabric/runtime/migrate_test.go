package runtime

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// stream is a download read slowly (32 KiB every 10 ms) until moved
// reports true, then as fast as it comes; it records the longest pause
// between two reads and how much was read once moved.
type stream struct {
	got   chan int64 // bytes read so far, after each read
	done  chan error
	stall time.Duration
	after int64 // bytes read once moved
}

// download starts GET url?bytes=size with fresh connections until one is
// served by want, and reads it in the background.
func download(t *testing.T, c *http.Client, url, want string, size int, moved func() bool) *stream {
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
		if resp.Header.Get(ServedBy) == want {
			break
		}
		resp.Body.Close()
		resp = nil
	}
	if resp == nil {
		t.Fatalf("no download from %s served by %s", url, want)
	}
	s := &stream{got: make(chan int64, 1024), done: make(chan error, 1)}
	go func() {
		defer resp.Body.Close()
		buf := make([]byte, 32<<10)
		var n int64
		last := time.Now()
		for {
			k, err := resp.Body.Read(buf)
			now := time.Now()
			s.stall = max(s.stall, now.Sub(last))
			last = now
			n += int64(k)
			in := moved()
			if in {
				s.after += int64(k)
			}
			select {
			case s.got <- n:
			default:
			}
			if err == io.EOF {
				if n != int64(size) {
					err = fmt.Errorf("got %d of %d bytes", n, size)
				} else {
					err = nil
				}
				s.done <- err
				return
			}
			if err != nil {
				s.done <- fmt.Errorf("after %d of %d bytes: %w", n, size, err)
				return
			}
			if !in {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()
	return s
}

// until waits until the stream has read n bytes.
func (s *stream) until(t *testing.T, n int64) {
	t.Helper()
	for {
		select {
		case got := <-s.got:
			if got >= n {
				return
			}
		case err := <-s.done:
			t.Fatalf("the download ended early: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("the download stalled")
		}
	}
}

// TestMigrateNIC: PortalVM1's NIC moves from host1 to host2 in the
// controller while a download through the VIP (a load-balancing rule:
// the Mux's flow table holds it) runs from it. Host2's agent moves the VM
// (its gVisor stack and connection untouched): the download completes with
// every byte; host1 forgets the vNIC (and the mapping); host2
// reports no drift; new connections reach PortalVM1 on host2 through the
// inbound NAT rule, and both PortalVMs, now on host2, through the rule;
// the VM is still running once host1's detach grace has passed.
func TestMigrateNIC(t *testing.T) {
	rt, ctl, _, _ := managed(t)
	waitFor(t, "every host programmed and ready", func() bool {
		h1, g1 := status[model.HostStatus](t, ctl, model.KindHost, "host1")
		h2, g2 := status[model.HostStatus](t, ctl, model.KindHost, "host2")
		m, gm := status[model.MuxStatus](t, ctl, model.KindMux, "mux1")
		return h1.Ready && h2.Ready && h1.ObservedGeneration == g1 && h2.ObservedGeneration == g2 && m.ObservedGeneration == gm
	})
	vip := "http://" + rt.VIPs()[0].String()
	c := freshPortsClient(mustMachine(t, rt, "clientvm"), 30*time.Second)
	const size = 4 << 20
	moved := func() bool { at, _ := rt.place.get("portalvm1"); return at.host == "host2" }
	s := download(t, c, vip+"/", "portalvm1", size, moved)
	s.until(t, 512<<10)

	applied := time.Now()
	apply(t, ctl, edited(t, ctl, model.KindNetworkInterface, "portalvm1", func(n *model.NetworkInterfaceSpec) { n.Host = "host2" }))
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("download across the migration: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the download did not complete")
	}
	t.Logf("%d MiB downloaded, %d KiB of it after the VM moved; longest pause between reads %s (migration applied %s before the end)",
		size>>20, s.after>>10, s.stall.Round(time.Millisecond), time.Since(applied).Round(time.Millisecond))
	if s.after < 256<<10 {
		t.Errorf("only %d bytes came after the VM moved: the download did not cross the migration", s.after)
	}

	dip := netip.MustParseAddr("10.1.0.4")
	if at, ok := rt.place.get("portalvm1"); !ok || at.host != "host2" {
		t.Errorf("portalvm1 is on %q, want host2", at.host)
	}
	// Host1 maps the VM to host2 (or, once its agent learnt it has no
	// NIC left in the virtual network, not at all).
	if m, ok := rt.hosts["host1"].sw.LookupMapping(5001, dip); ok && m.PA != netip.MustParseAddr("192.168.100.22") {
		t.Errorf("host1 maps portalvm1 to %v, want host2's PA", m.PA)
	}
	if on := rt.place.on("host1"); len(on) != 0 {
		t.Errorf("host1 still has %v", on)
	}
	waitFor(t, "both hosts report the NIC where it is", func() bool {
		h1, g1 := status[model.HostStatus](t, ctl, model.KindHost, "host1")
		h2, g2 := status[model.HostStatus](t, ctl, model.KindHost, "host2")
		return h1.ObservedGeneration == g1 && h2.ObservedGeneration == g2 && h1.Message == "" && h2.Message == "" && h2.Ready
	})
	if by := servedBy(t, c, vip+":8080/", 3); strings.Join(by, ",") != "portalvm1,portalvm1,portalvm1" {
		t.Errorf("VIP:8080 (inbound NAT to portalvm1) served by %v", by)
	}
	seen := map[string]int{}
	for _, who := range servedBy(t, c, vip+"/", 16) {
		seen[who]++
	}
	if seen["portalvm1"] == 0 || seen["portalvm2"] == 0 || len(seen) != 2 {
		t.Errorf("after the migration VIP:80 served by %v, want both PortalVMs", seen)
	}
	// Host1's NIC left it, but host2 took the VM: no sweep detaches it.
	time.Sleep(detachGrace + 100*time.Millisecond)
	if _, ok := rt.Machine("portalvm1"); !ok {
		t.Error("portalvm1 was detached after its migration")
	}
}
