package vswitch

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// TestSendTCPReset: the host agent's RST for a local DIP reaches its vNIC
// through the ACL, the one for the remote end goes to the router as the
// DIP's replies do, and one for a DIP without a vNIC here, or that is no
// IPv4 packet, is dropped with a reason.
func TestSendTCPReset(t *testing.T) {
	const rst = 0x04
	client := netip.MustParseAddrPort("198.51.100.7:40000")
	toDIP := tcpFrame(header.MAC{}, header.MAC{}, client, netip.AddrPortFrom(rigCA, 8080), rst, 0)[header.EthernetMinSize:]
	toClient := tcpFrame(header.MAC{}, header.MAC{}, netip.AddrPortFrom(vip, 80), client, rst, 0)[header.EthernetMinSize:]
	for _, tc := range []struct {
		name  string
		reset hostagent.TCPReset
		want  []string
	}{
		{"to the DIP", hostagent.TCPReset{Verdict: hostagent.Deliver, VNI: vni, DIP: rigCA, Packet: toDIP}, []string{
			"acl allow TCP 198.51.100.7:40000 > 10.1.0.4:8080 [R] input:web vm4 in",
			"port deliver TCP 198.51.100.7:40000 > 10.1.0.4:8080 [R] vm4 in",
		}},
		{"to the client", hostagent.TCPReset{Verdict: hostagent.ToRouter, VNI: vni, DIP: rigCA, Packet: toClient}, []string{
			"port deliver TCP 203.0.113.10:80 > 198.51.100.7:40000 [R] to router uplink out",
		}},
		{"no vNIC", hostagent.TCPReset{Verdict: hostagent.Deliver, VNI: vni + 1, DIP: rigCA, Packet: toDIP}, []string{
			"slb drop TCP 198.51.100.7:40000 > 10.1.0.4:8080 [R] tcp reset: no vNIC of the DIP host agent in",
		}},
		{"not IPv4", hostagent.TCPReset{Verdict: hostagent.Deliver, VNI: vni, DIP: rigCA, Packet: []byte{0x60, 0}}, []string{
			"slb drop malformed host agent out",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, false, Endpoint{Name: "web", Kind: Input, Protocol: protoTCP, Port: 8080})
			var got []string
			r.s.cfg.Trace = func(e Event) {
				te := e.TraceEvent()
				got = append(got, strings.Join(strings.Fields(te.Layer+" "+te.Action+" "+te.Packet+" "+te.Rule+" "+te.Note), " "))
			}
			r.s.SendTCPReset(tc.reset)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("trace events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSendTCPResetAllocs: SendTCPReset allocates nothing (the host agent
// calls it from its packet path when a SYN replaces a connection).
func TestSendTCPResetAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled buffers at random")
	}
	client := netip.MustParseAddrPort("198.51.100.7:40000")
	toDIP := tcpFrame(header.MAC{}, header.MAC{}, client, netip.AddrPortFrom(rigCA, 8080), 0x04, 0)[header.EthernetMinSize:]
	toClient := tcpFrame(header.MAC{}, header.MAC{}, netip.AddrPortFrom(vip, 80), client, 0x04, 0)[header.EthernetMinSize:]
	r := newRig(t, false, Endpoint{Name: "web", Kind: Input, Protocol: protoTCP, Port: 8080})
	for _, rst := range []hostagent.TCPReset{
		{Verdict: hostagent.Deliver, VNI: vni, DIP: rigCA, Packet: toDIP},
		{Verdict: hostagent.ToRouter, VNI: vni, DIP: rigCA, Packet: toClient},
	} {
		if n := testing.AllocsPerRun(100, func() { r.s.SendTCPReset(rst) }); n != 0 {
			t.Errorf("%v: %v allocations", rst.Verdict, n)
		}
	}
}
