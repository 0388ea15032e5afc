package hostagent_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// resetLB load-balances TCP 80 to port 8080 of DIP B with TCP reset on
// idle (and the same for IPv6 443), and TCP 81 without it.
func resetLB() slb.LoadBalancer {
	lb := portal()
	lb.LoadBalancingRules = []slb.LoadBalancingRule{
		{Name: "reset", Frontend: "fe", BackendPool: "web", Probe: "http", Protocol: slb.ProtocolTCP,
			FrontendPort: 80, BackendPort: 8080, IdleTimeoutInMinutes: 4, EnableTCPReset: true},
		{Name: "silent", Frontend: "fe", BackendPool: "web", Probe: "http", Protocol: slb.ProtocolTCP,
			FrontendPort: 81, BackendPort: 8081, IdleTimeoutInMinutes: 4},
		{Name: "reset6", Frontend: "fe6", BackendPool: "web6", Probe: "http", Protocol: slb.ProtocolTCP,
			FrontendPort: 443, BackendPort: 8443, IdleTimeoutInMinutes: 4, EnableTCPReset: true},
	}
	lb.InboundNatRules = nil
	return lb
}

// segment builds a TCP segment from src to dst with seq, ack and flags
// and n bytes of payload.
func segment(t tb, src, dst netip.AddrPort, flags header.TCPFlags, seq, ack uint32, n int) []byte {
	t.Helper()
	b := build(t, flow{Src: src, Dst: dst, Proto: 6, Flags: flags, Payload: make([]byte, n)})
	hl := header.IPv6Size
	if src.Addr().Is4() {
		hl = header.IPv4MinSize
	}
	tcp := header.TCP(b[hl:])
	tcp.SetSeq(seq)
	tcp.SetAck(ack)
	tcp.SetChecksum(0)
	tcp.SetChecksum(tcp.ComputeChecksum(checksum.PseudoHeader(src.Addr(), dst.Addr(), 6, len(tcp))))
	return b
}

// rstSeen is a RST as its receiver sees it.
type rstSeen struct {
	Verdict  hostagent.Verdict
	Src, Dst netip.AddrPort
	Flags    header.TCPFlags
	Seq, Ack uint32
	VNI      uint32
	DIP, VIP netip.Addr
	Rule     string
}

