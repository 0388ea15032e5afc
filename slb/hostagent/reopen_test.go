package hostagent_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// A client that reuses a source port opens a new connection on the
// 5-tuple of a tracked one. When the tracked connection's DIP is out of
// rotation (probed down, busy, removed and draining), the SYN starts a
// new connection on a usable DIP, and the rest of the new connection
// follows it; until then the old connection's other packets stay on its
// DIP, and a SYN on a usable DIP's connection (a retransmission) stays.
func TestSYNOnFlowOfDIPOutOfRotation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		out  func(t *testing.T, a *hostagent.Agent, clock *fakeClock, dialer *redirect, d netip.Addr)
	}{
		{"down", func(t *testing.T, a *hostagent.Agent, clock *fakeClock, dialer *redirect, d netip.Addr) {
			dialer.mu.Lock()
			dialer.down[netip.AddrPortFrom(d, 80).String()] = true
			dialer.mu.Unlock()
			for range 2 { // the probe's threshold
				clock.Advance(5 * time.Second)
				a.Tick(context.Background())
			}
		}},
		{"busy", func(t *testing.T, a *hostagent.Agent, _ *fakeClock, _ *redirect, d netip.Addr) {
			a.SetBusy(vni, d, true)
		}},
		{"draining", func(t *testing.T, a *hostagent.Agent, _ *fakeClock, _ *redirect, d netip.Addr) {
			lb := reopenLB()
			lb.BackendAddressPools[0].Backends = slices.DeleteFunc(lb.BackendAddressPools[0].Backends,
				func(b slb.Backend) bool { return b.DIP == d })
			if err := a.Configure(lb); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			dialer := &redirect{to: srv.Listener.Addr().String(), seen: map[string]int{}, down: map[string]bool{}}
			a, err := hostagent.New(hostagent.Config{HostPA: host2, Clock: clock, Dialer: dialer,
				Logger: slog.New(slog.DiscardHandler), FlowTableSize: 4096})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Configure(reopenLB()); err != nil {
				t.Fatal(err)
			}
			c, front := ap(client4, 40000), ap(vip4, 80)
			in := func(flags header.TCPFlags) hostagent.Result {
				t.Helper()
				r, err := a.Inbound(build(t, flow{Src: c, Dst: front, Proto: 6, Flags: flags}), vni, netip.Addr{})
				if err != nil || r.Verdict != hostagent.Deliver {
					t.Fatalf("inbound %v: %+v, %v", flags, r, err)
				}
				return r
			}
			d := in(header.TCPFlagSYN).DIP
			in(header.TCPFlagACK)
			tc.out(t, a, clock, dialer, d)

			for _, f := range []header.TCPFlags{header.TCPFlagACK, header.TCPFlagSYN | header.TCPFlagACK, header.TCPFlagFIN | header.TCPFlagACK} {
				if r := in(f); r.DIP != d || r.Reason != hostagent.ReasonFlow {
					t.Fatalf("packet %v of the old connection: %+v, want its flow to %v", f, r, d)
				}
			}
			r := in(header.TCPFlagSYN)
			if r.DIP == d || r.Reason != hostagent.ReasonNewFlow {
				t.Fatalf("SYN on the old connection's 5-tuple: %+v, want a new flow to a DIP other than %v", r, d)
			}
			nd := r.DIP
			for _, f := range []header.TCPFlags{header.TCPFlagSYN, header.TCPFlagACK} { // a retransmission, then the connection
				if r := in(f); r.DIP != nd || r.Reason != hostagent.ReasonFlow {
					t.Errorf("packet %v of the new connection: %+v, want its flow to %v", f, r, nd)
				}
			}
			// The new DIP's reply finds the new connection.
			reply := build(t, flow{Src: ap(nd, 80), Dst: c, Proto: 6, Flags: header.TCPFlagSYN | header.TCPFlagACK})
			if r, err := a.Outbound(reply, vni); err != nil || r.Reason != hostagent.ReasonFlow {
				t.Errorf("reply of %v: %+v, %v", nd, r, err)
			}
			if s := a.Stats(); s.Reopened != 1 || s.Flows != 1 {
				t.Errorf("Stats: %d reopened, %d flows, want 1 and 1", s.Reopened, s.Flows)
			}
		})
	}
}

// reopenLB load-balances TCP 80 over DIPs B and C of host2 (and A of
// host1) with a TCP probe, every 5 seconds, threshold 2.
func reopenLB() slb.LoadBalancer {
	lb := portal()
	lb.LoadBalancingRules = lb.LoadBalancingRules[:1]
	lb.InboundNatRules = nil
	lb.Probes = []slb.Probe{{Name: "http", Protocol: slb.ProbeTCP, Port: 80, IntervalInSeconds: 5, ProbeThreshold: 2}}
	return lb
}

// When the Mux says which DIP a SYN goes to and it is not the tracked
// connection's, the SYN starts a new connection to that DIP; a SYN to
// the same DIP and the other packets keep the connection.
func TestSYNToAnotherDIP(t *testing.T) {
	a := newAgent(t, host2, newFakeClock(), reopenLB())
	c, front := ap(client4, 40000), ap(vip4, 80)
	in := func(flags header.TCPFlags, dip netip.Addr) hostagent.Result {
		t.Helper()
		r, err := a.Inbound(build(t, flow{Src: c, Dst: front, Proto: 6, Flags: flags}), vni, dip)
		if err != nil || r.Verdict != hostagent.Deliver {
			t.Fatalf("inbound %v to %v: %+v, %v", flags, dip, r, err)
		}
		return r
	}
	for _, step := range []struct {
		flags      header.TCPFlags
		dip, want  netip.Addr
		wantReason hostagent.Reason
	}{
		{header.TCPFlagSYN, dipB, dipB, hostagent.ReasonNewFlow},
		{header.TCPFlagSYN, dipB, dipB, hostagent.ReasonFlow}, // retransmitted
		{header.TCPFlagACK, dipB, dipB, hostagent.ReasonFlow},
		{header.TCPFlagACK, dipC, dipB, hostagent.ReasonFlow}, // the flow's DIP, as before
		{header.TCPFlagSYN, dipC, dipC, hostagent.ReasonNewFlow},
		{header.TCPFlagACK, netip.Addr{}, dipC, hostagent.ReasonFlow},
	} {
		if r := in(step.flags, step.dip); r.DIP != step.want || r.Reason != step.wantReason {
			t.Errorf("%v to %v: %+v, want %v to %v", step.flags, step.dip, r, step.wantReason, step.want)
		}
	}
	if s := a.Stats(); s.Reopened != 1 {
		t.Errorf("Stats.Reopened = %d", s.Reopened)
	}
}

// A SYN on the 5-tuple of a connection that saw a FIN or a RST starts a
// new connection state: the rule's idle timeout instead of the closing
// one, and TCP reset on idle tracked again; inbound and for SNAT.
func TestSYNOnClosedConnection(t *testing.T) {
	for _, closer := range []header.TCPFlags{header.TCPFlagRST, header.TCPFlagFIN | header.TCPFlagACK} {
		t.Run("inbound/"+closer.String(), func(t *testing.T) {
			clk := newFakeClock()
			var got []rstSeen
			a := newResetAgent(t, clk, &got)
			c, front, dip := ap(client4, 40000), ap(vip4, 80), ap(dipB, 8080)
			in := func(pkt []byte, reason hostagent.Reason) {
				t.Helper()
				if r, err := a.Inbound(pkt, vni, dipB); err != nil || r.Reason != reason {
					t.Fatalf("inbound: %+v, %v, want %v", r, err, reason)
				}
			}
			in(segment(t, c, front, header.TCPFlagSYN, 1000, 0, 0), hostagent.ReasonNewFlow)
			in(segment(t, c, front, closer, 1001, 0, 0), hostagent.ReasonFlow)
			// The client's new connection, within the closing timeout.
			clk.Advance(5 * time.Second)
			a.Expire()
			in(segment(t, c, front, header.TCPFlagSYN, 7000, 0, 0), hostagent.ReasonNewFlow)
			if _, err := a.Outbound(segment(t, dip, c, header.TCPFlagSYN|header.TCPFlagACK, 9000, 7001, 0), vni); err != nil {
				t.Fatal(err)
			}
			clk.Advance(3 * time.Minute) // within the rule's 4 minutes
			if n := a.Expire(); n != 1 {
				t.Fatalf("%d flows after 3 idle minutes, want the new connection", n)
			}
			clk.Advance(2 * time.Minute)
			a.Expire()
			want := []rstSeen{
				{hostagent.Deliver, c, dip, header.TCPFlagRST | header.TCPFlagACK, 7001, 9001, vni, dipB, vip4, "portal/reset"},
				{hostagent.ToRouter, front, c, header.TCPFlagRST | header.TCPFlagACK, 9001, 7001, vni, dipB, vip4, "portal/reset"},
			}
			if diff := cmp.Diff(want, got, addrCmp); diff != "" {
				t.Errorf("RSTs of the new connection when idle (-want +got):\n%s", diff)
			}
			if s := a.Stats(); s.Reopened != 1 {
				t.Errorf("Stats.Reopened = %d", s.Reopened)
			}
		})
	}
	t.Run("snat", func(t *testing.T) {
		r := newSNATRig(t, 16)
		r.agent.Tick(r.ctx)
		r.settle(t, preleased)
		local, remote := ap(dipB, 50000), ap(remote1, 443)
		out := func(flags header.TCPFlags, reason hostagent.Reason) {
			t.Helper()
			pkt := segment(t, local, remote, flags, 1, 0, 0)
			if res, err := r.agent.Outbound(pkt, vni); err != nil || res.Reason != reason {
				t.Fatalf("%v: %+v, %v, want %v", flags, res, err, reason)
			}
		}
		out(header.TCPFlagSYN, hostagent.ReasonSNAT)
		out(header.TCPFlagSYN, hostagent.ReasonFlow) // retransmitted
		out(header.TCPFlagRST, hostagent.ReasonFlow)
		r.clock.Advance(5 * time.Second) // within the closing timeout
		r.agent.Expire()
		out(header.TCPFlagSYN, hostagent.ReasonSNAT)
		r.clock.Advance(time.Minute) // past the closing timeout, within the rule's 4 minutes
		if n := r.agent.Expire(); n != 1 {
			t.Errorf("%d flows a minute later, want the new connection", n)
		}
		if s := r.agent.Stats(); s.Reopened != 1 {
			t.Errorf("Stats.Reopened = %d", s.Reopened)
		}
	})
}

