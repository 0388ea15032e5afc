package mux

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
	"github.com/sdnfabric/sdnfabric/slb/maglev"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

// The Mux's encapsulation equals vxlan.Outer.Encapsulate of the inner
// Ethernet frame, for IPv4 and IPv6 provider networks and VIPs.
func TestEncapsulationMatchesVXLAN(t *testing.T) {
	srcMAC, dstMAC := header.MAC{2, 0, 0, 0, 0, 1}, header.MAC{2, 0, 0, 0, 0, 2}
	for _, tc := range []struct {
		name      string
		local     netip.Addr
		hostPA    netip.Addr
		vip, from netip.Addr
		zero6     bool
	}{
		{"v4 in v4", muxPA, host(1), vip4, client, false},
		{"v6 in v4", muxPA, host(1), vip6, cli6, false},
		{"v4 in v6", muxPA6, host6(1), vip4, client, false},
		{"v6 in v6", muxPA6, host6(1), vip6, cli6, false},
		{"v6 in v6 zero checksum", muxPA6, host6(1), vip6, cli6, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const port = 50000
			m := newMux(t, Config{LocalPA: tc.local, InnerSrcMAC: srcMAC, InnerDstMAC: dstMAC,
				SourcePorts: vxlan.PortRange{Min: port, Max: port}, ZeroUDP6Checksum: tc.zero6})
			lb := webLB([]slb.Backend{{DIP: dip(1), HostPA: tc.hostPA}})
			lb.FrontendIPConfigurations[0].VIP = tc.vip
			if tc.vip.Is6() {
				lb.BackendAddressPools[0].Backends[0].DIP = netip.MustParseAddr("2001:db8:d::1")
				lb.InboundNatRules[0].DIP = lb.BackendAddressPools[0].Backends[0].DIP
			}
			configure(t, m, lb)
			pkt := tcpPk(tc.from, tc.vip, 40000, 80).bytes()
			out, r, err := m.Process(nil, pkt)
			if err != nil || r.Verdict != VerdictForward {
				t.Fatalf("Process: %v %v", r.Verdict, err)
			}
			typ := header.EtherTypeIPv4
			if tc.vip.Is6() {
				typ = header.EtherTypeIPv6
			}
			frame := make([]byte, 14, 14+len(pkt))
			header.InitEthernet(frame, dstMAC, srcMAC, typ)
			frame = append(frame, pkt...)
			o := vxlan.Outer{Src: tc.local, Dst: tc.hostPA, SrcPorts: vxlan.PortRange{Min: port, Max: port},
				DontFragment: true, ZeroUDP6Checksum: tc.zero6}
			want, err := o.Encapsulate(nil, vxlan.Header{VNI: 5001}, frame)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, out); diff != "" {
				t.Errorf("encapsulation differs from vxlan.Outer.Encapsulate (-want +got):\n%s", diff)
			}
			d := vxlan.Decap{VerifyChecksum: true, ZeroUDP6Checksum: tc.zero6}
			got, err := d.Decapsulate(out)
			if err != nil {
				t.Fatal(err)
			}
			if got.Header.VNI != 5001 || r.VNI != 5001 || r.NextHop != tc.hostPA {
				t.Errorf("VNI %d/%d, next hop %v", got.Header.VNI, r.VNI, r.NextHop)
			}
		})
	}
}

func TestIPIP(t *testing.T) {
	for _, tc := range []struct {
		local, hostPA netip.Addr
		vip, from     netip.Addr
		outer, proto  int
	}{
		{muxPA, host(1), vip4, client, 20, 4},
		{muxPA, host(1), vip6, cli6, 20, 41},
		{muxPA6, host6(1), vip4, client, 40, 4},
		{muxPA6, host6(1), vip6, cli6, 40, 41},
	} {
		m := newMux(t, Config{LocalPA: tc.local, Encap: EncapIPIP})
		lb := webLB([]slb.Backend{{DIP: dip(1), HostPA: tc.hostPA}})
		lb.FrontendIPConfigurations[0].VIP = tc.vip
		if tc.vip.Is6() {
			lb.BackendAddressPools[0].Backends[0].DIP = netip.MustParseAddr("2001:db8:d::1")
			lb.InboundNatRules[0].DIP = lb.BackendAddressPools[0].Backends[0].DIP
		}
		configure(t, m, lb)
		pkt := tcpPk(tc.from, tc.vip, 40000, 80).bytes()
		out := must(t, m, pkt)
		if len(out) != tc.outer+len(pkt) || !cmp.Equal(out[tc.outer:], pkt) {
			t.Fatalf("%v over %v: inner packet not carried as is", tc.vip, tc.local)
		}
		if tc.outer == 20 {
			ip := header.IPv4(out)
			if !ip.ValidChecksum() || int(ip.Protocol()) != tc.proto || ip.Destination() != tc.hostPA || int(ip.TotalLength()) != len(out) || !ip.DontFragment() {
				t.Errorf("bad outer IPv4 header % x", out[:20])
			}
		} else {
			ip := header.IPv6(out)
			if int(ip.NextHeader()) != tc.proto || ip.Destination() != tc.hostPA || int(ip.PayloadLength()) != len(pkt) {
				t.Errorf("bad outer IPv6 header % x", out[:40])
			}
		}
	}
}

func must(t tb, m *Mux, pkt []byte) []byte {
	t.Helper()
	out, r, err := m.Process(nil, pkt)
	if err != nil || r.Verdict != VerdictForward {
		t.Fatalf("Process: %v %v", r.Verdict, err)
	}
	return out
}

