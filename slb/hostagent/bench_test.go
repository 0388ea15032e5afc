package hostagent_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// BenchmarkInbound: established flows, one packet each in turn, with the
// DNAT rewrite and checksum updates.
func BenchmarkInbound(b *testing.B) {
	for _, tc := range []struct {
		name string
		vip  netip.Addr
		port uint16
	}{{"ipv4", vip4, 81}, {"ipv6", vip6, 443}} {
		b.Run(tc.name, func(b *testing.B) {
			a := benchAgent(b)
			client := client4
			if tc.vip.Is6() {
				client = client6
			}
			const flows = 1024
			pkts := make([][]byte, flows)
			for i := range pkts {
				pkts[i] = build(b, flow{Src: ap(client, uint16(10000+i)), Dst: ap(tc.vip, tc.port), Proto: 6,
					Flags: header.TCPFlagACK, Payload: make([]byte, 64)})
				a.Inbound(pkts[i], vni, netip.Addr{})
			}
			// Each packet now carries the DIP; undo that by swapping
			// back to VIP:port for the next pass through the loop.
			orig := make([][]byte, flows)
			for i := range pkts {
				orig[i] = build(b, flow{Src: ap(client, uint16(10000+i)), Dst: ap(tc.vip, tc.port), Proto: 6,
					Flags: header.TCPFlagACK, Payload: make([]byte, 64)})
			}
			buf := make([]byte, len(orig[0]))
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				copy(buf, orig[i%flows])
				if r, _ := a.Inbound(buf, vni, netip.Addr{}); r.Reason != hostagent.ReasonFlow {
					b.Fatal(r)
				}
			}
		})
	}
}

// BenchmarkOutbound: replies of established flows (DSR rewrite).
func BenchmarkOutbound(b *testing.B) {
	a := benchAgent(b)
	const flows = 1024
	orig := make([][]byte, flows)
	for i := range orig {
		in := build(b, flow{Src: ap(client4, uint16(10000+i)), Dst: ap(vip4, 81), Proto: 6, Flags: header.TCPFlagSYN})
		a.Inbound(in, vni, dipB)
		orig[i] = build(b, flow{Src: ap(dipB, 8081), Dst: ap(client4, uint16(10000+i)), Proto: 6,
			Flags: header.TCPFlagACK, Payload: make([]byte, 64)})
	}
	buf := make([]byte, len(orig[0]))
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		copy(buf, orig[i%flows])
		if r, _ := a.Outbound(buf, vni); r.Reason != hostagent.ReasonFlow {
			b.Fatal(r)
		}
	}
}

// BenchmarkInboundNewFlow: the first packet of a flow (rule lookup, DIP
// choice, two flow entries).
func BenchmarkInboundNewFlow(b *testing.B) {
	clock := newFakeClock()
	a, err := hostagent.New(hostagent.Config{HostPA: host2, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Configure(portal()); err != nil {
		b.Fatal(err)
	}
	orig := build(b, flow{Src: ap(client4, 1), Dst: ap(vip4, 81), Proto: 6, Flags: header.TCPFlagSYN})
	buf := make([]byte, len(orig))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%10000 == 9999 { // let the table drain, as connections would close
			b.StopTimer()
			clock.Advance(time.Hour)
			a.Expire()
			b.StartTimer()
		}
		copy(buf, orig)
		// A new client address and port per packet.
		buf[14], buf[15] = byte(i>>16), byte(i>>24)
		header.TCP(buf[20:]).SetSourcePort(uint16(i))
		a.Inbound(buf, vni, netip.Addr{})
	}
}

func benchAgent(b *testing.B) *hostagent.Agent {
	a, err := hostagent.New(hostagent.Config{HostPA: host2})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Configure(portal()); err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkSNATNewFlow: a DIP's new outbound connection (rule lookup, port
// choice, two flow entries), each to a new remote end.
func BenchmarkSNATNewFlow(b *testing.B) {
	r := newSNATRigSize(b, 1024, hostagent.DefaultFlowTableSize)
	r.agent.Tick(r.ctx)
	r.settle(b, preleased)
	orig := build(b, flow{Src: ap(dipB, 40000), Dst: ap(remote1, 443), Proto: 6, Flags: header.TCPFlagSYN})
	buf := make([]byte, len(orig))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%10000 == 9999 { // let the table drain, as connections would close
			b.StopTimer()
			r.clock.Advance(time.Hour)
			r.agent.Expire()
			b.StartTimer()
		}
		copy(buf, orig)
		buf[17], buf[18] = byte(i), byte(i>>8) // a new remote address
		header.TCP(buf[20:]).SetSourcePort(uint16(i))
		if res, _ := r.agent.Outbound(buf, vni); res.Reason != hostagent.ReasonSNAT {
			b.Fatal(i, res)
		}
	}
}
