package vswitch

import (
	"net/netip"
	"testing"
)

// TestDropZeroAllocs: dropping frames the switch does not take allocates
// nothing, so a flood of them makes no garbage. (Frames that fail
// offload/header's checks allocate that package's *header.Error.)
func TestDropZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so allocations are not counted under -race")
	}
	r := newRig(t, false)
	inner := tcpFrame(gw, peerMAC, netip.MustParseAddrPort("10.1.0.5:1000"), netip.MustParseAddrPort("10.1.0.4:80"), ack, 10)
	notIPv4 := append([]byte(nil), inner...)
	notIPv4[12], notIPv4[13] = 0x86, 0xdd
	innerNotIPv4 := encap(t, notIPv4)
	for name, f := range map[string]func(){
		"runt":           func() { r.s.fromUplink(inner[:10]) },
		"not ipv4":       func() { r.s.fromUplink(notIPv4) },
		"inner not ipv4": func() { r.s.fromUplink(innerNotIPv4) },
		"guest not ipv4": func() { r.v.fromGuest(notIPv4) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %.1f allocations per frame", name, n)
		}
	}
	if n := r.s.Stats().Get(LayerVNet, ActionDrop); n == 0 {
		t.Fatal("no inner frame was dropped")
	}
}
