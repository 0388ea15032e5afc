package vswitch

import (
	"net/netip"
	"testing"
)

// TestTSOMalformedTCP: a TSO guest's super-packet with a TCP data offset
// below 5 or beyond the segment is dropped by the offload layer, with the
// reason, and nothing is segmented.
func TestTSOMalformedTCP(t *testing.T) {
	for _, tc := range []struct {
		name string
		doff byte
		size int
	}{
		{"offset below 5, oversized", 1, 3000},
		{"offset zero, oversized", 0, 3000},
		{"offset beyond a short segment", 15, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, true)
			nic, _ := netsimWire()
			v, err := r.s.AddVNIC(VNICConfig{Name: "tso", Port: nic, MAC: hwaddr(0xbb, 9), Addr: netip.MustParseAddr("10.1.0.9"), VNI: vni, TSO: true, MTU: 1400})
			if err != nil {
				t.Fatal(err)
			}
			f := tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.9:1000"), netip.MustParseAddrPort("10.1.0.5:80"), ack, tc.size)
			f[14+20+12] = tc.doff << 4
			v.fromGuest(f)
			st := r.s.Stats()
			if n := st.Get(LayerOffload, ActionSegment); n != 0 {
				t.Errorf("segmented %d packets", n)
			}
			if n := st.Get(LayerOffload, ActionDrop); n != 1 {
				t.Errorf("offload drops = %d, want 1", n)
			}
		})
	}
}
