package model

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/slb"
)

func spec[S any](t testing.TB, o Object) *S {
	t.Helper()
	sp, err := o.DecodeSpec()
	if err != nil {
		t.Fatal(err)
	}
	return any(sp).(*S)
}

func find(objs []Object, kind Kind, name string) *Object {
	for i := range objs {
		if objs[i].Kind == kind && objs[i].Metadata.Name == name {
			return &objs[i]
		}
	}
	return nil
}

func TestAllocateVNIAndMAC(t *testing.T) {
	state := seedState(t)
	vn, _ := NewObject("tenant2", &VirtualNetworkSpec{AddressSpace: []netip.Prefix{prefix("10.2.0.0/16")},
		Subnets: []VirtualSubnet{{Name: "a", Prefix: prefix("10.2.0.0/24")}}})
	if err := Allocate(state, &vn); err != nil {
		t.Fatal(err)
	}
	if got := spec[VirtualNetworkSpec](t, vn).VNI; got != FirstAllocatedVNI {
		t.Errorf("VNI %d, want %d", got, FirstAllocatedVNI)
	}
	state = append(state, vn)
	vn3, _ := NewObject("tenant3", &VirtualNetworkSpec{})
	if err := Allocate(state, &vn3); err != nil {
		t.Fatal(err)
	}
	if got := spec[VirtualNetworkSpec](t, vn3).VNI; got != FirstAllocatedVNI+1 {
		t.Errorf("second VNI %d", got)
	}
	// Reallocating a resource ignores its own previous version.
	if err := Allocate(state, &vn); err != nil || spec[VirtualNetworkSpec](t, vn).VNI != FirstAllocatedVNI {
		t.Errorf("re-Allocate changed the VNI: %v", err)
	}

	g, _ := NewObject("gw", &GatewaySpec{Interfaces: []GatewayInterface{{Name: "a"}, {Name: "b"}}})
	if err := Allocate(state, &g); err != nil {
		t.Fatal(err)
	}
	gs := spec[GatewaySpec](t, g)
	// portalvm2 has 02:5d:fa:00:00:01.
	if a, b := gs.Interfaces[0].MAC.String(), gs.Interfaces[1].MAC.String(); a != "02:5d:fa:00:00:02" || b != "02:5d:fa:00:00:03" {
		t.Errorf("MACs %s %s", a, b)
	}
	if !gs.Interfaces[0].MAC.IsLocal() || gs.Interfaces[0].MAC.IsMulticast() {
		t.Error("allocated MAC is not locally administered unicast")
	}
}

func TestAllocateVIP(t *testing.T) {
	state := seedState(t)
	lb, _ := NewObject("web", &LoadBalancerSpec{PublicIPPool: "public", LoadBalancer: slb.LoadBalancer{
		FrontendIPConfigurations: []slb.Frontend{{Name: "a"}, {Name: "b", VIP: addr("192.168.102.11")}, {Name: "c"}}}})
	if err := Allocate(state, &lb); err != nil {
		t.Fatal(err)
	}
	fes := spec[LoadBalancerSpec](t, lb).FrontendIPConfigurations
	if fes[0].VIP != addr("192.168.102.12") || fes[2].VIP != addr("192.168.102.13") {
		t.Errorf("VIPs %v", fes)
	}
	if err := ValidateState(append(state, lb)); err != nil {
		t.Error(err)
	}

	small := edit(t, seedState(t), KindPublicIPPool, "public", func(s Spec) { s.(*PublicIPPoolSpec).End = addr("192.168.102.10") })
	lb2, _ := NewObject("web", &LoadBalancerSpec{LoadBalancer: slb.LoadBalancer{FrontendIPConfigurations: []slb.Frontend{{Name: "a"}}}})
	err := Allocate(small, &lb2)
	var ve *ValidationError
	if !errors.Is(err, ErrExhausted) || !errors.As(err, &ve) || ve.Field != "spec.frontendIPConfigurations[0].vip" {
		t.Errorf("exhausted pool: %v", err)
	}
}

