package hostagent_test

import (
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

func TestAllocsPerPacket(t *testing.T) {
	a := newAgent(t, host2, nil, portal())
	in := build(t, flow{Src: ap(client4, 40000), Dst: ap(vip4, 81), Proto: 6, Flags: header.TCPFlagACK, Payload: make([]byte, 64)})
	out := build(t, flow{Src: ap(dipB, 8081), Dst: ap(client4, 40000), Proto: 6, Flags: header.TCPFlagACK, Payload: make([]byte, 64)})
	in6 := build(t, flow{Src: ap(client6, 40000), Dst: ap(vip6, 443), Proto: 17, Payload: make([]byte, 64)})
	fresh := build(t, flow{Src: ap(client4, 1), Dst: ap(vip4, 80), Proto: 6, Flags: header.TCPFlagSYN})
	east := build(t, flow{Src: ap(dipB, 5000), Dst: ap(dipA, 6000), Proto: 17})
	port := uint16(1)
	a.Outbound(out, vni)
	reply := build(t, flow{Src: ap(vip4, 81), Dst: ap(client4, 40000), Proto: 6, Payload: make([]byte, 64)})
	icmpPkt := icmpError(t, router4, vip4, 3, 4, 1400, reply, 1000)
	icmpBuf := make([]byte, len(icmpPkt))
	r := newSNATRig(t, 1024)
	r.agent.Tick(r.ctx)
	r.settle(t, preleased)
	snatSyn := build(t, flow{Src: ap(dipB, 40000), Dst: ap(remote1, 443), Proto: 6, Flags: header.TCPFlagSYN})
	syn := build(t, flow{Src: ap(client4, 50000), Dst: ap(vip4, 80), Proto: 6, Flags: header.TCPFlagSYN})
	internalSyn := build(t, flow{Src: ap(dipB, 40001), Dst: ap(dipA, 80), Proto: 6, Flags: header.TCPFlagSYN})
	synBuf := make([]byte, len(syn))
	for name, f := range map[string]func(){
		"reopened": func() {
			// A SYN on the tuple of a connection to another DIP: a new
			// connection each time.
			for _, dip := range [2]netip.Addr{dipB, dipC} {
				copy(synBuf, syn)
				a.Inbound(synBuf, vni, dip)
			}
		},
		"inbound":  func() { a.Inbound(in, vni, dipB); a.Inbound(in, vni, dipB) },
		"outbound": func() { a.Outbound(out, vni) },
		"ipv6":     func() { a.Inbound(in6, vni, netip.Addr{}) },
		"new flow": func() {
			// A new client port each time: a new flow and its reply entry.
			port++
			header.TCP(fresh[20:]).SetSourcePortUpdatingChecksum(port)
			fresh[16], fresh[17], fresh[18], fresh[19] = 203, 0, 113, 10
			a.Inbound(fresh, vni, netip.Addr{})
		},
		"east-west": func() { a.Outbound(east, vni) },
		// From a DIP under an outbound rule to an internal prefix.
		"internal": func() { r.agent.Outbound(internalSyn, vni) },
		"icmp error": func() {
			copy(icmpBuf, icmpPkt)
			a.Inbound(icmpBuf, vni, netip.Addr{})
		},
		"snat new flow": func() {
			port++
			header.TCP(snatSyn[20:]).SetSourcePortUpdatingChecksum(port)
			snatSyn[12], snatSyn[13], snatSyn[14], snatSyn[15] = 10, 1, 0, 6 // the DIP again
			snatSyn[18], snatSyn[19] = byte(port>>8), byte(port)             // a new remote end: no new block needed
			r.agent.Outbound(snatSyn, vni)
		},
	} {
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocations per packet", name, n)
		}
	}
	if n := a.Stats().Reopened; n != 401 { // AllocsPerRun's 201 runs: all SYNs but the first
		t.Errorf("%d SYNs reopened a connection, want 401", n)
	}
}

// A SYN that replaces an open connection of a rule with TCP reset on
// sends its old DIP a RST (see TestSYNToAnotherDIPResetsOldDIP) and
// allocates nothing either: the connection is copied on the stack, the
// RST built in a pooled buffer.
func TestAllocsReopenWithReset(t *testing.T) {
	resets := 0
	a, err := hostagent.New(hostagent.Config{HostPA: host2, FlowTableSize: 4096,
		OnTCPReset: func(hostagent.TCPReset) { resets++ }})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(resetLB()); err != nil {
		t.Fatal(err)
	}
	c := ap(client4, 40000)
	syn := segment(t, c, ap(vip4, 80), header.TCPFlagSYN, 1000, 0, 0)
	ack := segment(t, c, ap(vip4, 80), header.TCPFlagACK, 1001, 5001, 10)
	pkt := make([]byte, max(len(syn), len(ack)))
	dips := [2]netip.Addr{dipB, dipC}
	turn := 0
	open := func() {
		// A SYN of the tuple to the other DIP than its connection's
		// (which it replaces), then the client's first segment.
		dip := dips[turn%2]
		turn++
		n := copy(pkt, syn)
		a.Inbound(pkt[:n], vni, dip)
		n = copy(pkt, ack)
		a.Inbound(pkt[:n], vni, dip)
	}
	open()
	before := resets
	if n := testing.AllocsPerRun(100, open); n != 0 && !raceEnabled {
		t.Errorf("%v allocations per reopened connection", n)
	}
	if resets == before {
		t.Fatal("no RST sent: the test does not cover the reset path")
	}
}
