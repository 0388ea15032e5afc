package vswitch

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// TestPropertyEncapDecap: any TCP segment a guest on one host sends to a CA
// on another host arrives at that CA's vNIC byte for byte, but for the
// Ethernet addresses (from the gateway, to the vNIC).
func TestPropertyEncapDecap(t *testing.T) {
	// Host 1: a vNIC and an uplink whose far end records.
	up1, far1 := netsim.NewWire("up1", netsim.WireConfig{})
	nic1, _ := netsim.NewWire("nic1", netsim.WireConfig{Queue: 1})
	wire := make(chan []byte, 1)
	far1.SetReceiver(func(f []byte) { wire <- append([]byte(nil), f...) })
	defer far1.Close()
	s1, err := New(Config{Name: "h1", Uplink: up1, HostPA: rigPA, HostMAC: hwaddr(0xaa, 1), ProviderPrefix: provider})
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	v1, _ := s1.AddVNIC(VNICConfig{Name: "vm4", Port: nic1, MAC: rigMAC[:], Addr: rigCA, VNI: vni})
	s1.SetMapping(vni, peerCA, remotePA, peerMAC[:])
	s1.SetNeighbor(remotePA, hwaddr(0xaa, 2))
	// Host 2: the destination vNIC, whose guest end records.
	up2, _ := netsim.NewWire("up2", netsim.WireConfig{Queue: 1})
	nic2, guest2 := netsim.NewWire("nic2", netsim.WireConfig{})
	delivered := make(chan []byte, 1)
	guest2.SetReceiver(func(f []byte) { delivered <- append([]byte(nil), f...) })
	defer guest2.Close()
	s2, err := New(Config{Name: "h2", Uplink: up2, HostPA: remotePA, HostMAC: hwaddr(0xaa, 2), ProviderPrefix: provider})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.AddVNIC(VNICConfig{Name: "vm5", Port: nic2, MAC: peerMAC[:], Addr: peerCA, VNI: vni,
		Endpoints: []Endpoint{{Name: "any", Kind: Internal, Protocol: protoTCP, Port: 80}}}); err != nil {
		t.Fatal(err)
	}
	s2.SetMapping(vni, rigCA, rigPA, rigMAC[:])

	rapid.Check(t, func(rt *rapid.T) {
		sport := rapid.Uint16Range(1, 65535).Draw(rt, "sport")
		payload := rapid.IntRange(0, 1400).Draw(rt, "payload")
		flags := rapid.SampledFrom([]byte{syn, ack, ack | 0x08, ack | 0x01}).Draw(rt, "flags")
		in := tcpFrame(gw, rigMAC, netip.AddrPortFrom(rigCA, sport), netip.AddrPortFrom(peerCA, 80), flags, payload)
		want := append([]byte(nil), in...)
		copy(want[0:6], peerMAC[:])
		copy(want[6:12], gw[:])
		v1.fromGuest(in)
		var outer []byte
		select {
		case outer = <-wire:
		case <-time.After(5 * time.Second):
			rt.Fatal("nothing left host 1")
		}
		s2.fromUplink(outer)
		select {
		case got := <-delivered:
			if diff := cmp.Diff(want, got); diff != "" {
				rt.Fatalf("delivered frame differs (-want +got):\n%s", diff)
			}
		case <-time.After(5 * time.Second):
			rt.Fatal("nothing delivered on host 2")
		}
	})
}

// TestCloseEndsGoroutines: Close ends the delivery goroutines of the uplink,
// the vNICs and the host port.
func TestCloseEndsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	up, _ := netsim.NewWire("up", netsim.WireConfig{})
	s, err := New(Config{Name: "h1", Uplink: up, HostPA: rigPA, HostMAC: hwaddr(0xaa, 1), ProviderPrefix: provider})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		nic, _ := netsim.NewWire("nic", netsim.WireConfig{})
		if _, err := s.AddVNIC(VNICConfig{Name: string(rune('a' + i)), Port: nic, MAC: hwaddr(0xbb, byte(i)),
			Addr: netip.AddrFrom4([4]byte{10, 1, 0, byte(10 + i)}), VNI: vni}); err != nil {
			t.Fatal(err)
		}
	}
	hp, _ := netsim.NewWire("host", netsim.WireConfig{})
	if _, err := s.AddHostPort(HostPortConfig{Port: hp, MAC: hwaddr(0xcc, 1), Addr: netip.MustParseAddr("168.63.129.16")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if _, err := s.AddVNIC(VNICConfig{Name: "late", Port: hp, MAC: hwaddr(0xbb, 9), Addr: rigCA, VNI: vni}); err == nil {
		t.Error("AddVNIC on a closed switch succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines before, %d after Close", before, n)
	}
}

// TestZeroAllocsTSO holds the offload path at zero allocations: a TSO
// guest's 8 KB super-packet segmented, checksummed and encapsulated.
func TestZeroAllocsTSO(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so allocations are not counted under -race")
	}
	r := newRig(t, false)
	nic, _ := netsimWire()
	v, err := r.s.AddVNIC(VNICConfig{Name: "tso", Port: nic, MAC: hwaddr(0xbb, 9), Addr: netip.MustParseAddr("10.1.0.9"),
		VNI: vni, TSO: true, MTU: 1450})
	if err != nil {
		t.Fatal(err)
	}
	super := tcpFrame(gw, header.MAC(hwaddr(0xbb, 9)), netip.MustParseAddrPort("10.1.0.9:1000"), netip.MustParseAddrPort("10.1.0.5:80"), ack, 8000)
	f := func() { v.fromGuest(super) }
	f()
	if n := testing.AllocsPerRun(100, f); n != 0 {
		t.Errorf("%.1f allocations per super-packet", n)
	}
	if got := r.s.Stats().Get(LayerOffload, ActionSegment); got == 0 {
		t.Fatal("nothing segmented")
	}
	if got := r.s.Stats().Get(LayerVNet, ActionEncap); got < 101*6 {
		t.Fatalf("%d segments encapsulated, want 6 per super-packet", got)
	}
}