func TestRules(t *testing.T) {
	m := newMux(t, Config{})
	pool := backends(4)
	lb := webLB(pool)
	lb.FrontendIPConfigurations = append(lb.FrontendIPConfigurations, slb.Frontend{Name: "ha", VIP: netip.MustParseAddr("203.0.113.11")})
	lb.LoadBalancingRules = append(lb.LoadBalancingRules, slb.LoadBalancingRule{Name: "all", Frontend: "ha", BackendPool: "web",
		Probe: "p", Protocol: slb.ProtocolAll, LoadDistribution: slb.DistributionSourceIP, EnableFloatingIP: true})
	configure(t, m, lb)

	r := send(t, m, tcpPk(client, vip4, 1234, 2201).bytes())
	if r.Verdict != VerdictForward || r.Match != MatchInboundNAT || r.DIP != pool[0].DIP || r.BackendPort != 22 || r.Rule != "lb/ssh" || r.Flow != FlowStateless {
		t.Errorf("single NAT rule: %+v", r)
	}
	for i := range pool {
		r = send(t, m, tcpPk(client, vip4, 1234, uint16(3000+i)).bytes())
		if r.Match != MatchInboundNAT || r.DIP != pool[i].DIP || r.BackendPort != 3389 || r.Rule != "lb/rdp" {
			t.Errorf("pool NAT rule port %d: %+v", 3000+i, r)
		}
	}
	if r = send(t, m, tcpPk(client, vip4, 1234, uint16(3000+len(pool))).bytes()); r.Verdict != VerdictNoRule {
		t.Errorf("NAT port past the pool: %v", r.Verdict)
	}
	r = send(t, m, tcpPk(client, vip4, 1234, 80).bytes())
	if r.Match != MatchLoadBalancing || r.BackendPort != 8080 || r.Rule != "lb/http" || r.Flow != FlowNew || r.VIP != vip4 || r.FrontendPort != 80 {
		t.Errorf("LB rule: %+v", r)
	}
	// HA ports: any TCP or UDP port, not translated; SourceIP distribution
	// sends every flow of a client to one DIP.
	ha := netip.MustParseAddr("203.0.113.11")
	var first netip.Addr
	for port := uint16(1); port < 2000; port += 97 {
		for _, proto := range []uint8{protoTCP, protoUDP} {
			k := tcpPk(client, ha, 5000+port, port)
			k.proto = proto
			r = send(t, m, k.bytes())
			if r.Verdict != VerdictForward || r.BackendPort != port || r.Rule != "lb/all" {
				t.Fatalf("HA ports %d/%d: %+v", proto, port, r)
			}
			if !first.IsValid() {
				first = r.DIP
			} else if r.DIP != first {
				t.Errorf("SourceIP distribution moved a client from %v to %v", first, r.DIP)
			}
		}
	}
	if r = send(t, m, tcpPk(client, vip4, 1234, 443).bytes()); r.Verdict != VerdictNoRule {
		t.Errorf("VIP without rule: %v", r.Verdict)
	}
	if r = send(t, m, tcpPk(client, netip.MustParseAddr("192.0.2.1"), 1234, 80).bytes()); r.Verdict != VerdictNotMine {
		t.Errorf("not a VIP: %v", r.Verdict)
	}
	icmp := ipPacket(client, vip4, protoICMP, []byte{8, 0, 0, 0, 0, 1, 0, 1})
	if r = send(t, m, icmp); r.Verdict != VerdictNoRule {
		t.Errorf("echo request: %v", r.Verdict)
	}
	st := m.Stats()
	if st.Verdicts[VerdictNoRule] != 3 || st.Verdicts[VerdictNotMine] != 1 || st.FlowNew == 0 {
		t.Errorf("stats %+v", st)
	}
}

// Ananta's split: a flow is untrusted (short timeout) until its second
// packet, then trusted with the rule's idle timeout.
func TestTrustedAndUntrusted(t *testing.T) {
	clk := newClock()
	m := newMux(t, Config{Clock: clk, UntrustedTimeout: 5 * time.Second})
	configure(t, m, webLB(backends(8)))
	syn := tcpPk(client, vip4, 1000, 80)
	if r := send(t, m, syn.bytes()); r.Flow != FlowNew {
		t.Fatalf("first packet: %v", r.Flow)
	}
	clk.Advance(6 * time.Second)
	if r := send(t, m, syn.bytes()); r.Flow != FlowNew {
		t.Fatalf("untrusted flow did not expire: %v", r.Flow)
	}
	if r := send(t, m, syn.bytes()); r.Flow != FlowEstablished {
		t.Fatalf("second packet: %v", r.Flow)
	}
	if u, tr := m.Flows(); u != 0 || tr != 1 {
		t.Fatalf("untrusted %d trusted %d", u, tr)
	}
	clk.Advance(3 * time.Minute) // the rule's idle timeout is 4 minutes
	if r := send(t, m, syn.bytes()); r.Flow != FlowEstablished {
		t.Fatalf("trusted flow expired early: %v", r.Flow)
	}
	clk.Advance(5 * time.Minute)
	if r := send(t, m, syn.bytes()); r.Flow != FlowNew {
		t.Fatalf("trusted flow did not expire: %v", r.Flow)
	}
	if st := m.Stats(); st.Promoted != 1 || st.FlowNew != 3 {
		t.Errorf("stats %+v", st)
	}
}

// A SYN flood fills the table with untrusted flows but cannot evict
// trusted ones; new flows then fall back to Maglev hashing, which gives
// them the DIP the table would have.
func TestSYNFloodKeepsEstablishedFlows(t *testing.T) {
	clk := newClock()
	m := newMux(t, Config{Clock: clk, FlowTableSize: 64, Shards: 1})
	configure(t, m, webLB(backends(8)))
	est := map[uint16]netip.Addr{}
	for sp := uint16(1); sp <= 16; sp++ {
		k := tcpPk(client, vip4, sp, 80)
		send(t, m, k.bytes())
		est[sp] = send(t, m, k.bytes()).DIP
	}
	// Add backends: the established flows must stay where they are.
	configure(t, m, webLB(backends(16)))
	fallback := 0
	for i := range 5000 {
		src := netip.AddrFrom4([4]byte{100, 64, byte(i >> 8), byte(i)})
		r := send(t, m, pk{src: src, dst: vip4, proto: protoTCP, sp: 4242, dp: 80, flags: tcpFlagSYN}.bytes())
		if r.Verdict != VerdictForward {
			t.Fatal(r.Verdict)
		}
		if r.Flow == FlowFallback {
			fallback++
		}
	}
	if fallback == 0 || m.Stats().TableFull != uint64(fallback) {
		t.Errorf("fallbacks %d, stats %+v", fallback, m.Stats())
	}
	lost := 0
	for sp, d := range est {
		r := send(t, m, tcpPk(client, vip4, sp, 80).bytes())
		if r.DIP != d {
			t.Errorf("established flow %d moved from %v to %v", sp, d, r.DIP)
		}
		if r.Flow != FlowEstablished {
			lost++
		}
	}
	if lost != 0 {
		t.Errorf("%d established flows were evicted", lost)
	}
}

