package hostagent_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
	"github.com/sdnfabric/sdnfabric/slb/snat"
)

var (
	remote1 = netip.MustParseAddr("8.8.8.8")
	remote2 = netip.MustParseAddr("9.9.9.9")
	remote6 = netip.MustParseAddr("2001:4860::8888")
)

// withOutbound adds an outbound rule for both pools, with ports SNAT ports
// per DIP, on the IPv4 and IPv6 frontends.
func withOutbound(ports int) slb.LoadBalancer {
	lb := portal()
	lb.OutboundRules = []slb.OutboundRule{
		{Name: "out", Frontends: []string{"fe"}, BackendPool: "web", Protocol: slb.ProtocolAll, AllocatedOutboundPorts: ports},
		{Name: "out6", Frontends: []string{"fe6"}, BackendPool: "web6", Protocol: slb.ProtocolTCP, AllocatedOutboundPorts: ports},
	}
	return lb
}

type snatRig struct {
	clock *fakeClock
	mgr   *snat.Manager
	agent *hostagent.Agent
	ctx   context.Context
}

func newSNATRig(t tb, ports int) *snatRig { return newSNATRigSize(t, ports, 4096) }

func newSNATRigSize(t tb, ports, tableSize int) *snatRig {
	return newSNATRigWith(t, withOutbound(ports), tableSize, nil)
}

// newSNATRigWith makes a rig for lb whose agent's Config is changed by
// cfg, if not nil.
func newSNATRigWith(t tb, lb slb.LoadBalancer, tableSize int, cfg func(*hostagent.Config)) *snatRig {
	r := &snatRig{clock: newFakeClock(), ctx: context.Background()}
	quiet := slog.New(slog.DiscardHandler)
	r.mgr = snat.New(snat.Config{Clock: r.clock, Logger: quiet})
	if err := r.mgr.Configure(lb); err != nil {
		t.Fatal(err)
	}
	c := hostagent.Config{HostPA: host2, Clock: r.clock, FlowTableSize: tableSize, Leaser: r.mgr,
		Logger: quiet, Dialer: refuse{}, Internal: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	if cfg != nil {
		cfg(&c)
	}
	a, err := hostagent.New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Configure(lb); err != nil {
		t.Fatal(err)
	}
	r.agent = a
	return r
}

// preleased is the number of blocks a Tick leases ahead of need: one per
// local DIP and protocol under an outbound rule (B and C for TCP and UDP,
// B6 for TCP).
const preleased = 5

// refuse is a Dialer whose connections all fail at once.
type refuse struct{}

func (refuse) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return nil, errors.New("connection refused")
}

// settle waits for the agent's background lease calls to land, until it
// holds at least blocks blocks.
func (r *snatRig) settle(t tb, blocks int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.agent.Stats().SNATBlocks < blocks {
		if time.Now().After(deadline) {
			t.Fatal("SNAT blocks never arrived: ", r.agent.Stats().SNATBlocks, " want ", blocks)
		}
		time.Sleep(time.Millisecond)
	}
}

