package vswitch

import (
	"context"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// TestHostPortProbe: the host's own stack reaches a guest port that no
// endpoint opens (as the load balancer's probes must), in another VNet's
// address space, and the guest's replies come back to it.
func TestHostPortProbe(t *testing.T) {
	f := newFabric(t)
	h1 := f.host("h1", 1, nil)
	b := f.vm(h1, 5, nil, guest.Config{}, VNICConfig{})
	if err := b.Serve(":8080", http.HandlerFunc(hello)); err != nil {
		t.Fatal(err)
	}
	stackEnd, switchEnd := netsim.NewWire("host", netsim.WireConfig{})
	if _, err := h1.AddHostPort(HostPortConfig{Port: switchEnd, MAC: hwaddr(0xcc, 1), Addr: netip.MustParseAddr("168.63.129.16")}); err != nil {
		t.Fatal(err)
	}
	host, err := guest.New("h1-stack", stackEnd, guest.Config{MAC: hwaddr(0xcc, 1),
		Addr: netip.MustParsePrefix("168.63.129.16/24"), Gateway: netip.MustParseAddr("168.63.129.1")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := host.DialContext(ctx, "tcp", "10.1.0.5:8080")
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	conn.Close()
	if got := f.traced(func(e Event) bool { return e.Layer == LayerACL && e.Rule == "host" }); len(got) == 0 {
		t.Fatal("no ACL event for the host's stack")
	}
	if _, err := h1.AddHostPort(HostPortConfig{Port: switchEnd, MAC: hwaddr(0xcc, 1), Addr: netip.MustParseAddr("168.63.129.16")}); err == nil {
		t.Fatal("a second host port was accepted")
	}
}

func TestRemoveVNIC(t *testing.T) {
	r := newRig(t, false)
	if !r.s.RemoveVNIC("vm4") || r.s.RemoveVNIC("vm4") {
		t.Fatal("RemoveVNIC: want true then false")
	}
	if _, ok := r.s.LookupMapping(vni, rigCA); ok {
		t.Fatal("the vNIC's mapping is still there")
	}
	nic, _ := netsimWire()
	if _, err := r.s.AddVNIC(VNICConfig{Name: "vm4", Port: nic, MAC: rigMAC[:], Addr: rigCA, VNI: vni}); err != nil {
		t.Fatalf("re-adding: %v", err)
	}
}