func TestDrain(t *testing.T) {
	clk := newClock()
	m := newMux(t, Config{Clock: clk, DrainTimeout: 20 * time.Second})
	pool := backends(4)
	configure(t, m, webLB(pool))
	gone := pool[3].DIP
	var flows []pk
	for sp := uint16(1); len(flows) < 5; sp++ {
		k := tcpPk(client, vip4, sp, 80)
		if send(t, m, k.bytes()).DIP == gone {
			send(t, m, k.bytes())
			flows = append(flows, k)
		}
	}
	configure(t, m, webLB(pool[:3]))
	for sp := uint16(1000); sp < 1500; sp++ {
		if r := send(t, m, tcpPk(client, vip4, sp, 80).bytes()); r.DIP == gone {
			t.Fatalf("new flow sent to the removed DIP")
		}
	}
	clk.Advance(10 * time.Second)
	for _, k := range flows {
		if r := send(t, m, k.bytes()); r.DIP != gone || r.Flow != FlowEstablished {
			t.Errorf("draining flow moved: %+v", r)
		}
	}
	clk.Advance(11 * time.Second)
	for _, k := range flows {
		if r := send(t, m, k.bytes()); r.DIP == gone || r.Flow != FlowEstablished || r.Verdict != VerdictForward {
			t.Errorf("drained flow not moved: %+v", r)
		}
	}
	if m.Stats().Repicked != uint64(len(flows)) {
		t.Errorf("Repicked %d", m.Stats().Repicked)
	}
	// The DIP comes back before its slot is reused: it is revived.
	configure(t, m, webLB(pool))
	seen := false
	for sp := uint16(2000); sp < 2400; sp++ {
		seen = seen || send(t, m, tcpPk(client, vip4, sp, 80).bytes()).DIP == gone
	}
	if !seen {
		t.Errorf("re-added DIP gets no new flows")
	}
}

func TestSlotsAreReused(t *testing.T) {
	clk := newClock()
	m := newMux(t, Config{Clock: clk})
	for i := range 20 {
		pool := backends(4)
		for j := range pool {
			pool[j].HostPA = host(i%50 + j + 1)
		}
		configure(t, m, webLB(pool))
		clk.Advance(3 * time.Hour)
	}
	if n := len(m.state.Load().backends); n > 8 {
		t.Errorf("registry grew to %d slots for 4 live backends", n)
	}
}

func TestHealth(t *testing.T) {
	clk := newClock()
	ann := newRecorder()
	m := newMux(t, Config{Clock: clk, Announcer: ann, WithdrawUnhealthyVIPs: true})
	pool := backends(3)
	lb := webLB(pool)
	lb.InboundNatRules = nil
	configure(t, m, lb)
	k := tcpPk(client, vip4, 7, 80)
	d := send(t, m, k.bytes()).DIP
	send(t, m, k.bytes())
	m.SetHealth(webVNI, d, false)
	if r := send(t, m, k.bytes()); r.DIP != d {
		t.Errorf("established flow left its unhealthy DIP")
	}
	for sp := uint16(100); sp < 400; sp++ {
		if send(t, m, tcpPk(client, vip4, sp, 80).bytes()).DIP == d {
			t.Fatal("new flow sent to an unhealthy DIP")
		}
	}
	for _, b := range pool {
		m.SetHealth(webVNI, b.DIP, false)
	}
	if r := send(t, m, tcpPk(client, vip4, 9999, 80).bytes()); r.Verdict != VerdictNoBackend {
		t.Errorf("no healthy DIP: %v", r.Verdict)
	}
	if got := ann.announced(); len(got) != 0 {
		t.Errorf("VIP without healthy DIP still announced: %v", got)
	}
	m.SetHealth(webVNI, pool[1].DIP, true)
	if got := ann.announced(); !cmp.Equal(got, []string{"203.0.113.10/32"}) {
		t.Errorf("announced %v", got)
	}
	if r := send(t, m, tcpPk(client, vip4, 9999, 80).bytes()); r.DIP != pool[1].DIP {
		t.Errorf("new flow: %+v", r)
	}
}

