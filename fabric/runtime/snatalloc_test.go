package runtime

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/slb/snat"
)

func TestAllocatedSNATLeases(t *testing.T) {
	s := newAllocatedSNAT()
	dip, vip := netip.MustParseAddr("10.1.0.4"), netip.MustParseAddr("192.168.102.10")
	s.set([]model.SNATAllocation{{Rule: "out", DIP: dip, VIP: vip, FirstPort: 1024, Blocks: 2}})
	req := snat.Request{LoadBalancer: "lb", Rule: "out", DIP: dip, Protocol: 6}
	ctx := t.Context()
	l1, err := s.Lease(ctx, req)
	if err != nil || l1.First != 1024 || l1.VIP != vip {
		t.Fatalf("first lease %v, %v", l1, err)
	}
	l2, err := s.Lease(ctx, req)
	if err != nil || l2.First != 1032 {
		t.Fatalf("second lease %v, %v", l2, err)
	}
	if _, err := s.Lease(ctx, req); !errors.Is(err, snat.ErrQuota) {
		t.Errorf("third lease: %v, want ErrQuota", err)
	}
	if l, err := s.Lease(ctx, snat.Request{Rule: "out", DIP: dip, Protocol: 17}); err != nil || l.First != 1024 {
		t.Errorf("UDP lease %v, %v: want the same ports as TCP", l, err)
	}
	if _, err := s.Lease(ctx, snat.Request{Rule: "out", DIP: netip.MustParseAddr("10.1.0.9"), Protocol: 6}); !errors.Is(err, snat.ErrUnknown) {
		t.Errorf("lease for a DIP without allocation: %v, want ErrUnknown", err)
	}
	if err := s.Release(ctx, l2); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Lease(ctx, req); err != nil || l.First != 1032 {
		t.Errorf("lease after a release: %v, %v", l, err)
	}
	if _, err := s.Renew(ctx, l1); err != nil {
		t.Errorf("renew: %v", err)
	}
	s.set([]model.SNATAllocation{{Rule: "out", DIP: dip, VIP: vip, FirstPort: 2048, Blocks: 1}})
	if _, err := s.Renew(ctx, l1); !errors.Is(err, snat.ErrNotLeased) {
		t.Errorf("renew of a block no longer allocated: %v, want ErrNotLeased", err)
	}
}

// TestNodesSplitSNAT runs examples/seed.yaml as two runtimes under one
// controller, host2 apart from the rest: portalvm2 reaches the outside
// server through its host's SNAT, and the reply, sent to the VIP, finds
// its way back through the Mux of the other runtime, which learned
// host2's block from the controller's allocation.
func TestNodesSplitSNAT(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s := splitSeed(t, nil, 0)
	out := s.topo.Outside
	if out == nil {
		t.Fatal("the seed has no outside server")
	}
	inet, err := guest.New(out.Name, s.w[out.Network].Port(out.Name), guest.Config{MAC: net.HardwareAddr(out.MAC[:]), Addr: out.Addr, Gateway: out.Gateway})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inet.Close)
	if err := inet.Serve(":80", WebHandler(out.Name, nil)); err != nil {
		t.Fatal(err)
	}
	portal := mustMachine(t, s.b, "portalvm2")
	c := newClient(portal, true, 2*time.Second)
	url := "http://" + out.Addr.Addr().String() + "/"
	var last error
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.Header.Get(ServedBy) != out.Name || !strings.Contains(string(body), "you are 203.0.113.2:") {
				t.Fatalf("%s %q", resp.Header.Get(ServedBy), body)
			}
			return
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("portalvm2 never reached %s: %v", url, last)
}