// connect sends a DIP's packet out and, when SNATed, the remote end's
// reply back in, and checks both translations.
func (r *snatRig) connect(t tb, out flow) (hostagent.Result, netip.AddrPort) {
	t.Helper()
	pkt := build(t, out)
	res, err := r.agent.Outbound(pkt, vni)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != hostagent.ToRouter {
		return res, netip.AddrPort{}
	}
	got, ok := read(t, pkt)
	if !ok || got.Dst != out.Dst || got.Src.Addr() != res.VIP {
		t.Fatalf("SNAT %v -> %v: sent as %v -> %v (%+v), checksums ok %v", out.Src, out.Dst, got.Src, got.Dst, res, ok)
	}
	back := build(t, reply(got))
	in, err := r.agent.Inbound(back, vni, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	seen, ok := read(t, back)
	if in.Verdict != hostagent.Deliver || !ok || seen.Dst != out.Src || seen.Src != out.Dst {
		t.Fatalf("SNAT reply %v -> %v delivered as %v -> %v (%+v), checksums ok %v", got.Dst, got.Src, seen.Src, seen.Dst, in, ok)
	}
	return res, got.Src
}

func TestSNAT(t *testing.T) {
	r := newSNATRig(t, 16)
	out := flow{Src: ap(dipB, 50000), Dst: ap(remote1, 443), Proto: 6, Flags: header.TCPFlagSYN}
	res, _ := r.connect(t, out)
	if res.Verdict != hostagent.Drop || res.Reason != hostagent.ReasonSNATPending {
		t.Fatalf("first SYN before any block: %+v, want Drop/SNATPending", res)
	}
	r.settle(t, 1)
	res, mapped := r.connect(t, out) // the retransmitted SYN
	if res.Reason != hostagent.ReasonSNAT || res.Rule != "portal/out" || mapped.Addr() != vip4 || mapped.Port() < slb.SNATFirstPort {
		t.Fatalf("SYN retransmitted: %+v from %v", res, mapped)
	}
	if res2, again := r.connect(t, out); res2.Reason != hostagent.ReasonFlow || again != mapped {
		t.Errorf("second packet: %+v from %v, want the flow from %v", res2, again, mapped)
	}
	// Lease is held by the right host in the manager, and the Mux hears of it.
	for l := range r.mgr.Leases() {
		if l.DIP != dipB || l.Host != host2 || !l.Contains(mapped.Port()) {
			t.Errorf("lease %+v", l)
		}
	}
	// Internal destinations and DIPs without an outbound rule pass.
	for _, f := range []flow{
		{Src: ap(dipB, 50001), Dst: ap(dipA, 80), Proto: 6},
		{Src: ap(netip.MustParseAddr("10.1.0.99"), 50001), Dst: ap(remote1, 80), Proto: 6},
	} {
		if res, _ := r.connect(t, f); res.Verdict != hostagent.Pass {
			t.Errorf("%v -> %v: %+v, want Pass", f.Src, f.Dst, res)
		}
	}
	// Return traffic for a port with no flow is dropped.
	stray := build(t, flow{Src: ap(remote2, 443), Dst: ap(vip4, 60000), Proto: 6})
	if res, _ := r.agent.Inbound(stray, vni, netip.Addr{}); res.Verdict != hostagent.Drop || res.Reason != hostagent.ReasonNoFlow {
		t.Errorf("stray return traffic: %+v, want Drop/NoFlow", res)
	}
	// IPv6.
	out6 := flow{Src: ap(dipB6, 50000), Dst: ap(remote6, 443), Proto: 6, Flags: header.TCPFlagSYN}
	r.connect(t, out6)
	r.settle(t, 2)
	if res, mapped := r.connect(t, out6); res.Reason != hostagent.ReasonSNAT || mapped.Addr() != vip6 {
		t.Errorf("IPv6: %+v from %v", res, mapped)
	}
}

// Ports are reused across destinations: one block of 8 ports carries more
// than 8 connections when they go to different remote ends, and the 9th
// connection to one remote end finds the quota exhausted.
func TestSNATPortReuseAndExhaustion(t *testing.T) {
	r := newSNATRig(t, 8)
	r.agent.Tick(r.ctx) // leases the first blocks ahead of need
	r.settle(t, preleased)
	ports := map[uint16]int{}
	for i := range 8 {
		for _, dst := range []netip.Addr{remote1, remote2} {
			res, mapped := r.connect(t, flow{Src: ap(dipB, uint16(40000+i)), Dst: ap(dst, 443), Proto: 6, Flags: header.TCPFlagSYN})
			if res.Reason != hostagent.ReasonSNAT {
				t.Fatalf("connection %d to %v: %+v", i, dst, res)
			}
			ports[mapped.Port()]++
		}
	}
	if len(ports) != 8 {
		t.Errorf("16 connections used %d ports, want the block's 8, each twice: %v", len(ports), ports)
	}
	res, _ := r.connect(t, flow{Src: ap(dipB, 40100), Dst: ap(remote1, 443), Proto: 6, Flags: header.TCPFlagSYN})
	// Pending, or already refused: the agent asked for a second block
	// ahead of need when half the ports towards remote1 were busy.
	if res.Verdict != hostagent.Drop || res.Reason != hostagent.ReasonSNATPending && res.Reason != hostagent.ReasonSNATExhausted {
		t.Fatalf("9th connection to one remote end: %+v", res)
	}
	r.agent.Tick(r.ctx)
	deadline := time.Now().Add(5 * time.Second)
	for r.agent.Stats().SNATExhausted == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	res, _ = r.connect(t, flow{Src: ap(dipB, 40101), Dst: ap(remote1, 443), Proto: 6, Flags: header.TCPFlagSYN})
	if res.Reason != hostagent.ReasonSNATExhausted {
		t.Errorf("after the manager refused: %+v, want SNATExhausted", res)
	}
	if s := r.mgr.Stats(); s.Quota != 1 {
		t.Errorf("manager stats %+v", s)
	}
}

// Idle blocks go back to the manager, except the last one.
func TestSNATIdleLeaseReturned(t *testing.T) {
	r := newSNATRig(t, 64)
	r.agent.Tick(r.ctx)
	r.settle(t, preleased)
	for i := range 9 { // 9 connections to one remote end need a second block
		out := flow{Src: ap(dipB, uint16(40000+i)), Dst: ap(remote1, 53), Proto: 17}
		if res, _ := r.connect(t, out); res.Verdict != hostagent.ToRouter {
			r.settle(t, preleased+1)
			if res, _ := r.connect(t, out); res.Verdict != hostagent.ToRouter {
				t.Fatalf("connection %d: %+v", i, res)
			}
		}
	}
	if s := r.mgr.Stats(); s.Leased < preleased+1 {
		t.Fatalf("manager leased %d blocks, want at least %d", s.Leased, preleased+1)
	}
	r.clock.Advance(5 * time.Minute) // the UDP flows idle out (4 minutes)
	r.agent.Tick(r.ctx)
	if n := r.agent.Stats().Flows; n != 0 {
		t.Fatalf("%d flows left", n)
	}
	r.clock.Advance(3 * time.Minute) // the blocks have been idle for LeaseIdle
	r.agent.Tick(r.ctx)
	r.settle(t, preleased)
	deadline := time.Now().Add(5 * time.Second)
	for r.mgr.Stats().Leased != preleased && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// DIP B's extra blocks (one needed, maybe one more asked ahead of
	// need) are back.
	if s := r.mgr.Stats(); s.Leased != preleased || s.Released != s.Granted-preleased || s.Released == 0 {
		t.Errorf("manager stats %+v, want DIP B's extra blocks back", s)
	}
}

// SNAT mappings are one-to-one per 5-tuple: whatever the connections, no
// two map to the same translated 5-tuple, a connection keeps its mapping,
// and replies are delivered back to the connection they belong to.
func TestPropertySNATOneToOne(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := newSNATRig(t, 64)
		r.agent.Tick(r.ctx)
		r.settle(t, preleased)
		type tuple struct {
			src, dst netip.AddrPort
			proto    uint8
		}
		mapped := map[tuple]tuple{}
		owner := map[tuple]tuple{}
		for range rapid.IntRange(1, 40).Draw(t, "connections") {
			out := flow{
				Src:   ap(rapid.SampledFrom([]netip.Addr{dipB, dipC}).Draw(t, "dip"), rapid.Uint16Range(30000, 30015).Draw(t, "sport")),
				Dst:   ap(rapid.SampledFrom([]netip.Addr{remote1, remote2}).Draw(t, "remote"), rapid.SampledFrom([]uint16{53, 443}).Draw(t, "dport")),
				Proto: rapid.SampledFrom([]uint8{6, 17}).Draw(t, "proto"),
			}
			res, src := r.connect(t, out)
			// Out of ports towards that remote end: retry (as TCP
			// would) until the block asked for arrives.
			for deadline := time.Now().Add(5 * time.Second); res.Verdict == hostagent.Drop && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
				res, src = r.connect(t, out)
			}
			if res.Verdict != hostagent.ToRouter {
				t.Fatalf("%+v", res)
			}
			k := tuple{out.Src, out.Dst, out.Proto}
			v := tuple{src, out.Dst, out.Proto}
			if old, ok := mapped[k]; ok && old != v {
				t.Fatalf("%v remapped from %v to %v", k, old, v)
			}
			if o, ok := owner[v]; ok && o != k {
				t.Fatalf("%v and %v both map to %v", o, k, v)
			}
			mapped[k], owner[v] = v, k
		}
	})
}

// A block the manager no longer grants (here: expired there) is dropped
// at the next renewal, and the DIP gets a new one.
func TestSNATRevokedBlockDropped(t *testing.T) {
	r := newSNATRig(t, 64)
	r.agent.Tick(r.ctx)
	r.settle(t, preleased)
	r.clock.Advance(9 * time.Minute) // past half the 10-minute lease term
	if n := r.mgr.Expire(); n != 0 {
		t.Fatalf("%d leases expired early", n)
	}
	r.clock.Advance(2 * time.Minute)
	r.mgr.Expire() // all gone at the manager
	r.agent.Tick(r.ctx)
	deadline := time.Now().Add(5 * time.Second)
	for r.agent.Stats().SNATBlocks != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := r.agent.Stats().SNATBlocks; n != 0 {
		t.Fatalf("agent still holds %d revoked blocks", n)
	}
	r.agent.Tick(r.ctx) // asks again
	r.settle(t, preleased)
}