// A client that reuses a source port opens a new connection on the
// 5-tuple of an old flow. When the old flow's DIP is out of rotation
// (unhealthy, or removed and draining), the SYN is a new flow: it goes to
// a DIP that takes new flows and replaces the entry, so the rest of the
// new connection follows it there. Until then, the old flow's other
// packets (a SYN-ACK-flagged one among them) stay on its DIP, and a SYN
// on a flow whose DIP takes new flows (a retransmission) stays too. Both
// through Process and ProcessBatch.
func TestSYNOnFlowOfDIPOutOfRotation(t *testing.T) {
	for _, tc := range []struct {
		name string
		out  func(m *Mux, pool []slb.Backend, d netip.Addr)
	}{
		{"unhealthy", func(m *Mux, _ []slb.Backend, d netip.Addr) { m.SetHealth(webVNI, d, false) }},
		{"draining", func(m *Mux, pool []slb.Backend, d netip.Addr) {
			lb := webLB(slices.DeleteFunc(slices.Clone(pool), func(b slb.Backend) bool { return b.DIP == d }))
			lb.InboundNatRules = nil
			configure(t, m, lb)
		}},
	} {
		for _, batch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/batch=%v", tc.name, batch), func(t *testing.T) {
				clk := newClock()
				m := newMux(t, Config{Clock: clk, DrainTimeout: time.Minute})
				pool := backends(4)
				lb := webLB(pool)
				lb.InboundNatRules = nil
				configure(t, m, lb)
				process := func(pkt []byte) Result {
					t.Helper()
					if !batch {
						return send(t, m, pkt)
					}
					out := make([]Output, 1)
					m.ProcessBatch(nil, [][]byte{pkt}, out)
					if out[0].Err != nil {
						t.Fatal(out[0].Err)
					}
					return out[0].Result
				}
				ack := tcpPk(client, vip4, 40000, 80)
				syn, synack := ack, ack
				syn.flags, synack.flags = tcpFlagSYN, tcpFlagSYN|tcpFlagACK
				d := process(syn.bytes()).DIP
				process(ack.bytes()) // trusted
				tc.out(m, pool, d)
				clk.Advance(time.Second)

				before := m.Stats()
				for _, k := range []pk{ack, synack} {
					if r := process(k.bytes()); r.DIP != d || r.Flow != FlowEstablished {
						t.Fatalf("packet with flags %#x of the old flow: %+v, want DIP %v, established", k.flags, r, d)
					}
				}
				r := process(syn.bytes())
				if r.Verdict != VerdictForward || r.DIP == d || r.Flow != FlowNew {
					t.Fatalf("SYN on the old flow's 5-tuple: %+v, want a new flow to a DIP other than %v", r, d)
				}
				nd := r.DIP
				after := m.Stats()
				if after.Repicked-before.Repicked != 1 || after.FlowNew-before.FlowNew != 1 {
					t.Errorf("Repicked +%d, FlowNew +%d, want +1 each", after.Repicked-before.Repicked, after.FlowNew-before.FlowNew)
				}
				if u, tr := m.flows.flowCount(m.ticks()); u != 1 || tr != 0 {
					t.Errorf("flow table: %d untrusted, %d trusted entries, want the one entry replaced, untrusted", u, tr)
				}
				for _, k := range []pk{syn, ack, ack} { // a retransmitted SYN, then the connection
					if r := process(k.bytes()); r.DIP != nd || r.Flow != FlowEstablished {
						t.Errorf("packet with flags %#x of the new connection: %+v, want DIP %v, established", k.flags, r, nd)
					}
				}
				if u, tr := m.flows.flowCount(m.ticks()); u != 0 || tr != 1 {
					t.Errorf("flow table: %d untrusted, %d trusted entries, want one trusted", u, tr)
				}
			})
		}
	}
}

// A SYN on the flow of an unhealthy DIP when no DIP is healthy gets
// VerdictNoBackend, as any new flow would; the old flow's other packets
// still reach its DIP.
func TestSYNOnFlowWithoutHealthyDIP(t *testing.T) {
	m := newMux(t, Config{})
	pool := backends(2)
	configure(t, m, webLB(pool))
	ack := tcpPk(client, vip4, 40000, 80)
	syn := ack
	syn.flags = tcpFlagSYN
	d := send(t, m, syn.bytes()).DIP
	for _, b := range pool {
		m.SetHealth(webVNI, b.DIP, false)
	}
	if r := send(t, m, syn.bytes()); r.Verdict != VerdictNoBackend {
		t.Errorf("SYN: %+v, want NoBackend", r)
	}
	if r := send(t, m, ack.bytes()); r.Verdict != VerdictForward || r.DIP != d {
		t.Errorf("ACK of the old flow: %+v, want DIP %v", r, d)
	}
}

// SetHealth remembers only configured DIPs: reports about DIPs no pool
// has are ignored, and a DIP that leaves every pool is forgotten.
// With HoldNewDIPs, a DIP added to a configured Mux gets no new flow
// until SetHealth says it is healthy (as does one that left and came
// back), while the DIPs of the first configuration take flows at once;
// without it, a new DIP takes new flows at once.
func TestHoldNewDIPs(t *testing.T) {
	pool := backends(3)
	next := uint16(1000)
	spread := func(m *Mux) map[netip.Addr]int { // 300 new flows
		n := map[netip.Addr]int{}
		for sp := next; sp < next+300; sp++ {
			n[send(t, m, tcpPk(client, vip4, sp, 80).bytes()).DIP]++
		}
		next += 300
		return n
	}
	for _, hold := range []bool{false, true} {
		m := newMux(t, Config{Clock: newClock(), HoldNewDIPs: hold})
		configure(t, m, webLB(pool[:2]))
		if n := spread(m); n[pool[0].DIP] == 0 || n[pool[1].DIP] == 0 {
			t.Fatalf("hold %t: the first configuration's DIPs took %v", hold, n)
		}
		configure(t, m, webLB(pool))
		if n := spread(m); (n[pool[2].DIP] == 0) != hold {
			t.Errorf("hold %t: the added DIP took %d of 300 new flows", hold, n[pool[2].DIP])
		}
		if !hold {
			continue
		}
		m.SetHealth(webVNI, pool[2].DIP, true)
		if n := spread(m); n[pool[2].DIP] == 0 {
			t.Errorf("the added DIP, reported healthy, took no new flow: %v", n)
		}
		configure(t, m, webLB(pool[:2]))
		configure(t, m, webLB(pool))
		if n := spread(m); n[pool[2].DIP] != 0 {
			t.Errorf("the DIP that came back took %d new flows before a report", n[pool[2].DIP])
		}
	}
}

