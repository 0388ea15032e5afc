package vswitch

import (
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

func arpFrame(sender header.MAC, senderIP, target netip.Addr) []byte {
	f := make([]byte, 14+header.ARPSize)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:], sender[:])
	header.Ethernet(f).SetEtherType(header.EtherTypeARP)
	header.InitARPRequest(f[14:], sender, senderIP, target)
	return f
}

// FuzzUplink feeds arbitrary frames to the uplink, plain and as VXLAN
// super-frames (the path of a TSO flow from the Mux): the switch never panics,
// and keeps forwarding afterwards.
func FuzzUplink(f *testing.F) {
	r := newRig(f, false, Endpoint{Name: "web", Kind: Internal, Protocol: protoTCP, Port: 80})
	f.Add(encap(f, tcpFrame(gw, peerMAC, netip.MustParseAddrPort("10.1.0.5:1000"), netip.MustParseAddrPort("10.1.0.4:80"), syn, 10)))
	f.Add(encap(f, tcpFrame(gw, peerMAC, netip.MustParseAddrPort("198.51.100.7:1000"), netip.MustParseAddrPort("203.0.113.10:80"), syn, 0)))
	f.Add(arpFrame(header.MAC(hwaddr(0xaa, 2)), remotePA, rigPA))
	f.Add(tcpFrame(header.MAC(hwaddr(0xaa, 1)), header.MAC(hwaddr(0xaa, 2)), netip.MustParseAddrPort("10.0.0.12:1"), netip.MustParseAddrPort("10.0.0.11:2"), syn, 0))
	f.Add([]byte{})
	f.Add(make([]byte, 14))
	f.Fuzz(func(t *testing.T, frame []byte) {
		r.s.fromUplink(frame)
		r.s.fromUplinkSuper(frame, 1448) // the same bytes as a VXLAN super-frame
	})
}

// FuzzGuest feeds arbitrary frames from a guest (a TSO one, so the offload
// path is fuzzed too) and from the host's own stack.
func FuzzGuest(f *testing.F) {
	r := newRig(f, false)
	nic, _ := netsimWire()
	v, err := r.s.AddVNIC(VNICConfig{Name: "tso", Port: nic, MAC: hwaddr(0xbb, 9), Addr: netip.MustParseAddr("10.1.0.9"), VNI: vni, TSO: true, MTU: 1400})
	if err != nil {
		f.Fatal(err)
	}
	stack, _ := netsimWire()
	h, err := r.s.AddHostPort(HostPortConfig{Port: stack, MAC: hwaddr(0xcc, 1), Addr: netip.MustParseAddr("168.63.129.16")})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(arpFrame(header.MAC(hwaddr(0xcc, 1)), netip.MustParseAddr("168.63.129.16"), rigCA))
	f.Add(tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.9:1000"), netip.MustParseAddrPort("10.1.0.5:80"), ack, 5000))
	f.Add(tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.9:1000"), netip.MustParseAddrPort("10.1.0.5:80"), syn, 0))
	f.Add(arpFrame(rigMAC, netip.MustParseAddr("10.1.0.9"), gatewayCA))
	badOffset := tcpFrame(gw, rigMAC, netip.MustParseAddrPort("10.1.0.9:1000"), netip.MustParseAddrPort("10.1.0.5:80"), ack, 3000)
	badOffset[14+20+12] = 1 << 4 // TCP data offset below 5
	f.Add(badOffset)
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, frame []byte) {
		v.fromGuest(frame)
		r.v.fromGuest(frame)
		h.fromHost(frame)
	})
}