// A SYN that the Mux sends to another DIP than its 5-tuple's open
// connection's replaces that connection, which its old DIP would keep
// until its own timeouts: with TCP reset on, the old DIP is sent the
// client's RST, with the sequence number it expects; the client is sent
// none. Without TCP reset nothing is sent.
func TestSYNToAnotherDIPResetsOldDIP(t *testing.T) {
	for _, tc := range []struct {
		name  string
		front netip.AddrPort
		port  uint16
		rule  string
	}{
		{"reset", ap(vip4, 80), 8080, "portal/reset"},
		{"silent", ap(vip4, 81), 8081, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []rstSeen
			a := newResetAgent(t, newFakeClock(), &got)
			c := ap(client4, 40000)
			in := func(pkt []byte, dip netip.Addr, reason hostagent.Reason) {
				t.Helper()
				if r, err := a.Inbound(pkt, vni, dip); err != nil || r.DIP != dip || r.Reason != reason {
					t.Fatalf("inbound to %v: %+v, %v, want %v", dip, r, err, reason)
				}
			}
			in(segment(t, c, tc.front, header.TCPFlagSYN, 1000, 0, 0), dipB, hostagent.ReasonNewFlow)
			if _, err := a.Outbound(segment(t, ap(dipB, tc.port), c, header.TCPFlagSYN|header.TCPFlagACK, 5000, 1001, 0), vni); err != nil {
				t.Fatal(err)
			}
			in(segment(t, c, tc.front, header.TCPFlagACK, 1001, 5001, 10), dipB, hostagent.ReasonFlow)
			in(segment(t, c, tc.front, header.TCPFlagSYN, 7000, 0, 0), dipC, hostagent.ReasonNewFlow)
			var want []rstSeen
			if tc.rule != "" {
				want = []rstSeen{{hostagent.Deliver, c, ap(dipB, tc.port), header.TCPFlagRST | header.TCPFlagACK, 1011, 5001, vni, dipB, vip4, tc.rule}}
			}
			if diff := cmp.Diff(want, got, addrCmp); diff != "" {
				t.Errorf("RSTs (-want +got):\n%s", diff)
			}
			if s := a.Stats(); s.Reopened != 1 || s.TCPResets != uint64(len(want)) {
				t.Errorf("Stats.Reopened = %d, TCPResets = %d", s.Reopened, s.TCPResets)
			}
		})
	}
}