// Two tenants' virtual networks may use the same DIP addresses: health
// is the DIP's in its virtual network. Tenant A's DIP 1 going down takes
// it out of A's pool only; B's DIP 1 (another VM, same address) keeps
// taking new flows. With HoldNewDIPs, B's DIP 1 added while A's is in
// rotation is new (held until reported), and A's report does not release
// it. A report for a VNI no pool has is ignored; B's DIP leaving forgets
// B's health only.
func TestHealthPerVirtualNetwork(t *testing.T) {
	const vniA, vniB = 5001, 6001
	vipB := netip.MustParseAddr("203.0.113.20")
	tenant := func(name string, vip netip.Addr, vni uint32, firstHost int, dips ...int) slb.LoadBalancer {
		var pool []slb.Backend
		for _, d := range dips {
			pool = append(pool, slb.Backend{DIP: dip(d), HostPA: host(firstHost + d)})
		}
		lb := webLB(pool)
		lb.Name, lb.InboundNatRules = name, nil
		lb.FrontendIPConfigurations[0].VIP = vip
		lb.BackendAddressPools[0].VNI = vni
		return lb
	}
	next := uint16(1000)
	// spread returns how many of 300 new flows to vip each DIP took,
	// checking they went to vni.
	spread := func(m *Mux, vip netip.Addr, vni uint32) map[netip.Addr]int {
		t.Helper()
		n := map[netip.Addr]int{}
		for sp := next; sp < next+300; sp++ {
			r := send(t, m, tcpPk(client, vip, sp, 80).bytes())
			if r.Verdict != VerdictForward || r.VNI != vni {
				t.Fatalf("new flow to %v: %+v, want VNI %d", vip, r, vni)
			}
			n[r.DIP]++
		}
		next += 300
		return n
	}
	d1 := dip(1)
	for _, hold := range []bool{false, true} {
		m := newMux(t, Config{Clock: newClock(), HoldNewDIPs: hold})
		configure(t, m, tenant("a", vip4, vniA, 0, 1, 2), tenant("b", vipB, vniB, 100, 2))
		configure(t, m, tenant("a", vip4, vniA, 0, 1, 2), tenant("b", vipB, vniB, 100, 1, 2))
		if n := spread(m, vipB, vniB); (n[d1] == 0) != hold {
			t.Errorf("hold %t: B's added DIP 1 (A's in rotation) took %d of 300 new flows", hold, n[d1])
		}
		m.SetHealth(vniA, d1, true) // A's, already healthy: no news for B's
		if n := spread(m, vipB, vniB); (n[d1] == 0) != hold {
			t.Errorf("hold %t: B's DIP 1 after A's was reported healthy took %d of 300 new flows", hold, n[d1])
		}
		m.SetHealth(vniB, d1, true)
		m.SetHealth(vniA, d1, false)
		if n := spread(m, vip4, vniA); n[d1] != 0 || n[dip(2)] != 300 {
			t.Errorf("hold %t: A's new flows with A's DIP 1 down: %v", hold, n)
		}
		if n := spread(m, vipB, vniB); n[d1] == 0 || n[dip(2)] == 0 {
			t.Errorf("hold %t: B's new flows with A's DIP 1 down: %v, want both of B's DIPs", hold, n)
		}
		m.SetHealth(7777, d1, false) // no pool of VNI 7777: ignored
		if n := spread(m, vipB, vniB); n[d1] == 0 {
			t.Errorf("hold %t: a report for VNI 7777 took B's DIP 1 out: %v", hold, n)
		}
		m.SetHealth(vniB, d1, false)
		if n := len(m.down); n != 2 {
			t.Errorf("hold %t: health map holds %d DIPs, want 2", hold, n)
		}
		configure(t, m, tenant("a", vip4, vniA, 0, 1, 2), tenant("b", vipB, vniB, 100, 2))
		if !m.down[vnetDIP{vniA, d1}] || len(m.down) != 1 {
			t.Errorf("hold %t: after B's DIP 1 left, health map %v, want A's DIP 1 only", hold, m.down)
		}
		if n := spread(m, vip4, vniA); n[d1] != 0 {
			t.Errorf("hold %t: A's DIP 1, down, took %d new flows after B's left", hold, n[d1])
		}
	}
}

func TestHealthBounded(t *testing.T) {
	m := newMux(t, Config{Clock: newClock()})
	pool := backends(3)
	configure(t, m, webLB(pool))
	for i := range 1000 {
		m.SetHealth(webVNI, dip(1000+i), false)
	}
	m.SetHealth(webVNI, pool[0].DIP, false)
	if n := len(m.down); n != 1 {
		t.Errorf("health map holds %d DIPs, want 1", n)
	}
	configure(t, m, webLB(pool[1:]))
	if n := len(m.down); n != 0 {
		t.Errorf("after removing the unhealthy DIP, health map holds %d DIPs", n)
	}
}

func TestAnnounce(t *testing.T) {
	ann := newRecorder()
	m := newMux(t, Config{Announcer: ann})
	lb := webLB(backends(2))
	lb.FrontendIPConfigurations = append(lb.FrontendIPConfigurations, slb.Frontend{Name: "v6", VIP: vip6})
	configure(t, m, lb)
	if got, want := ann.announced(), []string{"2001:db8:f::10/128", "203.0.113.10/32"}; !cmp.Equal(got, want) {
		t.Errorf("announced %v, want %v", got, want)
	}
	for _, b := range backends(2) {
		m.SetHealth(webVNI, b.DIP, false) // WithdrawUnhealthyVIPs is off
	}
	lb.FrontendIPConfigurations = lb.FrontendIPConfigurations[:1]
	configure(t, m, lb)
	if got := ann.announced(); !cmp.Equal(got, []string{"203.0.113.10/32"}) {
		t.Errorf("after removing a frontend: %v", got)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ann.announced(); len(got) != 0 {
		t.Errorf("after Close: %v", got)
	}
	if err := m.Configure(context.Background(), lb); !errors.Is(err, ErrClosed) {
		t.Errorf("Configure after Close: %v", err)
	}
}

func TestConfigureErrors(t *testing.T) {
	m := newMux(t, Config{})
	configure(t, m, webLB(backends(2)))
	before := m.state.Load()
	bad := webLB(backends(2))
	bad.LoadBalancingRules[0].BackendPool = "nope"
	var fe *slb.FieldError
	if err := m.Configure(context.Background(), bad); !errors.As(err, &fe) {
		t.Errorf("invalid LB: %v", err)
	}
	other := webLB(backends(2))
	other.Name = "other"
	if err := m.Configure(context.Background(), webLB(backends(2)), other); !errors.Is(err, ErrConfig) {
		t.Errorf("two LBs on one VIP port: %v", err)
	}
	v6host := webLB([]slb.Backend{{DIP: dip(1), HostPA: host6(1)}})
	if err := m.Configure(context.Background(), v6host); !errors.Is(err, ErrConfig) {
		t.Errorf("IPv6 host PA with IPv4 local PA: %v", err)
	}
	if m.state.Load() != before {
		t.Error("a failed Configure changed the state")
	}
	for _, cfg := range []Config{{}, {LocalPA: muxPA, MTU: 100}, {LocalPA: muxPA, MaglevSize: 100}, {LocalPA: muxPA, Encap: 9}} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
}

func TestFragments(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		m := newMux(t, Config{})
		lb := webLB(backends(16))
		from, vip := client, vip4
		if v6 {
			from, vip = cli6, vip6
			lb.FrontendIPConfigurations[0].VIP = vip6
			for i := range lb.BackendAddressPools[0].Backends {
				lb.BackendAddressPools[0].Backends[i].DIP = netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, 15: byte(i + 1)})
			}
			lb.InboundNatRules = nil
		}
		lb.LoadBalancingRules[0].Protocol = slb.ProtocolUDP
		configure(t, m, lb)
		for sp := uint16(1); sp < 50; sp++ {
			whole := pk{src: from, dst: vip, proto: protoUDP, sp: sp, dp: 80, payload: 100}.bytes()
			want := send(t, m, whole).DIP
			a, b := fragments(whole, 56, uint32(sp)*7919)
			ra := send(t, m, a)
			rb := send(t, m, b)
			if ra.DIP != want || rb.DIP != want || !ra.Fragment || rb.Match != MatchFragment || rb.Verdict != VerdictForward {
				t.Fatalf("v6=%v: whole %v, first fragment %+v, second %+v", v6, want, ra, rb)
			}
		}
		_, b := fragments(pk{src: from, dst: vip, proto: protoUDP, sp: 9, dp: 80, payload: 100}.bytes(), 56, 4242)
		if r := send(t, m, b); r.Verdict != VerdictNoFlow {
			t.Errorf("v6=%v: fragment without its first: %v", v6, r.Verdict)
		}
	}
}

