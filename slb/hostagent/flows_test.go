package hostagent_test

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// TestFlowsMove: DIP B moves from host2 to host1, where DIP A is too (a
// live migration). Host2's flows of B, handed to host1, keep reaching B
// there although host1 would pick among A and B for a flow it did not
// know, and B's replies leave as the VIP's right port, 80 or 8080, which
// without the flows would be ambiguous (both rules deliver to B's port
// 80). The other DIPs' flows stay behind, also those of another tenant's
// VM on host2 with B's address.
func TestFlowsMove(t *testing.T) {
	old := newAgent(t, host2, nil, portal(), otherTenant())
	var flows []flow
	for sp := range uint16(16) {
		flows = append(flows, flow{Src: ap(client4, 40000+sp), Dst: ap(vip4, 80), Proto: 6, Flags: header.TCPFlagSYN})
	}
	flows = append(flows, flow{Src: ap(client4, 41000), Dst: ap(vip4, 8080), Proto: 6, Flags: header.TCPFlagSYN})
	for _, f := range flows {
		exchange(t, old, dipB, f, ap(dipB, 80))
	}
	exchange(t, old, dipC, flow{Src: ap(client4, 42000), Dst: ap(vip4, 80), Proto: 6}, ap(dipC, 80))
	other := flow{Src: ap(client4, 43000), Dst: ap(vipOther, 80), Proto: 6, Flags: header.TCPFlagSYN}
	if r, err := old.Inbound(build(t, other), otherVNI, dipB); err != nil || r.Verdict != hostagent.Deliver {
		t.Fatalf("the other tenant's flow: %+v, %v", r, err)
	}
	wantOther := []hostagent.Flow{{VNI: otherVNI, Protocol: 6, Client: other.Src, Frontend: other.Dst, DIP: dipB}}
	if d := cmp.Diff(wantOther, old.Flows(otherVNI, dipB), addrCmp); d != "" {
		t.Errorf("Flows of the other tenant's VM (-want +got):\n%s", d)
	}

	got := old.Flows(vni, dipB)
	var want []hostagent.Flow
	for _, f := range flows {
		want = append(want, hostagent.Flow{VNI: vni, Protocol: 6, Client: f.Src, Frontend: f.Dst, DIP: dipB})
	}
	byClient := cmpopts.SortSlices(func(a, b hostagent.Flow) bool { return a.Client.Compare(b.Client) < 0 })
	if d := cmp.Diff(want, got, byClient, addrCmp); d != "" {
		t.Fatalf("Flows(B) (-want +got):\n%s", d)
	}

	moved := portal()
	for i, b := range moved.BackendAddressPools[0].Backends {
		if b.DIP == dipB {
			moved.BackendAddressPools[0].Backends[i].HostPA = host1
		}
	}
	dst := newAgent(t, host1, nil, moved)
	if n, err := dst.AddFlows(got...); n != len(got) || err != nil {
		t.Fatalf("AddFlows: %d of %d added, %v", n, len(got), err)
	}
	for _, f := range flows {
		f.Flags = header.TCPFlagACK
		rin, _ := exchange(t, dst, netip.Addr{}, f, ap(dipB, 80))
		if rin.Reason != hostagent.ReasonFlow {
			t.Errorf("%v after the move: %+v, want the established flow", f.Src, rin)
		}
	}
	if n, err := dst.AddFlows(got...); n != 0 || err != nil {
		t.Errorf("AddFlows again: %d added, %v; want none, the flows are there", n, err)
	}
	if st := dst.Stats(); st.Flows != len(got) {
		t.Errorf("%d flows on the new host, want %d", st.Flows, len(got))
	}
	// DIP C stayed on host2: host1 has no rule delivering to it.
	c := hostagent.Flow{VNI: vni, Protocol: 6, Client: ap(client4, 42000), Frontend: ap(vip4, 80), DIP: dipC}
	if n, err := dst.AddFlows(c); n != 0 || !errors.Is(err, hostagent.ErrNoLocalRule) {
		t.Errorf("AddFlows of a DIP that is not local: %d, %v; want ErrNoLocalRule", n, err)
	}
	if fs := old.Flows(vni, dipC); !slices.ContainsFunc(fs, func(f hostagent.Flow) bool { return f == c }) {
		t.Errorf("Flows(C) = %v, want %v", fs, c)
	}
}
