package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/mux"
)

// newTestMux starts a Mux node (no BGP) on port with one load-balancing
// rule: TCP to vip:80 goes to DIP 192.168.1.4 on host PA hostPA (VNI
// 5001), whose MAC is hostMAC.
func newTestMux(t *testing.T, port *netsim.Port, vip, hostPA netip.Addr, hostMAC header.MAC) *muxNode {
	t.Helper()
	local, stack := netsim.NewWire("mux.local", netsim.WireConfig{})
	t.Cleanup(local.Close)
	t.Cleanup(stack.Close)
	t.Cleanup(port.Close)
	n := &muxNode{spec: Mux{Name: "mux", Addr: netip.MustParsePrefix("10.0.0.1/24"), MAC: header.MAC{2, 0, 0, 0, 9, 1}},
		port: port, local: local, neighbors: map[netip.Addr]header.MAC{hostPA: hostMAC},
		buf: make([]byte, 0, netsim.MaxFrame)}
	m, err := mux.New(mux.Config{LocalPA: n.spec.Addr.Addr(), Clock: wallClock{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	err = m.Configure(context.Background(), slb.LoadBalancer{
		Name:                     "portal",
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: vip}},
		BackendAddressPools: []slb.BackendPool{{Name: "web", VNI: 5001, Backends: []slb.Backend{
			{DIP: netip.MustParseAddr("192.168.1.4"), HostPA: hostPA},
		}}},
		Probes: []slb.Probe{{Name: "tcp", Protocol: slb.ProbeTCP, Port: 80}},
		LoadBalancingRules: []slb.LoadBalancingRule{{Name: "http", Frontend: "fe", BackendPool: "web",
			Probe: "tcp", Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 80}},
	})
	if err != nil {
		t.Fatal(err)
	}
	n.m = m
	port.SetSuperReceiver(n.input)
	return n
}

// vxlanInner checks the outer headers of VXLAN frame f from the Mux (outer
// IPv4 checksum and length, UDP to 4789 with its length, VNI 5001) and
// returns the inner frame.
func vxlanInner(t *testing.T, f []byte, hostPA netip.Addr) []byte {
	t.Helper()
	ip, err := header.ParseIPv4(f[14:])
	if err != nil || !ip.ValidChecksum() || int(ip.TotalLength()) != len(f)-14 || ip.Destination() != hostPA {
		t.Fatalf("outer IPv4: %v (checksum valid %v, length %d of %d, to %s)", err, err == nil && ip.ValidChecksum(), ip.TotalLength(), len(f)-14, ip.Destination())
	}
	udp := ip.Payload()
	if binary.BigEndian.Uint16(udp[2:]) != 4789 || int(binary.BigEndian.Uint16(udp[4:])) != len(udp) {
		t.Fatalf("outer UDP: port %d, length %d of %d", binary.BigEndian.Uint16(udp[2:]), binary.BigEndian.Uint16(udp[4:]), len(udp))
	}
	if c := binary.BigEndian.Uint16(udp[6:]); c != 0 {
		if checksum.Sum(udp, checksum.PseudoHeader(ip.Source(), ip.Destination(), header.ProtocolUDP, len(udp))) != 0xffff {
			t.Fatal("outer UDP: bad checksum")
		}
	}
	if vni := uint32(udp[12])<<16 | uint32(udp[13])<<8 | uint32(udp[14]); vni != 5001 {
		t.Fatalf("VNI %d, want 5001", vni)
	}
	return udp[16:]
}

// TestSuperFrameThroughMux: a TCP super-frame to a VIP crosses the Mux as
// one packet: a host that takes super-frames gets one VXLAN super-frame
// with the same MSS around the packet as sent, and a host that takes none
// gets one VXLAN packet per segment from netsim, each with valid outer
// headers and inner checksums, the payload in order. A super-frame whose
// encapsulation would pass 64 KiB arrives as two super-frames of whole
// segments.
func TestSuperFrameThroughMux(t *testing.T) {
	vip, hostPA := netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("10.0.1.1")
	hostMAC, muxMAC := header.MAC{2, 0, 0, 0, 9, 2}, header.MAC{2, 0, 0, 0, 9, 1}
	client, server := netip.AddrPortFrom(netip.MustParseAddr("198.51.100.7"), 40000), netip.AddrPortFrom(vip, 80)
	const mss = 1448
	for _, tc := range []struct {
		name    string
		super   bool
		payload int
		frames  int // that the host gets
	}{
		{"super receiver", true, 20000, 1},
		{"plain receiver", false, 20000, (20000 + mss - 1) / mss},
		{"too big to encapsulate whole", true, 0xffff - 20 - 32, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			muxP, hostP := netsim.NewWire("provider", netsim.WireConfig{})
			newTestMux(t, muxP, vip, hostPA, hostMAC)
			h := newSuperHost(t, hostP, hostMAC, hostPA, tc.super)
			f := tcpSuperFrame(muxMAC, hostMAC, client, server, header.TCPFlags(0x10), tc.payload)
			want := bytes.Clone(f[14+20+32:])
			if !hostP.SendSuper(f, mss) {
				t.Fatal("SendSuper refused")
			}
			var data []byte
			seq := uint32(5000)
			for i := range tc.frames {
				got := h.next(t)
				inner := vxlanInner(t, got.f, hostPA)
				var segs [][]byte
				if tc.super {
					if got.mss != mss {
						t.Fatalf("frame %d: mss %d, want %d", i, got.mss, mss)
					}
					if tc.frames == 1 && !bytes.Equal(inner[14:], f[14:]) {
						t.Fatal("the inner packet differs from the one sent")
					}
					segs = segmentsOf(t, bytes.Clone(inner), mss)
				} else {
					checkTCPSegment(t, inner)
					segs = [][]byte{inner}
				}
				for _, s := range segs {
					p := parseTCPFrame(t, s)
					tcp := s[14+20:]
					if p.src != client || p.dst != server || binary.BigEndian.Uint32(tcp[4:]) != seq || len(p.payload) > mss {
						t.Fatalf("segment: %s -> %s seq %d (%d bytes), want %s -> %s seq %d", p.src, p.dst, binary.BigEndian.Uint32(tcp[4:]), len(p.payload), client, server, seq)
					}
					seq += uint32(len(p.payload))
					data = append(data, p.payload...)
				}
			}
			if !bytes.Equal(data, want) {
				t.Errorf("%d bytes arrived, want the %d sent", len(data), len(want))
			}
		})
	}
}

