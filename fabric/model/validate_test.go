package model

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/sdnfabric/sdnfabric/provision"
	"github.com/sdnfabric/sdnfabric/slb"
)

// seedState returns the seed's resources, allocated.
func seedState(t testing.TB) []Object {
	t.Helper()
	s, err := NewState(readSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	return s.Objects()
}

// edit applies fn to the spec of kind/name in objs.
func edit(t testing.TB, objs []Object, kind Kind, name string, fn func(Spec)) []Object {
	t.Helper()
	for i := range objs {
		if objs[i].Kind == kind && objs[i].Metadata.Name == name {
			spec, err := objs[i].DecodeSpec()
			if err != nil {
				t.Fatal(err)
			}
			fn(spec)
			if err := objs[i].SetSpec(spec); err != nil {
				t.Fatal(err)
			}
			return objs
		}
	}
	t.Fatalf("no %s/%s", kind, name)
	return nil
}

func add(t testing.TB, objs []Object, name string, spec Spec) []Object {
	t.Helper()
	o, err := NewObject(name, spec)
	if err != nil {
		t.Fatal(err)
	}
	return append(objs, o)
}

// problems returns the *ValidationError values joined in err.
func problems(err error) []*ValidationError {
	var out []*ValidationError
	var walk func(error)
	walk = func(e error) {
		var ve *ValidationError
		if errors.As(e, &ve) && ve == e {
			out = append(out, ve)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

func addr(s string) netip.Addr     { return netip.MustParseAddr(s) }
func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestValidateStateRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(t testing.TB, objs []Object) []Object
		kind   Kind
		object string
		field  string
		err    error
	}{
		{"subnets overlap within a logical network", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLogicalNetwork, "provider", func(s Spec) {
				ln := s.(*LogicalNetworkSpec)
				ln.Subnets = append(ln.Subnets, LogicalSubnet{Name: "b", Prefix: prefix("192.168.100.128/25")})
			})
		}, KindLogicalNetwork, "provider", "spec.subnets[1].prefix", ErrOverlap},
		{"subnets overlap across logical networks", func(t testing.TB, o []Object) []Object {
			return add(t, o, "other", &LogicalNetworkSpec{Subnets: []LogicalSubnet{{Name: "x", Prefix: prefix("192.168.200.128/25")}}})
		}, KindLogicalNetwork, "other", "spec.subnets[0].prefix", ErrOverlap},
		{"public IP pool overlaps a logical subnet", func(t testing.TB, o []Object) []Object {
			return add(t, o, "zpool", &PublicIPPoolSpec{Prefix: prefix("203.0.113.128/25")})
		}, KindPublicIPPool, "zpool", "spec.prefix", ErrOverlap},
		{"prefix with host bits", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindPublicIPPool, "public", func(s Spec) { s.(*PublicIPPoolSpec).Prefix = prefix("192.168.102.1/24") })
		}, KindPublicIPPool, "public", "spec.prefix", ErrInvalid},
		{"pool without a prefix", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindPublicIPPool, "public", func(s Spec) { s.(*PublicIPPoolSpec).Prefix = netip.Prefix{} })
		}, KindPublicIPPool, "public", "spec.prefix", ErrRequired},
		{"list too long", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "clientvm", func(s Spec) {
				s.(*NetworkInterfaceSpec).Addresses = make([]netip.Addr, MaxItems+1)
			})
		}, KindNetworkInterface, "clientvm", "spec.addresses", ErrRange},
		{"gateway outside its subnet", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLogicalNetwork, "external", func(s Spec) { s.(*LogicalNetworkSpec).Subnets[0].Gateway = addr("10.0.0.1") })
		}, KindLogicalNetwork, "external", "spec.subnets[0].gateway", ErrOutside},
		{"VLAN out of range", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLogicalNetwork, "external", func(s Spec) { s.(*LogicalNetworkSpec).Subnets[0].VLAN = 4095 })
		}, KindLogicalNetwork, "external", "spec.subnets[0].vlan", ErrRange},
		{"duplicate VNI", func(t testing.TB, o []Object) []Object {
			return add(t, o, "other", &VirtualNetworkSpec{VNI: 5001, AddressSpace: []netip.Prefix{prefix("10.1.0.0/16")},
				Subnets: []VirtualSubnet{{Name: "s", Prefix: prefix("10.1.0.0/24")}}})
		}, KindVirtualNetwork, "portal-vnet", "spec.vni", ErrDuplicate},
		{"VNI too large", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindVirtualNetwork, "portal-vnet", func(s Spec) { s.(*VirtualNetworkSpec).VNI = 1 << 24 })
		}, KindVirtualNetwork, "portal-vnet", "spec.vni", ErrRange},
		{"virtual subnet outside the address space", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindVirtualNetwork, "portal-vnet", func(s Spec) {
				vn := s.(*VirtualNetworkSpec)
				vn.Subnets = append(vn.Subnets, VirtualSubnet{Name: "db", Prefix: prefix("10.2.0.0/24")})
			})
		}, KindVirtualNetwork, "portal-vnet", "spec.subnets[1].prefix", ErrOutside},
		{"duplicate MAC", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) { s.(*NetworkInterfaceSpec).MAC, _ = ParseMAC("02:5d:01:01:00:04") })
		}, KindNetworkInterface, "portalvm2", "spec.mac", ErrDuplicate},
		{"duplicate MAC across kinds", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindMux, "mux1", func(s Spec) { s.(*MuxSpec).MAC, _ = ParseMAC("02:5d:00:64:00:15") })
		}, KindMux, "mux1", "spec.mac", ErrDuplicate},
		{"multicast MAC", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindHost, "host1", func(s Spec) { s.(*HostSpec).MAC, _ = ParseMAC("03:00:00:00:00:01") })
		}, KindHost, "host1", "spec.mac", ErrInvalid},
		{"missing MAC", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindMux, "mux1", func(s Spec) { s.(*MuxSpec).MAC = MAC{} })
		}, KindMux, "mux1", "spec.mac", ErrRequired},
		{"duplicate PA", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindHost, "host2", func(s Spec) { s.(*HostSpec).ProviderAddress = addr("192.168.100.21") })
		}, KindHost, "host2", "spec.providerAddress", ErrDuplicate},
		{"PA is the subnet's gateway", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindHost, "host2", func(s Spec) { s.(*HostSpec).ProviderAddress = addr("192.168.100.1") })
		}, KindHost, "host2", "spec.providerAddress", ErrConflict},
		{"PA outside its subnet", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindHost, "host2", func(s Spec) { s.(*HostSpec).ProviderAddress = addr("192.168.101.22") })
		}, KindHost, "host2", "spec.providerAddress", ErrOutside},
		{"host on a network that is not a provider network", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindHost, "host2", func(s Spec) {
				h := s.(*HostSpec)
				h.SubnetRef, h.ProviderAddress = SubnetRef{"external", "external"}, addr("192.168.200.22")
			})
		}, KindHost, "host2", "spec.logicalNetwork", ErrInvalid},
		{"host on a missing network", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindHost, "host2", func(s Spec) { s.(*HostSpec).LogicalNetwork = "pa" })
		}, KindHost, "host2", "spec.logicalNetwork", ErrNotFound},
		{"host on a missing subnet", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindHost, "host2", func(s Spec) { s.(*HostSpec).Subnet = "provider" })
		}, KindHost, "host2", "spec.subnet", ErrNotFound},
		{"duplicate VIP", func(t testing.TB, o []Object) []Object {
			return add(t, o, "zportal", &LoadBalancerSpec{LoadBalancer: slb.LoadBalancer{
				FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: addr("192.168.102.10")}}}})
		}, KindLoadBalancer, "zportal", "spec.frontendIPConfigurations[0].vip", ErrDuplicate},
		{"VIP outside its pool", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLoadBalancer, "portal", func(s Spec) {
				lb := s.(*LoadBalancerSpec)
				lb.FrontendIPConfigurations[0].VIP = addr("192.168.102.5")
				lb.SNATAllocations = nil
			})
		}, KindLoadBalancer, "portal", "spec.frontendIPConfigurations[0].vip", ErrOutside},
		{"VIP in no pool", func(t testing.TB, o []Object) []Object {
			return add(t, o, "zportal", &LoadBalancerSpec{LoadBalancer: slb.LoadBalancer{
				FrontendIPConfigurations: []slb.Frontend{{Name: "fe", VIP: addr("198.51.100.1")}}}})
		}, KindLoadBalancer, "zportal", "spec.frontendIPConfigurations[0].vip", ErrOutside},
		{"missing public IP pool", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLoadBalancer, "portal", func(s Spec) { s.(*LoadBalancerSpec).PublicIPPool = "private" })
		}, KindLoadBalancer, "portal", "spec.publicIPPool", ErrNotFound},
		{"slb rule error with its path", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLoadBalancer, "portal", func(s Spec) { s.(*LoadBalancerSpec).LoadBalancingRules[0].FrontendPort = 70000 })
		}, KindLoadBalancer, "portal", "spec.loadBalancingRules[0].frontendPort", ErrRange},
		{"NAT rule to a DIP outside its pool", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLoadBalancer, "portal", func(s Spec) { s.(*LoadBalancerSpec).InboundNatRules[0].DIP = addr("10.1.0.99") })
		}, KindLoadBalancer, "portal", "spec.inboundNatRules[0].dip", ErrNotFound},
		{"SNAT allocations overlap", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLoadBalancer, "portal", func(s Spec) { s.(*LoadBalancerSpec).SNATAllocations[1].FirstPort = 1024 })
		}, KindLoadBalancer, "portal", "spec.snatAllocations[1]", ErrOverlap},
		{"SNAT allocation on an inbound port", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLoadBalancer, "portal", func(s Spec) {
				lb := s.(*LoadBalancerSpec)
				lb.SNATAllocations[1].FirstPort, lb.SNATAllocations[1].Blocks = 8080, 1
			})
		}, KindLoadBalancer, "portal", "spec.snatAllocations[1]", ErrConflict},
		{"SNAT allocation off a block boundary", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindLoadBalancer, "portal", func(s Spec) { s.(*LoadBalancerSpec).SNATAllocations[1].FirstPort = 40001 })
		}, KindLoadBalancer, "portal", "spec.snatAllocations[1].firstPort", ErrRange},
		{"BGP peer ASN disagrees with the gateway", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindMux, "mux1", func(s Spec) { s.(*MuxSpec).Peers[0].ASN = 64999 })
		}, KindMux, "mux1", "spec.peers[0].asn", ErrConflict},
		{"BGP peer address disagrees with the mux", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindGateway, "bgpvm", func(s Spec) { s.(*GatewaySpec).BGP.Peers[0].Address = addr("192.168.100.11") })
		}, KindGateway, "bgpvm", "spec.bgp.peers[0].address", ErrConflict},
		{"BGP peer names a missing gateway", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindMux, "mux1", func(s Spec) { s.(*MuxSpec).Peers[0].Gateway = "router" })
		}, KindMux, "mux1", "spec.peers[0].gateway", ErrNotFound},
		{"BGP session configured on one side only", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindGateway, "bgpvm", func(s Spec) {
				g := s.(*GatewaySpec)
				g.BGP.Peers[0].Address, g.BGP.Peers[0].Mux = addr("192.168.100.11"), ""
			})
		}, KindMux, "mux1", "spec.peers[0].gateway", ErrConflict},
		{"AS_TRANS", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindMux, "mux1", func(s Spec) { s.(*MuxSpec).ASN = 23456 })
		}, KindMux, "mux1", "spec.asn", ErrInvalid},
		{"NAT port forward outside its pool", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindGateway, "natvm", func(s Spec) { s.(*GatewaySpec).NAT.PortForwards[0].ExternalAddress = addr("203.0.113.99") })
		}, KindGateway, "natvm", "spec.nat.portForwards[0].externalAddress", ErrOutside},
		{"NAT port forwarded twice", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindGateway, "natvm", func(s Spec) {
				n := s.(*GatewaySpec).NAT
				n.PortForwards = append(n.PortForwards, NATPortForward{Name: "again", Protocol: slb.ProtocolTCP, ExternalAddress: addr("203.0.113.2"),
					ExternalPort: 80, InternalAddress: addr("192.168.200.10"), InternalPort: 80})
			})
		}, KindGateway, "natvm", "spec.nat.portForwards[1].externalPort", ErrDuplicate},
		{"NAT role without a NAT", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindGateway, "natvm", func(s Spec) { s.(*GatewaySpec).NAT = nil })
		}, KindGateway, "natvm", "spec.nat", ErrRequired},
		{"static route via an unreachable next hop", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindGateway, "bgpvm", func(s Spec) { s.(*GatewaySpec).Routes[0].NextHop = addr("203.0.113.2") })
		}, KindGateway, "bgpvm", "spec.routes[0].nextHop", ErrOutside},
		{"NIC address outside its subnet", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) { s.(*NetworkInterfaceSpec).Addresses[0] = addr("10.1.1.5") })
		}, KindNetworkInterface, "portalvm2", "spec.addresses[0]", ErrOutside},
		{"NIC address is the subnet's gateway", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) { s.(*NetworkInterfaceSpec).Addresses[0] = addr("10.1.0.1") })
		}, KindNetworkInterface, "portalvm2", "spec.addresses[0]", ErrConflict},
		{"duplicate customer address", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) { s.(*NetworkInterfaceSpec).Addresses[0] = addr("10.1.0.4") })
		}, KindNetworkInterface, "portalvm2", "spec.addresses[0]", ErrDuplicate},
		{"duplicate address on a logical network", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "clientvm", func(s Spec) { s.(*NetworkInterfaceSpec).Addresses[0] = addr("192.168.200.2") })
		}, KindNetworkInterface, "clientvm", "spec.addresses[0]", ErrDuplicate},
		{"pool member's problem named on the pool", func(t testing.TB, o []Object) []Object {
			m, _ := ParseMAC("02:00:00:00:00:33")
			return add(t, o, "portalvm3", &NetworkInterfaceSpec{VirtualNetwork: "portal-vnet", Subnet: "web", Host: "host1", MAC: m,
				Addresses: []netip.Addr{addr("10.1.0.4")}, Service: "portal",
				Endpoints:                []Endpoint{{Name: "http", Type: EndpointInput, Protocol: slb.ProtocolTCP, Port: 80, PublicPort: 80, LoadBalancer: "portal"}},
				LoadBalancerBackendPools: []BackendPoolRef{{"portal", "portal-pool"}}})
		}, KindLoadBalancer, "portal", "spec.backendAddressPools[0]", ErrDuplicate},
		{"NIC on a missing host", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) { s.(*NetworkInterfaceSpec).Host = "host9" })
		}, KindNetworkInterface, "portalvm2", "spec.host", ErrNotFound},
		{"NIC on a missing virtual network", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) { s.(*NetworkInterfaceSpec).VirtualNetwork = "vnet9" })
		}, KindNetworkInterface, "portalvm2", "spec.virtualNetwork", ErrNotFound},
		{"NIC in a missing backend pool", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) { s.(*NetworkInterfaceSpec).LoadBalancerBackendPools[0].Pool = "db" })
		}, KindNetworkInterface, "portalvm2", "spec.loadBalancerBackendPools[0].pool", ErrNotFound},
		{"Input endpoint no rule serves", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) {
				n := s.(*NetworkInterfaceSpec)
				n.Endpoints = append(n.Endpoints, Endpoint{Name: "alt", Type: EndpointInput, Protocol: slb.ProtocolTCP, Port: 80, PublicPort: 8081, LoadBalancer: "portal"})
			})
		}, KindNetworkInterface, "portalvm2", "spec.endpoints[2]", ErrNotFound},
		{"LB rule to a port the NIC does not open", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) {
				n := s.(*NetworkInterfaceSpec)
				n.Endpoints = n.Endpoints[1:] // no "http"
			})
		}, KindLoadBalancer, "portal", "spec.loadBalancingRules[0]", ErrConflict},
		{"NAT rule to a port the NIC does not open", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm1", func(s Spec) {
				n := s.(*NetworkInterfaceSpec)
				n.Endpoints = slices.DeleteFunc(n.Endpoints, func(e Endpoint) bool { return e.Name == "http-direct" })
			})
		}, KindLoadBalancer, "portal", "spec.inboundNatRules[0]", ErrConflict},
		{"Internal endpoint without a service", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "portalvm2", func(s Spec) { s.(*NetworkInterfaceSpec).Service = "" })
		}, KindNetworkInterface, "portalvm2", "spec.service", ErrRequired},
		{"plain machine in a backend pool", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindNetworkInterface, "clientvm", func(s Spec) {
				s.(*NetworkInterfaceSpec).LoadBalancerBackendPools = []BackendPoolRef{{LoadBalancer: "portal", Pool: "portal-pool"}}
			})
		}, KindNetworkInterface, "clientvm", "spec.loadBalancerBackendPools", ErrInvalid},
		{"catalog of a specialized image", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindCatalog, "portal", func(s Spec) { s.(*CatalogSpec).Image.Kind = "specialized" })
		}, KindCatalog, "portal", "spec.image.kind", ErrInvalid},
		{"catalog on a missing subnet", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindCatalog, "portal", func(s Spec) { s.(*CatalogSpec).Subnet = "db" })
		}, KindCatalog, "portal", "spec.subnet", ErrNotFound},
		{"catalog reserving outside its subnet", func(t testing.TB, o []Object) []Object {
			return edit(t, o, KindCatalog, "portal", func(s Spec) { s.(*CatalogSpec).Reserved = []netip.Addr{addr("10.9.0.1")} })
		}, KindCatalog, "portal", "spec", ErrInvalid},
		{"bad name", func(t testing.TB, o []Object) []Object {
			return add(t, o, "bad name", &PublicIPPoolSpec{Prefix: prefix("198.51.100.0/24")})
		}, KindPublicIPPool, "bad name", "metadata.name", ErrInvalid},
		{"resource defined twice", func(t testing.TB, o []Object) []Object {
			return add(t, o, "public", &PublicIPPoolSpec{Prefix: prefix("198.51.100.0/24")})
		}, KindPublicIPPool, "public", "metadata.name", ErrDuplicate},
		{"event of an unknown kind", func(t testing.TB, o []Object) []Object {
			return add(t, o, "e1", &EventSpec{Type: EventWarning, Reason: "X", Object: ObjectRef{Kind: "Nope", Name: "x"}})
		}, KindEvent, "e1", "spec.object.kind", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := tt.change(t, seedState(t))
			err := ValidateState(objs)
			ps := problems(err)
			for _, p := range ps {
				if p.Kind == tt.kind && p.Name == tt.object && p.Field == tt.field {
					if !errors.Is(p, tt.err) {
						t.Errorf("%v does not wrap %v", p, tt.err)
					}
					if !errors.Is(err, tt.err) {
						t.Errorf("the joined error does not wrap %v", tt.err)
					}
					if !strings.HasPrefix(p.Error(), string(tt.kind)+"/"+tt.object+": "+tt.field+": ") {
						t.Errorf("message %q does not start with the resource and field", p)
					}
					return
				}
			}
			t.Errorf("no problem at %s/%s %s among:\n%v", tt.kind, tt.object, tt.field, err)
		})
	}
}