func TestAllocateSNAT(t *testing.T) {
	state := seedState(t)
	lb := spec[LoadBalancerSpec](t, *find(state, KindLoadBalancer, "portal"))
	want := []SNATAllocation{
		{Rule: "outbound", DIP: addr("10.1.0.4"), VIP: addr("192.168.102.10"), FirstPort: 1024, Blocks: 128},
		{Rule: "outbound", DIP: addr("10.1.0.5"), VIP: addr("192.168.102.10"), FirstPort: 2048, Blocks: 128},
	}
	if diff := cmp.Diff(want, lb.SNATAllocations, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("seed allocations (-want +got):\n%s", diff)
	}

	// portalvm2 leaves: its ports are released; a new member reuses them
	// and portalvm1 keeps its own.
	var without []Object
	for _, o := range state {
		if o.Metadata.Name != "portalvm2" {
			without = append(without, o)
		}
	}
	lbObj := *find(without, KindLoadBalancer, "portal")
	if err := Allocate(without, &lbObj); err != nil {
		t.Fatal(err)
	}
	if got := spec[LoadBalancerSpec](t, lbObj).SNATAllocations; len(got) != 1 || got[0] != want[0] {
		t.Errorf("after portalvm2 left: %+v", got)
	}
	m, _ := ParseMAC("02:00:00:00:00:07")
	nic, _ := NewObject("portalvm3", &NetworkInterfaceSpec{VirtualNetwork: "portal-vnet", Subnet: "web", Host: "host2", MAC: m,
		Addresses: []netip.Addr{addr("10.1.0.7")}, LoadBalancerBackendPools: []BackendPoolRef{{"portal", "portal-pool"}}})
	with := append(without, nic)
	lbObj = *find(with, KindLoadBalancer, "portal")
	if err := Allocate(with, &lbObj); err != nil {
		t.Fatal(err)
	}
	got := spec[LoadBalancerSpec](t, lbObj).SNATAllocations
	if len(got) != 2 || got[0] != want[0] || got[1].DIP != addr("10.1.0.7") || got[1].FirstPort != 2048 {
		t.Errorf("after portalvm3 joined: %+v", got)
	}

	// Many ports per DIP: the allocation steps around port 8080, which
	// the inbound NAT rule receives on.
	big := edit(t, seedState(t), KindLoadBalancer, "portal", func(s Spec) {
		l := s.(*LoadBalancerSpec)
		l.OutboundRules[0].AllocatedOutboundPorts = 8000
		l.SNATAllocations = nil
	})
	lbObj = *find(big, KindLoadBalancer, "portal")
	if err := Allocate(big, &lbObj); err != nil {
		t.Fatal(err)
	}
	got = spec[LoadBalancerSpec](t, lbObj).SNATAllocations
	ports := map[netip.Addr]int{}
	for _, a := range got {
		if a.FirstPort <= 8080 && 8080 <= a.LastPort() {
			t.Errorf("allocation %+v includes the inbound port 8080", a)
		}
		ports[a.DIP] += a.Blocks * slb.SNATPortBlock
	}
	if ports[addr("10.1.0.4")] != 8000 || ports[addr("10.1.0.5")] != 8000 {
		t.Errorf("ports per DIP %v in %+v", ports, got)
	}
	if err := ValidateState(big); err != nil {
		t.Error(err)
	}
	// Deterministic and idempotent.
	again := lbObj
	if err := Allocate(big, &again); err != nil || string(again.Spec) != string(lbObj.Spec) {
		t.Errorf("second Allocate changed the spec: %v", err)
	}
}

func TestAllocateBadSpec(t *testing.T) {
	o := Object{APIVersion: APIVersion, Kind: KindHost, Spec: []byte(`{"mac":"zz"}`)}
	if err := Allocate(nil, &o); !errors.Is(err, ErrType) {
		t.Errorf("Allocate of a bad spec: %v", err)
	}
}

// TestAllocateKeepsPreviousAllocation: an update that leaves an allocated
// field empty keeps what the stored version was given.
func TestAllocateKeepsPreviousAllocation(t *testing.T) {
	objs := readSeed(t)
	if err := AllocateAll(objs); err != nil {
		t.Fatal(err)
	}
	for i, o := range objs {
		if o.Kind != KindNetworkInterface {
			continue
		}
		spec, _ := o.DecodeSpec()
		was := spec.(*NetworkInterfaceSpec).MAC
		spec.(*NetworkInterfaceSpec).MAC = MAC{}
		upd := o
		if err := upd.SetSpec(spec); err != nil {
			t.Fatal(err)
		}
		if err := Allocate(objs, &upd); err != nil {
			t.Fatal(err)
		}
		got, _ := upd.DecodeSpec()
		if got.(*NetworkInterfaceSpec).MAC != was {
			t.Errorf("%s: MAC %v after an update without one, want the stored %v", objs[i].Metadata.Name, got.(*NetworkInterfaceSpec).MAC, was)
		}
	}
}
