package model

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"testing"

	"github.com/sdnfabric/sdnfabric/slb"
)

func BenchmarkDecode(b *testing.B) {
	yml, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		b.Fatal(err)
	}
	objs, err := Decode(yml)
	if err != nil {
		b.Fatal(err)
	}
	var js bytes.Buffer
	if err := EncodeJSON(&js, objs); err != nil {
		b.Fatal(err)
	}
	for _, in := range []struct {
		name string
		data []byte
	}{{"yaml", yml}, {"json", js.Bytes()}} {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				if _, err := Decode(in.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// bigState is the seed plus n NICs in the Portal pool, each with an
// Input endpoint.
func bigState(b *testing.B, n int) []Object {
	objs := seedState(b)
	objs = edit(b, objs, KindVirtualNetwork, "portal-vnet", func(s Spec) {
		v := s.(*VirtualNetworkSpec)
		v.Subnets = append(v.Subnets, VirtualSubnet{Name: "web2", Prefix: netip.MustParsePrefix("10.1.16.0/20")})
	})
	objs = edit(b, objs, KindLoadBalancer, "portal", func(s Spec) {
		lb := s.(*LoadBalancerSpec)
		lb.OutboundRules[0].AllocatedOutboundPorts = 0 // share the VIP's ports
		lb.SNATAllocations = nil
	})
	for i := range n {
		a := netip.AddrFrom4([4]byte{10, 1, byte(16 + i/250), byte(2 + i%250)})
		objs = add(b, objs, fmt.Sprintf("n%d", i), &NetworkInterfaceSpec{VirtualNetwork: "portal-vnet", Subnet: "web2", Host: "host1",
			Addresses: []netip.Addr{a}, Service: "portal",
			Endpoints:                []Endpoint{{Name: "http", Type: EndpointInput, Protocol: slb.ProtocolTCP, Port: 80, PublicPort: 80, LoadBalancer: "portal"}},
			LoadBalancerBackendPools: []BackendPoolRef{{"portal", "portal-pool"}}})
	}
	if err := AllocateAll(objs); err != nil {
		b.Fatal(err)
	}
	return objs
}

func BenchmarkValidateState(b *testing.B) {
	for _, n := range []int{0, 1000} {
		objs := bigState(b, n)
		b.Run(fmt.Sprintf("seed+%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := ValidateState(objs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAllocateAll(b *testing.B) {
	objs := bigState(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := AllocateAll(objs); err != nil {
			b.Fatal(err)
		}
	}
}