func TestValidationCauses(t *testing.T) {
	objs := edit(t, seedState(t), KindLoadBalancer, "portal", func(s Spec) { s.(*LoadBalancerSpec).LoadBalancingRules[0].FrontendPort = 70000 })
	err := ValidateState(objs)
	var fe *slb.FieldError
	if !errors.As(err, &fe) || fe.Path != "loadBalancingRules[0].frontendPort" || !errors.Is(err, slb.ErrRange) {
		t.Errorf("slb cause not kept: %v", err)
	}
	objs = edit(t, seedState(t), KindCatalog, "portal", func(s Spec) { s.(*CatalogSpec).Image.Kind = "specialized" })
	if err := ValidateState(objs); !errors.Is(err, provision.ErrSpecializedImage) {
		t.Errorf("provision cause not kept: %v", err)
	}
}

func TestValidateStateAllowsIsolatedReuse(t *testing.T) {
	// Another tenant may use the same customer addresses on its own VNI.
	objs := add(t, seedState(t), "other", &VirtualNetworkSpec{VNI: 6000, AddressSpace: []netip.Prefix{prefix("10.1.0.0/16")},
		Subnets: []VirtualSubnet{{Name: "web", Prefix: prefix("10.1.0.0/24")}}})
	m, _ := ParseMAC("02:00:00:00:00:99")
	objs = add(t, objs, "other-vm", &NetworkInterfaceSpec{VirtualNetwork: "other", Subnet: "web", Host: "host1", MAC: m, Addresses: []netip.Addr{addr("10.1.0.4")}})
	if err := ValidateState(objs); err != nil {
		t.Fatal(err)
	}
}

