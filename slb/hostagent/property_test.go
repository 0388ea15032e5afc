package hostagent_test

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// genAddr draws a client address of the family of like.
func genAddr(t *rapid.T, like netip.Addr, label string) netip.Addr {
	if like.Is4() {
		b := rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, label)
		return netip.AddrFrom4([4]byte{198, 51, b[2], b[3]})
	}
	b := rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label)
	b[0], b[1] = 0x20, 0x01
	return netip.AddrFrom16([16]byte(b))
}

// Translation round trip: whatever the flows, each inbound packet reaches
// a local DIP of its rule with valid checksums, and the server's reply,
// after Outbound, is exactly what the client sent to, mirrored; flows
// already seen keep their DIP.
func TestPropertyRoundTrip(t *testing.T) {
	type target struct {
		dst   netip.AddrPort
		proto uint8
		ports []netip.AddrPort // where it may be delivered
	}
	targets := []target{
		{ap(vip4, 80), 6, []netip.AddrPort{ap(dipB, 80), ap(dipC, 80)}},
		{ap(vip4, 81), 6, []netip.AddrPort{ap(dipB, 8081), ap(dipC, 8081)}},
		{ap(vip4, 8080), 6, []netip.AddrPort{ap(dipB, 80)}},
		{ap(vip4, 53), 17, []netip.AddrPort{ap(vip4, 53)}},
		{ap(vip4, 5353), 17, []netip.AddrPort{ap(vip4, 53)}},
		{ap(vip6, 443), 6, []netip.AddrPort{ap(dipB6, 8443)}},
		{ap(vip6, 443), 17, []netip.AddrPort{ap(dipB6, 8443)}},
	}
	rapid.Check(t, func(t *rapid.T) {
		a := newAgent(t, host2, nil, portal())
		type tuple struct {
			src, dst netip.AddrPort
			proto    uint8
		}
		delivered := map[tuple]netip.AddrPort{}
		seen := map[[2]netip.AddrPort]bool{} // (client, delivered-to) pairs already in use
		for range rapid.IntRange(1, 20).Draw(t, "packets") {
			tg := rapid.SampledFrom(targets).Draw(t, "target")
			in := flow{
				Src:     netip.AddrPortFrom(genAddr(t, tg.dst.Addr(), "client"), rapid.Uint16Range(1, 65535).Draw(t, "port")),
				Dst:     tg.dst,
				Proto:   tg.proto,
				Payload: rapid.SliceOfN(rapid.Byte(), 1, 40).Draw(t, "payload"),
			}
			if tg.proto == 17 {
				in.NoUDPCsum = tg.dst.Addr().Is4() && rapid.Bool().Draw(t, "nocsum")
			} else {
				in.Flags = header.TCPFlags(rapid.SampledFrom([]uint8{0x02, 0x10, 0x18}).Draw(t, "flags"))
			}
			pkt := build(t, in)
			key := tuple{in.Src, in.Dst, in.Proto}
			r, err := a.Inbound(pkt, vni, netip.Addr{})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := read(t, pkt)
			if r.Verdict == hostagent.Drop && r.Reason == hostagent.ReasonConflict {
				continue // the same client port already reaches that DIP port
			}
			if r.Verdict != hostagent.Deliver || !ok {
				t.Fatalf("inbound %v: %+v, checksums ok %v", in, r, ok)
			}
			if prev, ok := delivered[key]; ok && prev != got.Dst {
				t.Fatalf("flow %v moved from %v to %v", key, prev, got.Dst)
			}
			if got.Src != in.Src || !contains(tg.ports, got.Dst) {
				t.Fatalf("inbound %v delivered as %v -> %v", in, got.Src, got.Dst)
			}
			if _, ok := delivered[key]; !ok && seen[[2]netip.AddrPort{in.Src, got.Dst}] {
				t.Fatalf("flow %v reuses an existing 5-tuple at the DIP", key)
			}
			delivered[key] = got.Dst
			seen[[2]netip.AddrPort{in.Src, got.Dst}] = true
			back := build(t, reply(got))
			ro, err := a.Outbound(back, vni)
			if err != nil {
				t.Fatal(err)
			}
			mirrored, ok := read(t, back)
			if ro.Verdict != hostagent.ToRouter || !ok {
				t.Fatalf("reply of %v: %+v, checksums ok %v", in, ro, ok)
			}
			if diff := cmp.Diff(reply(in), mirrored, addrCmp); diff != "" {
				t.Fatalf("reply -want +got:\n%s", diff)
			}
		}
	})
}

func contains(s []netip.AddrPort, x netip.AddrPort) bool {
	for _, y := range s {
		if x == y {
			return true
		}
	}
	return false
}