// ICMP errors about a flow (fragmentation needed, packet too big) reach
// the flow's DIP, even when Maglev would now pick another.
func TestICMPErrors(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		m := newMux(t, Config{})
		lb := webLB(backends(2))
		from, vip, router := client, vip4, netip.MustParseAddr("192.0.2.254")
		if v6 {
			from, vip, router = cli6, vip6, netip.MustParseAddr("2001:db8:ffff::1")
			lb.FrontendIPConfigurations[0].VIP = vip6
			for i := range lb.BackendAddressPools[0].Backends {
				lb.BackendAddressPools[0].Backends[i].DIP = netip.AddrFrom16([16]byte{0x20, 1, 0xd, 0xb8, 15: byte(i + 1)})
			}
			lb.InboundNatRules = nil
		}
		configure(t, m, lb)
		var flows []pk
		var dips []netip.Addr
		for sp := uint16(1); sp <= 40; sp++ {
			k := tcpPk(from, vip, sp, 80)
			dips = append(dips, send(t, m, k.bytes()).DIP)
			send(t, m, k.bytes())
			flows = append(flows, k)
		}
		lb.BackendAddressPools[0].Backends = append(lb.BackendAddressPools[0].Backends, backendsLike(lb, 30)...)
		configure(t, m, lb)
		for i, k := range flows {
			r := send(t, m, icmpError(router, reply(k), 1400))
			if r.Verdict != VerdictForward || !r.ICMPError || r.DIP != dips[i] || r.FrontendPort != 80 {
				t.Fatalf("v6=%v: ICMP error about flow %d: %+v, want DIP %v", v6, i, r, dips[i])
			}
		}
		if v6 {
			// A fragmented error: both fragments go to the flow's DIP.
			big := flows[3]
			big.payload = 1200
			a, b := fragments(icmpError(router, reply(big), 1280), 200, 77)
			ra, rb := send(t, m, a), send(t, m, b)
			if ra.DIP != dips[3] || rb.DIP != dips[3] || !ra.ICMPError || rb.Match != MatchFragment {
				t.Errorf("fragmented ICMPv6 error: %+v / %+v, want DIP %v", ra, rb, dips[3])
			}
		}
		// An error quoting a packet that the VIP did not send is refused.
		k := flows[0]
		k.src = from
		bogus := icmpError(router, k.bytes(), 1400)
		if v6 {
			copy(bogus[24:40], vip.AsSlice())
		} else {
			copy(bogus[16:20], vip.AsSlice())
		}
		if r := send(t, m, bogus); r.Verdict != VerdictNotMine {
			t.Errorf("v6=%v: error quoting a foreign packet: %v", v6, r.Verdict)
		}
		if m.Stats().ICMPErrors != uint64(len(flows)+btoi(v6)) {
			t.Errorf("ICMPErrors %d", m.Stats().ICMPErrors)
		}
	}
}

// backendsLike returns n more backends of lb's first pool's family.
func backendsLike(lb slb.LoadBalancer, n int) []slb.Backend {
	var bs []slb.Backend
	first := lb.BackendAddressPools[0].Backends[0].DIP
	for i := range n {
		d := first.As16()
		d[14] = 0x80
		d[15] = byte(i)
		a := netip.AddrFrom16(d)
		if first.Is4() {
			a = netip.AddrFrom4([4]byte{10, 2, 0, byte(i)})
		}
		bs = append(bs, slb.Backend{DIP: a, HostPA: host(i + 1)})
	}
	return bs
}

func TestMSSClamp(t *testing.T) {
	for _, tc := range []struct {
		local    netip.Addr
		encap    Encap
		vip, src netip.Addr
		want     uint16
	}{
		{muxPA, EncapVXLAN, vip4, client, 1500 - 50 - 40},
		{muxPA, EncapIPIP, vip4, client, 1500 - 20 - 40},
		{muxPA6, EncapVXLAN, vip6, cli6, 1500 - 70 - 60},
	} {
		for _, odd := range []bool{false, true} {
			m := newMux(t, Config{LocalPA: tc.local, Encap: tc.encap})
			hostPA := host(1)
			if tc.local.Is6() {
				hostPA = host6(1)
			}
			lb := webLB([]slb.Backend{{DIP: dip(1), HostPA: hostPA}})
			lb.FrontendIPConfigurations[0].VIP = tc.vip
			if tc.vip.Is6() {
				lb.BackendAddressPools[0].Backends[0].DIP = netip.MustParseAddr("2001:db8:d::1")
				lb.InboundNatRules[0].DIP = lb.BackendAddressPools[0].Backends[0].DIP
			}
			configure(t, m, lb)
			k := pk{src: tc.src, dst: tc.vip, proto: protoTCP, sp: 1, dp: 80, flags: tcpFlagSYN, mss: 1460, mssOdd: odd}
			pkt := k.bytes()
			orig := append([]byte(nil), pkt...)
			out, r, err := m.Process(nil, pkt)
			if err != nil || !r.MSSClamped {
				t.Fatalf("%+v: %v", r, err)
			}
			if !cmp.Equal(pkt, orig) {
				t.Error("Process modified its input")
			}
			inner := out[len(out)-len(pkt):]
			l4 := 20
			if tc.vip.Is6() {
				l4 = 40
			}
			tcp := header.TCP(inner[l4:])
			if mss, _ := tcp.MSS(); mss != tc.want {
				t.Errorf("%v odd=%v: MSS %d, want %d", tc.local, odd, mss, tc.want)
			}
			if !tcp.ValidChecksum(checksum.PseudoHeader(tc.src, tc.vip, protoTCP, len(tcp))) {
				t.Errorf("%v odd=%v: TCP checksum wrong after clamping", tc.local, odd)
			}
			// A small MSS is left alone.
			k.mss = 500
			if _, r, _ := m.Process(nil, k.bytes()); r.MSSClamped {
				t.Error("MSS 500 clamped")
			}
		}
	}
}

