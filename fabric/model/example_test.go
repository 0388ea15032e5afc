package model_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/sdnfabric/sdnfabric/fabric/model"
)

func ExampleDecode() {
	objs, err := model.Decode([]byte(`
apiVersion: sdnfabric.io/v1
kind: VirtualNetwork
metadata:
  name: portal-vnet
spec:
  vni: 5001
  addressSpace: [10.1.0.0/16]
  subnets:
    - name: web
      prefix: 10.1.0.0/24
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, _ := objs[0].DecodeSpec()
	vn := spec.(*model.VirtualNetworkSpec)
	fmt.Println(objs[0].Kind, objs[0].Metadata.Name, vn.VNI, vn.Subnets[0].GatewayAddr())

	// Strict: a misspelt field is an error naming its path and line.
	_, err = model.Decode([]byte("apiVersion: sdnfabric.io/v1\nkind: VirtualNetwork\nmetadata: {name: v}\nspec:\n  vnii: 5001\n"))
	fmt.Println(err)
	fmt.Println(errors.Is(err, model.ErrUnknownField))
	// Output:
	// VirtualNetwork portal-vnet 5001 10.1.0.1
	// model: document 1: line 5: spec.vnii: unknown field
	// true
}

func ExampleEncodeYAML() {
	host, _ := model.NewObject("host1", &model.HostSpec{
		SubnetRef:       model.SubnetRef{LogicalNetwork: "provider", Subnet: "pa"},
		ProviderAddress: mustAddr("192.168.100.21"),
	})
	if err := model.EncodeYAML(os.Stdout, []model.Object{host}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// apiVersion: sdnfabric.io/v1
	// kind: Host
	// metadata:
	//   name: host1
	// spec:
	//   logicalNetwork: provider
	//   subnet: pa
	//   providerAddress: 192.168.100.21
}

func ExampleValidateState() {
	pool, _ := model.NewObject("public", &model.PublicIPPoolSpec{Prefix: mustPrefix("192.168.102.0/24")})
	ln, _ := model.NewObject("provider", &model.LogicalNetworkSpec{Provider: true,
		Subnets: []model.LogicalSubnet{{Name: "pa", Prefix: mustPrefix("192.168.0.0/16"), Gateway: mustAddr("192.168.0.1")}}})
	err := model.ValidateState([]model.Object{pool, ln})
	fmt.Println(err)
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Kind, ve.Name, ve.Field, errors.Is(err, model.ErrOverlap))
	}
	// Output:
	// PublicIPPool/public: spec.prefix: 192.168.102.0/24 overlaps 192.168.0.0/16 of LogicalNetwork/provider
	// PublicIPPool public spec.prefix true
}

func ExampleAllocate() {
	state, _ := model.Decode([]byte(`
apiVersion: sdnfabric.io/v1
kind: PublicIPPool
metadata: {name: public}
spec: {prefix: 192.168.102.0/24, start: 192.168.102.10}
`))
	lb, _ := model.Decode([]byte(`
apiVersion: sdnfabric.io/v1
kind: LoadBalancer
metadata: {name: web}
spec:
  publicIPPool: public
  frontendIPConfigurations: [{name: fe}]
`))
	if err := model.Allocate(state, &lb[0]); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(lb[0].Spec))
	// Output:
	// {"frontendIPConfigurations":[{"name":"fe","vip":"192.168.102.10"}],"publicIPPool":"public"}
}

func ExampleNewState() {
	f, err := os.Open("../examples/seed.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	objs, err := model.ReadFile(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := model.NewState(objs)
	if err != nil {
		fmt.Println(err)
		return
	}
	lb, _ := s.LoadBalancerConfig("portal")
	pool := lb.BackendAddressPools[0]
	fmt.Println("VIP", lb.FrontendIPConfigurations[0].VIP, "VNI", pool.VNI)
	for _, b := range pool.Backends {
		fmt.Println(" backend", b.Name, b.DIP, "on", b.HostPA)
	}
	for _, a := range s.SNATAllocations("portal") {
		fmt.Printf(" SNAT %s -> %s ports %d-%d\n", a.DIP, a.VIP, a.FirstPort, a.LastPort())
	}
	for h, host := range s.Hosts() {
		fmt.Println(h, host.ProviderAddress, strings.Join(s.InterfacesOn(h), ","))
	}
	nic, _ := s.NetworkInterface("portalvm2")
	fmt.Println("portalvm2 MAC", nic.MAC, "internal peers", s.ServicePeers("portalvm2"))
	// Output:
	// VIP 192.168.102.10 VNI 5001
	//  backend portalvm1 10.1.0.4 on 192.168.100.21
	//  backend portalvm2 10.1.0.5 on 192.168.100.22
	//  SNAT 10.1.0.4 -> 192.168.102.10 ports 1024-2047
	//  SNAT 10.1.0.5 -> 192.168.102.10 ports 2048-3071
	// host1 192.168.100.21 portalvm1
	// host2 192.168.100.22 portalvm2
	// portalvm2 MAC 02:5d:fa:00:00:01 internal peers [10.1.0.4]
}
func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }
