package hostagent_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// SetInternal changes which new connections are SNATed: a destination
// made internal passes (east-west), one no longer internal is SNATed, and
// a connection SNATed before keeps its translation.
func TestSetInternal(t *testing.T) {
	r := newSNATRig(t, 16) // Internal: 10.0.0.0/8
	r.agent.Tick(r.ctx)
	r.settle(t, preleased)
	other := netip.MustParseAddr("172.16.1.9") // another virtual network's subnet, say
	syn := func(dst netip.Addr, port uint16) flow {
		return flow{Src: ap(dipB, port), Dst: ap(dst, 80), Proto: 6, Flags: header.TCPFlagSYN}
	}
	before := syn(other, 50000)
	if res, _ := r.connect(t, before); res.Reason != hostagent.ReasonSNAT {
		t.Fatalf("to %v before SetInternal: %+v, want SNAT", other, res)
	}

	r.agent.SetInternal([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.1.0/24")})
	if res, _ := r.connect(t, syn(other, 50001)); res.Verdict != hostagent.Pass {
		t.Errorf("to %v once internal: %+v, want Pass", other, res)
	}
	if res, _ := r.connect(t, before); res.Reason != hostagent.ReasonFlow {
		t.Errorf("the connection SNATed before: %+v, want its flow", res)
	}

	r.agent.SetInternal([]netip.Prefix{netip.MustParsePrefix("172.16.1.0/24")})
	if res, _ := r.connect(t, syn(dipA, 50002)); res.Reason != hostagent.ReasonSNAT {
		t.Errorf("to %v once not internal: %+v, want SNAT", dipA, res)
	}
	if d := cmp.Diff([]netip.Prefix{netip.MustParsePrefix("172.16.1.0/24")}, r.agent.Internal(), cmpopts.EquateComparable(netip.Prefix{})); d != "" {
		t.Errorf("Internal (-want +got):\n%s", d)
	}
}

// Internal returns a set that holds the same addresses as the prefixes
// given, sorted, masked, and with no prefix within another.
func TestInternalSetProperty(t *testing.T) {
	a := newAgent(t, host2, nil)
	genPrefix := rapid.Custom(func(t *rapid.T) netip.Prefix {
		if rapid.Bool().Draw(t, "v6") {
			var b [16]byte
			b[0], b[1] = 0xfd, byte(rapid.IntRange(0, 3).Draw(t, "b1"))
			b[2] = byte(rapid.IntRange(0, 3).Draw(t, "b2"))
			return netip.PrefixFrom(netip.AddrFrom16(b), rapid.IntRange(8, 128).Draw(t, "bits6"))
		}
		b := [4]byte{10, byte(rapid.IntRange(0, 3).Draw(t, "b1")), byte(rapid.IntRange(0, 3).Draw(t, "b2")), byte(rapid.IntRange(0, 3).Draw(t, "b3"))}
		return netip.PrefixFrom(netip.AddrFrom4(b), rapid.IntRange(0, 32).Draw(t, "bits"))
	})
	rapid.Check(t, func(t *rapid.T) {
		in := rapid.SliceOfN(genPrefix, 0, 8).Draw(t, "prefixes")
		a.SetInternal(in)
		got := a.Internal()
		for i, p := range got {
			if p != p.Masked() {
				t.Fatalf("%v is not masked", p)
			}
			for j, q := range got {
				if i != j && q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
					t.Fatalf("%v is within %v: %v", p, q, got)
				}
			}
		}
		if !slices.IsSortedFunc(got, func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) }) {
			t.Fatalf("not sorted: %v", got)
		}
		contains := func(ps []netip.Prefix, x netip.Addr) bool {
			return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(x) })
		}
		for _, p := range append(slices.Clone(in), genPrefix.Draw(t, "probe")) {
			for _, x := range []netip.Addr{p.Addr(), p.Masked().Addr(), p.Addr().Next(), p.Addr().Prev()} {
				if x.IsValid() && contains(in, x) != contains(got, x) {
					t.Fatalf("%v: in %v %t, in %v %t", x, in, contains(in, x), got, contains(got, x))
				}
			}
		}
	})
}