func TestSNAT(t *testing.T) {
	m := newMux(t, Config{})
	configure(t, m, webLB(backends(2)))
	l := SNATLease{VIP: vip4, Protocol: protoTCP, Port: 20000, HostPA: host(9), VNI: 77, DIP: dip(2)}
	if err := m.LeaseSNAT(l); err != nil {
		t.Fatal(err)
	}
	for port := uint16(20000); port < 20008; port++ {
		r := send(t, m, tcpPk(netip.MustParseAddr("192.0.2.80"), vip4, 443, port).bytes())
		if r.Verdict != VerdictForward || r.Match != MatchSNAT || r.NextHop != host(9) || r.VNI != 77 || r.DIP != dip(2) || r.BackendPort != port {
			t.Fatalf("port %d: %+v", port, r)
		}
	}
	if r := send(t, m, tcpPk(client, vip4, 443, 20008).bytes()); r.Verdict != VerdictNoRule {
		t.Errorf("port outside the block: %v", r.Verdict)
	}
	// ICMP errors about the host's outbound flow go to the host too.
	out := tcpPk(vip4, netip.MustParseAddr("192.0.2.80"), 20003, 443)
	if r := send(t, m, icmpError(netip.MustParseAddr("192.0.2.254"), out.bytes(), 1300)); r.Match != MatchSNAT || !r.ICMPError {
		t.Errorf("ICMP error about an SNAT flow: %+v", r)
	}
	if m.ReleaseSNAT(SNATLease{VIP: vip4, Protocol: protoTCP, Port: 20000, HostPA: host(8), DIP: dip(2)}) {
		t.Error("released another host's lease")
	}
	if !m.ReleaseSNAT(l) {
		t.Error("release failed")
	}
	if r := send(t, m, tcpPk(client, vip4, 443, 20001).bytes()); r.Verdict != VerdictNoRule {
		t.Errorf("after release: %v", r.Verdict)
	}
	for _, bad := range []SNATLease{
		{VIP: vip4, Protocol: protoTCP, Port: 20001, HostPA: host(1), DIP: dip(1)},
		{VIP: vip4, Protocol: 1, Port: 20000, HostPA: host(1), DIP: dip(1)},
		{VIP: vip4, Protocol: protoUDP, Port: 20000, HostPA: host6(1), DIP: dip(1)},
		{VIP: vip4, Protocol: protoUDP, Port: 512, HostPA: host(1), DIP: dip(1)},
	} {
		if err := m.LeaseSNAT(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("LeaseSNAT(%+v): %v", bad, err)
		}
	}
}

func TestBatch(t *testing.T) {
	m := newMux(t, Config{})
	configure(t, m, webLB(backends(4)))
	var pkts [][]byte
	for sp := range uint16(32) {
		pkts = append(pkts, tcpPk(client, vip4, 1000+sp, 80).bytes())
	}
	pkts = append(pkts, []byte{0x45}, tcpPk(client, vip4, 1, 81).bytes())
	out := make([]Output, len(pkts))
	buf := m.ProcessBatch(nil, pkts, out)
	for i, o := range out[:32] {
		_, want, _ := newMuxSame(t, m).Process(nil, pkts[i])
		if o.Err != nil || o.Verdict != VerdictForward || o.DIP != want.DIP {
			t.Fatalf("packet %d: %+v", i, o)
		}
		if got := buf[o.End-len(pkts[i]) : o.End]; !cmp.Equal(got, pkts[i]) {
			t.Fatalf("packet %d: inner packet not at the end of its span", i)
		}
	}
	if o := out[32]; o.Err == nil || o.Start != o.End || o.Verdict != VerdictInvalid {
		t.Errorf("bad packet: %+v", o)
	}
	if o := out[33]; o.Verdict != VerdictNoRule || o.Start != o.End {
		t.Errorf("no rule: %+v", o)
	}
}

// ProcessInto gives the packet and Result that Process gives, whatever
// *r held before, and allocates nothing.
func TestProcessInto(t *testing.T) {
	a, b := newMux(t, Config{}), newMux(t, Config{})
	b.tableKey = a.tableKey // which picks the outer UDP source port
	configure(t, a, webLB(backends(4)))
	configure(t, b, webLB(backends(4)))
	syn := pk{src: client, dst: vip4, proto: protoTCP, sp: 3, dp: 80, flags: tcpFlagSYN, mss: 1460}.bytes()
	r := Result{Rule: "stale", DIP: client, MSSClamped: true, Fragment: true}
	for _, pkt := range [][]byte{tcpPk(client, vip4, 1, 80).bytes(), tcpPk(client, vip4, 1, 80).bytes(), syn,
		tcpPk(client, vip4, 1, 2201).bytes(), tcpPk(client, vip4, 1, 81).bytes(), {0x45}} {
		want, wr, werr := a.Process(nil, pkt)
		got, err := b.ProcessInto(nil, pkt, &r)
		if diff := cmp.Diff(wr, r, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" ||
			!cmp.Equal(want, got) || (err == nil) != (werr == nil) {
			t.Errorf("ProcessInto differs from Process (-Process +ProcessInto):\n%s\nerrors %v, %v", diff, werr, err)
		}
	}
	pkt := tcpPk(client, vip4, 1, 80).bytes()
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { b.ProcessInto(buf[:0], pkt, &r) }); n != 0 {
		t.Errorf("ProcessInto: %v allocations per packet", n)
	}
}

