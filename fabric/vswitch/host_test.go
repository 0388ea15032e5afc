package vswitch

import (
	"context"
	"net/http"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/header"
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

// TestHostPortOnlyFromLocalVNICs: the host's stack hears only what a
// local vNIC sends from its own address: a packet for its address from
// another host (in VXLAN) or from the provider network, and one a guest
// sends from another guest's address, never reach it. (The runtime's
// WireServer relies on it: a request's source names a VM of the host.)
func TestHostPortOnlyFromLocalVNICs(t *testing.T) {
	r := newRig(t, true)
	hostAddr := netip.MustParseAddr("168.63.129.16")
	stackEnd, switchEnd := netsim.NewWire("host", netsim.WireConfig{})
	if _, err := r.s.AddHostPort(HostPortConfig{Port: switchEnd, MAC: hwaddr(0xcc, 1), Addr: hostAddr}); err != nil {
		t.Fatal(err)
	}
	got := make(chan netip.Addr, 8)
	stackEnd.SetSuperReceiver(func(frame []byte, _ int) {
		if len(frame) >= 34 {
			got <- netip.AddrFrom4([4]byte(frame[26:30])) // the source
		}
	})
	wire := netip.AddrPortFrom(hostAddr, 80)
	// From another host's guest, in VXLAN.
	r.s.fromUplink(encap(t, tcpFrame(gw, peerMAC, netip.AddrPortFrom(peerCA, 40000), wire, syn, 0)))
	// From the provider network, to the host's MAC.
	r.s.fromUplink(tcpFrame(header.MAC(hwaddr(0xaa, 1)), header.MAC(hwaddr(0xee, 1)), netip.MustParseAddrPort("10.0.0.1:40000"), wire, syn, 0))
	// From the local guest, spoofing the remote guest's address.
	r.v.fromGuest(tcpFrame(gw, rigMAC, netip.AddrPortFrom(peerCA, 40000), wire, syn, 0))
	// From the local guest, its own address: the one delivered.
	r.v.fromGuest(tcpFrame(gw, rigMAC, netip.AddrPortFrom(rigCA, 40000), wire, syn, 0))
	select {
	case src := <-got:
		if src != rigCA {
			t.Fatalf("the host's stack got a packet from %s, want only the local guest's (%s)", src, rigCA)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the local guest's packet never reached the host's stack")
	}
	select {
	case src := <-got:
		t.Fatalf("the host's stack got a second packet, from %s", src)
	case <-time.After(50 * time.Millisecond):
	}
	// Each refused where it should be, not for a malformed frame.
	var drops []string
	r.mu.Lock()
	for _, e := range r.events {
		if e.Action == ActionDrop || e.Action == ActionDeny {
			drops = append(drops, e.Rule)
		}
	}
	r.mu.Unlock()
	if want := []string{"no local vnic", "not vxlan", "anti-spoofing"}; !slices.Equal(drops, want) {
		t.Errorf("dropped for %q, want %q", drops, want)
	}
}
