package mux

import (
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/slb"
)

// The per-packet path allocates nothing: flow hit, new flow, inbound
// NAT, SNAT return, fragments, ICMP errors, drops and malformed packets,
// through Process, ProcessBatch and a Worker's Process and
// ProcessInPlace.
func TestProcessAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	m := newMux(t, Config{FlowTableSize: 1 << 16})
	configure(t, m, webLB(backends(8)))
	if err := m.LeaseSNAT(SNATLease{VIP: vip4, Protocol: protoTCP, Port: 20000, HostPA: host(3), VNI: 1, DIP: dip(3)}); err != nil {
		t.Fatal(err)
	}
	hit := tcpPk(client, vip4, 1, 80).bytes()
	send(t, m, hit)
	whole := tcpPk(client, vip4, 2, 80)
	whole.payload = 200
	first, later := fragments(whole.bytes(), 64, 99)
	send(t, m, first)
	var newFlows [][]byte
	for i := range 1000 {
		newFlows = append(newFlows, tcpPk(netip.AddrFrom4([4]byte{100, 64, byte(i >> 8), byte(i)}), vip4, 7, 80).bytes())
	}
	syn := pk{src: client, dst: vip4, proto: protoTCP, sp: 3, dp: 80, flags: tcpFlagSYN, mss: 1460}.bytes()
	v6 := newMux(t, Config{LocalPA: muxPA6, FlowTableSize: 1 << 12})
	lb6 := webLB([]slb.Backend{{DIP: netip.MustParseAddr("2001:db8:d::1"), HostPA: host6(1)}})
	lb6.FrontendIPConfigurations[0].VIP = vip6
	lb6.InboundNatRules = nil
	configure(t, v6, lb6)
	hit6 := tcpPk(cli6, vip6, 1, 80)
	hit6.payload = 1000

	buf := make([]byte, 0, 4096)
	i := 0
	for _, tc := range []struct {
		name string
		m    *Mux
		pkt  func() []byte
		want Verdict
	}{
		{"flow hit", m, func() []byte { return hit }, VerdictForward},
		{"new flow", m, func() []byte { i++; return newFlows[i%len(newFlows)] }, VerdictForward},
		{"SYN with MSS clamp", m, func() []byte { return syn }, VerdictForward},
		{"inbound NAT", m, func() []byte { return tcpPk(client, vip4, 1, 2201).bytes() }, VerdictForward},
		{"first fragment", m, func() []byte { return first }, VerdictForward},
		{"later fragment", m, func() []byte { return later }, VerdictForward},
		{"ICMP error", m, func() []byte {
			return icmpError(netip.MustParseAddr("192.0.2.9"), reply(tcpPk(client, vip4, 1, 80)), 1300)
		}, VerdictForward},
		{"SNAT return", m, func() []byte { return tcpPk(client, vip4, 443, 20001).bytes() }, VerdictForward},
		{"no rule", m, func() []byte { return tcpPk(client, vip4, 1, 81).bytes() }, VerdictNoRule},
		{"malformed", m, func() []byte { return hit[:30] }, VerdictInvalid},
		{"IPv6 over IPv6 with UDP checksum", v6, func() []byte { return hit6.bytes() }, VerdictForward},
	} {
		pkt := tc.pkt() // build outside the measured function
		if _, r, _ := tc.m.Process(nil, pkt); r.Verdict != tc.want {
			t.Errorf("%s: verdict %v, want %v", tc.name, r.Verdict, tc.want)
		}
		if tc.name == "new flow" {
			n := testing.AllocsPerRun(100, func() { tc.m.Process(buf[:0], newFlows[i%len(newFlows)]); i++ })
			if n != 0 {
				t.Errorf("%s: %v allocations per packet", tc.name, n)
			}
			continue
		}
		if n := testing.AllocsPerRun(100, func() { tc.m.Process(buf[:0], pkt) }); n != 0 {
			t.Errorf("%s: %v allocations per packet", tc.name, n)
		}
	}
	out := make([]Output, 4)
	batch := [][]byte{hit, syn, first, later}
	if n := testing.AllocsPerRun(100, func() { m.ProcessBatch(buf[:0], batch, out) }); n != 0 {
		t.Errorf("ProcessBatch: %v allocations per batch", n)
	}
	w := m.NewWorker()
	var r Result
	for _, pkt := range append(batch, newFlows[0], tcpPk(client, vip4, 1, 81).bytes(), hit[:30]) {
		if n := testing.AllocsPerRun(100, func() { w.Process(buf[:0], pkt, &r) }); n != 0 {
			t.Errorf("Worker.Process, verdict %v: %v allocations per packet", r.Verdict, n)
		}
		inPlace := append(make([]byte, m.Headroom()), pkt...)
		if n := testing.AllocsPerRun(100, func() { w.ProcessInPlace(inPlace, m.Headroom(), &r) }); n != 0 {
			t.Errorf("Worker.ProcessInPlace, verdict %v: %v allocations per packet", r.Verdict, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { w.ProcessInPlace(hit, 0, &r) }); n != 0 {
		t.Errorf("Worker.ProcessInPlace without headroom: %v allocations", n)
	}
}

// A SYN on the flow of a DIP out of rotation, picked again and its entry
// replaced, allocates nothing either.
func TestRepickAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	m := newMux(t, Config{FlowTableSize: 1 << 16})
	pool := backends(8)
	configure(t, m, webLB(pool))
	var syns [][]byte
	for sp := uint16(1); len(syns) < 200; sp++ {
		k := pk{src: client, dst: vip4, proto: protoTCP, sp: sp, dp: 80, flags: tcpFlagSYN}
		if send(t, m, k.bytes()).DIP == pool[0].DIP {
			syns = append(syns, k.bytes())
		}
	}
	m.SetHealth(webVNI, pool[0].DIP, false)
	buf := make([]byte, 0, 256)
	i := 0
	if n := testing.AllocsPerRun(100, func() { m.Process(buf[:0], syns[i]); i++ }); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
	if s := m.Stats(); s.Repicked != uint64(i) {
		t.Errorf("Repicked %d of %d SYNs", s.Repicked, i)
	}
}