// newMuxSame returns a fresh Mux with m's configuration.
func newMuxSame(t tb, m *Mux) *Mux {
	n := newMux(t, m.cfg)
	configure(t, n, webLB(backends(4)))
	return n
}

func TestMalformed(t *testing.T) {
	m := newMux(t, Config{})
	configure(t, m, webLB(backends(2)))
	good := tcpPk(client, vip4, 1, 80).bytes()
	good6 := tcpPk(cli6, vip6, 1, 80).bytes()
	for _, tc := range []struct {
		name  string
		pkt   []byte
		field string
		err   error
	}{
		{"empty", nil, "version", ErrTruncated},
		{"version 5", []byte{0x50, 0, 0, 0}, "version", ErrUnsupported},
		{"short v4", good[:19], "header", ErrTruncated},
		{"ihl 4", func() []byte { b := clone(good); b[0] = 0x44; return b }(), "IHL", ErrMalformed},
		{"total length short", func() []byte { b := clone(good); b[3] = 10; return b }(), "total length", ErrMalformed},
		{"truncated", good[:len(good)-1], "header", ErrTruncated},
		{"tcp offset", func() []byte { b := clone(good); b[32] = 0x40; return b }(), "data offset", ErrMalformed},
		{"tcp offset past end", func() []byte { b := clone(good); b[32] = 0xf0; return b }(), "data offset", ErrTruncated},
		{"short v6", good6[:39], "header", ErrTruncated},
		{"v6 payload length", func() []byte { b := clone(good6); b[5]++; return b }(), "header", ErrTruncated},
	} {
		_, r, err := m.Process(nil, tc.pkt)
		var pe *PacketError
		if !errors.As(err, &pe) || !errors.Is(err, tc.err) || pe.Field != tc.field || r.Verdict != VerdictInvalid {
			t.Errorf("%s: %v (%+v)", tc.name, err, pe)
		}
	}
	huge := tcpPk(client, vip4, 1, 80)
	huge.payload = 65535 - 40
	if _, r, err := m.Process(nil, huge.bytes()); !errors.Is(err, ErrTooBig) || r.Verdict != VerdictInvalid {
		t.Errorf("65535-byte packet: %v %v", r.Verdict, err)
	}
	huge.payload -= 50
	if _, r, err := m.Process(nil, huge.bytes()); err != nil || r.Verdict != VerdictForward {
		t.Errorf("65485-byte packet: %v %v", r.Verdict, err)
	}
	// Link-layer padding after the IP packet is not carried.
	padded := append(clone(good), 0, 0, 0, 0)
	if out := must(t, m, padded); len(out) != 50+len(good) {
		t.Errorf("padding carried: %d bytes", len(out))
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// New flows are spread by weight, and a weight change takes effect for
// new flows.
func TestWeights(t *testing.T) {
	m := newMux(t, Config{FlowTableSize: 1 << 14})
	pool := []slb.Backend{{DIP: dip(1), HostPA: host(1), Weight: 1}, {DIP: dip(2), HostPA: host(2), Weight: 3}}
	configure(t, m, webLB(pool))
	count := func(base int) map[netip.Addr]int {
		n := map[netip.Addr]int{}
		for i := range 4000 {
			src := netip.AddrFrom4([4]byte{100, 64 + byte(base), byte(i >> 8), byte(i)})
			n[send(t, m, tcpPk(src, vip4, 1, 80).bytes()).DIP]++
		}
		return n
	}
	if n := count(0); n[dip(2)] < 2700 || n[dip(2)] > 3300 {
		t.Errorf("weights 1:3 gave %v", n)
	}
	pool[0].Weight, pool[1].Weight = 3, 1
	configure(t, m, webLB(pool))
	if n := count(1); n[dip(1)] < 2700 || n[dip(1)] > 3300 {
		t.Errorf("weights 3:1 gave %v", n)
	}
}

// With Config.MinimalDisruption a pool's table is rebuilt from the last
// one: a DIP that leaves the pool, or goes down, moves only its own
// slots, where a fresh build moves about three times as many for 400
// DIPs; and two Muxes with the same history agree.
func TestMinimalDisruption(t *testing.T) {
	table := func(m *Mux) *maglev.Table { return m.state.Load().pools[0].table.Load().t }
	pool := backends(400)
	lb := webLB(pool)
	for _, minimal := range []bool{false, true} {
		m := newMux(t, Config{MinimalDisruption: minimal})
		configure(t, m, lb)
		before := table(m)
		gone, _ := before.Index(pool[5].Key())
		own := before.Shares()[gone]

		lb2 := webLB(slices.Delete(slices.Clone(pool), 5, 6))
		configure(t, m, lb2)
		moved := maglev.Moved(before, table(m))
		if minimal && moved != own {
			t.Errorf("minimal: removing a DIP moved %d slots, its own are %d", moved, own)
		}
		if !minimal && moved < 2*own {
			t.Errorf("fresh build moved %d slots, expected about three times %d", moved, own)
		}

		before = table(m)
		i, _ := before.Index(pool[9].Key())
		own = before.Shares()[i]
		m.SetHealth(webVNI, pool[9].DIP, false)
		if moved := maglev.Moved(before, table(m)); minimal && moved != own {
			t.Errorf("minimal: a DIP going down moved %d slots, its own are %d", moved, own)
		}
		if minimal {
			// A second Mux with the same history builds the same table.
			m2 := newMux(t, Config{MinimalDisruption: true})
			configure(t, m2, lb)
			configure(t, m2, lb2)
			m2.SetHealth(webVNI, pool[9].DIP, false)
			if n := maglev.Moved(table(m), table(m2)); n != 0 {
				t.Errorf("two Muxes with the same history differ in %d slots", n)
			}
		}
	}
}