func newResetAgent(t *testing.T, clock hostagent.Clock, got *[]rstSeen) *hostagent.Agent {
	a, err := hostagent.New(hostagent.Config{HostPA: host2, Clock: clock, FlowTableSize: 4096,
		OnTCPReset: func(r hostagent.TCPReset) {
			f, ok := read(t, r.Packet)
			if !ok {
				t.Errorf("RST %v -> %v: bad checksum", f.Src, f.Dst)
			}
			hl := header.IPv6Size
			if f.Src.Addr().Is4() {
				hl = header.IPv4MinSize
			}
			tcp := header.TCP(r.Packet[hl:])
			*got = append(*got, rstSeen{r.Verdict, f.Src, f.Dst, f.Flags, tcp.Seq(), tcp.Ack(), r.VNI, r.DIP, r.VIP, r.Rule})
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(resetLB()); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestTCPResetOnIdle: a connection of a rule with EnableTCPReset that
// idles out is reset both ways, with the sequence numbers each end
// expects next (retransmissions do not move them back), the RST to the
// DIP from the client to the DIP's backend port, the one to the client
// from VIP:frontend port; IPv4 and IPv6.
func TestTCPResetOnIdle(t *testing.T) {
	for _, tc := range []struct {
		name          string
		client, front netip.AddrPort
		dip           netip.AddrPort
		vip           netip.Addr
		rule          string
	}{
		{"ipv4", ap(client4, 40000), ap(vip4, 80), ap(dipB, 8080), vip4, "portal/reset"},
		{"ipv6", ap(client6, 40000), ap(vip6, 443), ap(dipB6, 8443), vip6, "portal/reset6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			var got []rstSeen
			a := newResetAgent(t, clk, &got)
			in := func(pkt []byte) {
				t.Helper()
				if r, err := a.Inbound(pkt, vni, tc.dip.Addr()); err != nil || r.Verdict != hostagent.Deliver {
					t.Fatalf("inbound: %+v, %v", r, err)
				}
			}
			out := func(pkt []byte) {
				t.Helper()
				if r, err := a.Outbound(pkt, vni); err != nil || r.Verdict != hostagent.ToRouter {
					t.Fatalf("outbound: %+v, %v", r, err)
				}
			}
			in(segment(t, tc.client, tc.front, header.TCPFlagSYN, 1000, 0, 0))
			out(segment(t, tc.dip, tc.client, header.TCPFlagSYN|header.TCPFlagACK, 5000, 1001, 0))
			in(segment(t, tc.client, tc.front, header.TCPFlagACK, 1001, 5001, 10))
			out(segment(t, tc.dip, tc.client, header.TCPFlagACK, 5001, 1011, 100))
			in(segment(t, tc.client, tc.front, header.TCPFlagACK, 1001, 5001, 10)) // a retransmission
			if n := testing.AllocsPerRun(100, func() {
				in(segment(t, tc.client, tc.front, header.TCPFlagACK, 1011, 5101, 0))
			}); n > 1 { // the one is segment's
				t.Errorf("tracked inbound packet: %v allocations", n)
			}

			clk.Advance(3 * time.Minute)
			if a.Expire(); len(got) != 0 {
				t.Fatalf("RSTs before the idle timeout: %+v", got)
			}
			clk.Advance(2 * time.Minute)
			if n := a.Expire(); n != 0 {
				t.Errorf("%d flows left after the idle timeout", n)
			}
			want := []rstSeen{
				{hostagent.Deliver, tc.client, tc.dip, header.TCPFlagRST | header.TCPFlagACK, 1011, 5101, vni, tc.dip.Addr(), tc.vip, tc.rule},
				{hostagent.ToRouter, tc.front, tc.client, header.TCPFlagRST | header.TCPFlagACK, 5101, 1011, vni, tc.dip.Addr(), tc.vip, tc.rule},
			}
			if diff := cmp.Diff(want, got, addrCmp); diff != "" {
				t.Errorf("RSTs (-want +got):\n%s", diff)
			}
			if s := a.Stats(); s.TCPResets != 2 {
				t.Errorf("Stats.TCPResets = %d", s.TCPResets)
			}
		})
	}
}

// TestTCPResetOnlyWhenDue: no RST for a rule without EnableTCPReset, for
// a connection that closed with a FIN or a RST (it times out by itself),
// or for a connection removed before it idled out; a connection whose
// DIP never answered gets only the RST to the DIP, without ACK.
func TestTCPResetOnlyWhenDue(t *testing.T) {
	clk := newFakeClock()
	var got []rstSeen
	a := newResetAgent(t, clk, &got)
	c1, c2, c3, c4 := ap(client4, 1), ap(client4, 2), ap(client4, 3), ap(client4, 4)
	for _, p := range [][]byte{
		segment(t, c1, ap(vip4, 81), header.TCPFlagSYN, 1, 0, 0), // silent rule
		segment(t, c2, ap(vip4, 80), header.TCPFlagSYN, 1, 0, 0),
		segment(t, c2, ap(vip4, 80), header.TCPFlagFIN|header.TCPFlagACK, 2, 1, 0),
		segment(t, c3, ap(vip4, 80), header.TCPFlagSYN, 1, 0, 0),
		segment(t, c3, ap(vip4, 80), header.TCPFlagRST, 2, 0, 0),
		segment(t, c4, ap(vip4, 80), header.TCPFlagSYN, 77, 0, 0), // the DIP never answers
	} {
		if r, err := a.Inbound(p, vni, dipB); err != nil || r.Verdict != hostagent.Deliver {
			t.Fatalf("inbound: %+v, %v", r, err)
		}
	}
	clk.Advance(5 * time.Minute)
	if n := a.Expire(); n != 0 {
		t.Errorf("%d flows left", n)
	}
	want := []rstSeen{{hostagent.Deliver, c4, ap(dipB, 8080), header.TCPFlagRST, 78, 0, vni, dipB, vip4, "portal/reset"}}
	if diff := cmp.Diff(want, got, addrCmp); diff != "" {
		t.Errorf("RSTs (-want +got):\n%s", diff)
	}
	// A configuration that drops the DIP drains its flows, which are
	// removed at the end of the drain time, not idle: no RST.
	got = nil
	a.Inbound(segment(t, c1, ap(vip4, 80), header.TCPFlagSYN, 1, 0, 0), vni, dipB)
	lb := resetLB()
	lb.BackendAddressPools[0].Backends = slices.DeleteFunc(lb.BackendAddressPools[0].Backends,
		func(b slb.Backend) bool { return b.DIP == dipB })
	if err := a.Configure(lb); err != nil {
		t.Fatal(err)
	}
	clk.Advance(3 * time.Minute)
	a.Expire() // the agent reads the clock once per tick
	a.Inbound(segment(t, c1, ap(vip4, 80), header.TCPFlagACK, 2, 0, 0), vni, dipB)
	clk.Advance(hostagent.DefaultDrainTimeout - 3*time.Minute + time.Second)
	if n := a.Expire(); n != 0 {
		t.Errorf("%d flows left after the drain", n)
	}
	if len(got) != 0 {
		t.Errorf("RSTs for a drained DIP's flow: %+v", got)
	}
}

// TestTCPResetSNAT: an SNAT connection of an outbound rule with
// EnableTCPReset is reset both ways when it idles out: the DIP hears it
// from the remote end, the remote end from the SNAT (VIP, port).
func TestTCPResetSNAT(t *testing.T) {
	var got []rstSeen
	lb := withOutbound(16)
	lb.OutboundRules[0].EnableTCPReset = true
	r := newSNATRigWith(t, lb, 4096, func(c *hostagent.Config) {
		c.OnTCPReset = func(rs hostagent.TCPReset) {
			f, _ := read(t, rs.Packet)
			tcp := header.TCP(rs.Packet[header.IPv4MinSize:])
			got = append(got, rstSeen{rs.Verdict, f.Src, f.Dst, f.Flags, tcp.Seq(), tcp.Ack(), rs.VNI, rs.DIP, rs.VIP, rs.Rule})
		}
	})
	// The Tick asks for a block for each of the preleased DIP and
	// protocol pairs at once; their grants land in any order, so wait
	// for all of them, DIP B's TCP block among them, not for the first.
	r.agent.Tick(r.ctx)
	r.settle(t, preleased)
	local, remote := ap(dipB, 50000), ap(remote1, 443)
	syn := segment(t, local, remote, header.TCPFlagSYN, 300, 0, 0)
	if res, err := r.agent.Outbound(syn, vni); err != nil || res.Reason != hostagent.ReasonSNAT {
		t.Fatalf("SYN: %+v, %v", res, err)
	}
	mapped, _ := read(t, syn)
	synack := segment(t, remote, mapped.Src, header.TCPFlagSYN|header.TCPFlagACK, 9000, 301, 0)
	if res, err := r.agent.Inbound(synack, vni, netip.Addr{}); err != nil || res.Verdict != hostagent.Deliver {
		t.Fatalf("SYN-ACK: %+v, %v", res, err)
	}
	r.clock.Advance(5 * time.Minute)
	r.agent.Expire()
	want := []rstSeen{
		{hostagent.Deliver, remote, local, header.TCPFlagRST | header.TCPFlagACK, 9001, 301, vni, dipB, vip4, "portal/out"},
		{hostagent.ToRouter, mapped.Src, remote, header.TCPFlagRST | header.TCPFlagACK, 301, 9001, vni, dipB, vip4, "portal/out"},
	}
	if diff := cmp.Diff(want, got, addrCmp); diff != "" {
		t.Errorf("RSTs (-want +got):\n%s", diff)
	}
}
