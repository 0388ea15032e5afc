package vswitch

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// TestUplinkSuperFrame: a VXLAN super-frame from a Mux (to a VIP, through
// the host agent and an Input endpoint's ACL) reaches the vNIC's guest as
// one super-frame with its MSS, the inner frame addressed to the guest
// from the gateway and otherwise as sent; a VXLAN super-frame whose inner
// packet is not TCP is dropped.
func TestUplinkSuperFrame(t *testing.T) {
	up, far := netsim.NewWire("up", netsim.WireConfig{})
	defer far.Close()
	nic, guestEnd := netsim.NewWire("nic", netsim.WireConfig{})
	defer guestEnd.Close()
	type got struct {
		f   []byte
		mss int
	}
	ch := make(chan got, 4)
	guestEnd.SetSuperReceiver(func(f []byte, mss int) { ch <- got{bytes.Clone(f), mss} })
	var events []Event
	evs := make(chan Event, 64)
	s, err := New(Config{Name: "h1", Uplink: up, HostPA: rigPA, HostMAC: hwaddr(0xaa, 1), ProviderPrefix: provider,
		RouterPA: routerPA, RouterMAC: hwaddr(0xee, 1), SLB: fakeSLB{}, Trace: func(e Event) { evs <- e }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddVNIC(VNICConfig{Name: "vm4", Port: nic, MAC: rigMAC[:], Addr: rigCA, VNI: vni,
		Sources: []netip.Addr{vip}, Endpoints: []Endpoint{{Name: "web", Kind: Input, Protocol: protoTCP, Port: 8080}}}); err != nil {
		t.Fatal(err)
	}
	const mss = 1448
	inner := tcpFrame(gw, peerMAC, netip.MustParseAddrPort("198.51.100.7:5000"), netip.MustParseAddrPort("203.0.113.10:8080"), ack, 30000)
	if !far.SendSuper(encap(t, inner), mss) {
		t.Fatal("SendSuper refused")
	}
	select {
	case g := <-ch:
		want := bytes.Clone(inner)
		copy(want[0:6], rigMAC[:])
		copy(want[6:12], gw[:])
		if g.mss != mss || !bytes.Equal(g.f, want) {
			t.Fatalf("guest got %d bytes with mss %d; want the %d-byte inner frame with mss %d", len(g.f), g.mss, len(want), mss)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing delivered")
	}
	notTCP := bytes.Clone(inner)
	notTCP[14+9] = header.ProtocolUDP
	far.SendSuper(encap(t, notTCP), mss)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-evs:
			events = append(events, e)
			if e.Action == ActionDrop && e.Rule == "super-frame not TCP" {
				return
			}
		case g := <-ch:
			t.Fatalf("delivered a super-frame that is not TCP: %d bytes", len(g.f))
		case <-deadline:
			t.Fatalf("not dropped as not TCP; events %+v", events)
		}
	}
}