func TestValidateObject(t *testing.T) {
	for _, o := range seedState(t) {
		if err := ValidateObject(&o); err != nil {
			t.Errorf("%s/%s: %v", o.Kind, o.Metadata.Name, err)
		}
	}
	// The seed as written leaves portalvm2's MAC to Allocate.
	for _, o := range readSeed(t) {
		err := ValidateObject(&o)
		if o.Metadata.Name == "portalvm2" {
			if !errors.Is(err, ErrRequired) {
				t.Errorf("portalvm2 without a MAC: %v", err)
			}
		} else if err != nil {
			t.Errorf("%s/%s: %v", o.Kind, o.Metadata.Name, err)
		}
	}
	o := Object{APIVersion: "v0", Kind: KindHost, Metadata: Metadata{Name: "-h"}, Spec: []byte(`{"providerAddress":"nope"}`)}
	ps := problems(ValidateObject(&o))
	var fields []string
	for _, p := range ps {
		fields = append(fields, p.Field)
	}
	if got := strings.Join(fields, " "); got != "apiVersion metadata.name spec.providerAddress" {
		t.Errorf("fields %q", got)
	}
}

// A host's health entries name their DIP's virtual network: a VNI of 24
// bits, not 0, and one entry per (VNI, DIP); two tenants' DIPs of one
// address are two entries.
func TestValidateHostStatusHealth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status string
		want   error
		field  string
	}{
		{"two VNIs, one address", `{"health":[{"vni":5001,"dip":"10.1.0.4","up":true},{"vni":6001,"dip":"10.1.0.4","up":false}]}`, nil, ""},
		{"no VNI", `{"health":[{"dip":"10.1.0.4","up":true}]}`, ErrRequired, "status.health[0].vni"},
		{"VNI too large", `{"health":[{"vni":16777216,"dip":"10.1.0.4","up":true}]}`, ErrRange, "status.health[0].vni"},
		{"twice in one VNI", `{"health":[{"vni":5001,"dip":"10.1.0.4","up":true},{"vni":5001,"dip":"10.1.0.4","up":false}]}`, ErrDuplicate, "status.health[1]"},
		{"no address", `{"health":[{"vni":5001,"up":true}]}`, ErrRequired, "status.health[0].dip"},
		{"too many entries", `{"health":[` + strings.Repeat(`{"vni":5001,"dip":"10.1.0.4","up":true},`, MaxItems) + `{"vni":5001,"dip":"10.1.0.4","up":true}]}`, ErrRange, "status.health"},
		{"probe VNI too large", `{"probes":[{"loadBalancer":"l","probe":"p","vni":16777216,"dip":"10.1.0.4","healthy":true}]}`, ErrRange, "status.probes[0].vni"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Object{APIVersion: APIVersion, Kind: KindHost, Metadata: Metadata{Name: "h"},
				Spec: []byte(`{"subnet":"s","providerAddress":"192.168.100.21","logicalNetwork":"provider"}`), Status: []byte(tc.status)}
			err := ValidateObject(&o)
			var got []string
			for _, p := range problems(err) {
				if strings.HasPrefix(p.Field, "status") {
					got = append(got, p.Field)
					if !errors.Is(p, tc.want) {
						t.Errorf("%s: %v, want %v", p.Field, p, tc.want)
					}
				}
			}
			want := []string(nil)
			if tc.field != "" {
				want = []string{tc.field}
			}
			if !slices.Equal(got, want) {
				t.Errorf("problems in %v, want %v (%v)", got, want, err)
			}
		})
	}
}