// TestMuxSuperFrameAllocs: the Mux encapsulates a super-frame, and cuts
// one too big to encapsulate whole, without allocating once its buffers
// have grown.
func TestMuxSuperFrameAllocs(t *testing.T) {
	vip, hostPA := netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("10.0.1.1")
	hostMAC, muxMAC := header.MAC{2, 0, 0, 0, 9, 2}, header.MAC{2, 0, 0, 0, 9, 1}
	muxP, hostP := netsim.NewWire("provider", netsim.WireConfig{})
	n := newTestMux(t, muxP, vip, hostPA, hostMAC)
	hostP.Close() // what the Mux sends is counted as unreachable, not copied
	client, server := netip.AddrPortFrom(netip.MustParseAddr("198.51.100.7"), 40000), netip.AddrPortFrom(vip, 80)
	for _, payload := range []int{20000, 0xffff - 20 - 32} {
		f := tcpSuperFrame(muxMAC, hostMAC, client, server, header.TCPFlags(0x10), payload)
		n.input(f, 1448)
		if a := testing.AllocsPerRun(100, func() { n.input(f, 1448) }); a != 0 {
			t.Errorf("%d-byte payload: %.1f allocations per super-frame", payload, a)
		}
	}
	if st := muxP.Stats(); st.Unreachable == 0 {
		t.Errorf("stats %+v: nothing sent", st)
	}
}
