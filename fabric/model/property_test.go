package model

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/sdnfabric/sdnfabric/slb"
	"pgregory.net/rapid"
)

// A change turns a state into a candidate: it returns the candidate and
// the resource it added or modified ("" when it deleted one).
type change func(t *rapid.T, objs []Object) ([]Object, Kind, string)

func genAddr(t *rapid.T, label string, bases ...string) netip.Addr {
	base := netip.MustParseAddr(rapid.SampledFrom(bases).Draw(t, label+"-base")).As4()
	base[3] = byte(rapid.IntRange(0, 20).Draw(t, label+"-host"))
	return netip.AddrFrom4(base)
}

func genMAC(t *rapid.T) MAC {
	if rapid.Bool().Draw(t, "allocate-mac") {
		return MAC{}
	}
	return MAC{0x02, 0x5d, 0xfa, 0, 0, byte(rapid.IntRange(0, 4).Draw(t, "mac"))}
}

func modify(objs []Object, kind Kind, name string, fn func(Spec)) ([]Object, Kind, string) {
	o := find(objs, kind, name)
	if o == nil {
		return objs, "", ""
	}
	sp, err := o.DecodeSpec()
	if err != nil {
		return objs, "", ""
	}
	fn(sp)
	if o.SetSpec(sp) != nil {
		return objs, "", ""
	}
	return objs, kind, name
}

func names(objs []Object, kind Kind) []string {
	var out []string
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o.Metadata.Name)
		}
	}
	return out
}

var changes = map[string]change{
	"nic-address": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		ns := names(objs, KindNetworkInterface)
		if len(ns) == 0 {
			return objs, "", ""
		}
		n := rapid.SampledFrom(ns).Draw(t, "nic")
		a := genAddr(t, "nic-addr", "10.1.0.0", "10.1.1.0", "192.168.200.0")
		return modify(objs, KindNetworkInterface, n, func(s Spec) { s.(*NetworkInterfaceSpec).Addresses = []netip.Addr{a} })
	},
	"add-nic": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		name := fmt.Sprintf("vm%d", rapid.IntRange(0, 5).Draw(t, "vm"))
		sp := &NetworkInterfaceSpec{MAC: genMAC(t), Addresses: []netip.Addr{genAddr(t, "addr", "10.1.0.0", "192.168.200.0")}}
		if rapid.Bool().Draw(t, "tenant") {
			sp.VirtualNetwork, sp.Subnet = rapid.SampledFrom([]string{"portal-vnet", "vnet2"}).Draw(t, "vnet"), "web"
			sp.Host = rapid.SampledFrom([]string{"host1", "host2", "host9"}).Draw(t, "host")
			if rapid.Bool().Draw(t, "in-pool") {
				sp.LoadBalancerBackendPools = []BackendPoolRef{{LoadBalancer: "portal", Pool: "portal-pool"}}
				sp.Endpoints = []Endpoint{{Name: "http", Type: EndpointInput, Protocol: slb.ProtocolTCP, Port: 80,
					PublicPort: rapid.SampledFrom([]int{80, 81}).Draw(t, "public"), LoadBalancer: "portal"}}
			}
		} else {
			sp.LogicalNetwork, sp.Subnet = "external", "external"
		}
		o, _ := NewObject(name, sp)
		objs = slices.DeleteFunc(objs, func(x Object) bool { return x.Kind == KindNetworkInterface && x.Metadata.Name == name })
		return append(objs, o), KindNetworkInterface, name
	},
	"delete": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		if len(objs) == 0 {
			return objs, "", ""
		}
		i := rapid.IntRange(0, len(objs)-1).Draw(t, "victim")
		return slices.Delete(objs, i, i+1), "", ""
	},
	"add-vnet": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		vni := rapid.SampledFrom([]uint32{0, 5001, 5002, FirstAllocatedVNI}).Draw(t, "vni")
		space := rapid.SampledFrom([]string{"10.1.0.0/16", "10.2.0.0/16", "10.2.0.0/24"}).Draw(t, "space")
		o, _ := NewObject("vnet2", &VirtualNetworkSpec{VNI: vni, AddressSpace: []netip.Prefix{netip.MustParsePrefix(space)},
			Subnets: []VirtualSubnet{{Name: "web", Prefix: netip.MustParsePrefix("10.1.0.0/24")}}})
		objs = slices.DeleteFunc(objs, func(x Object) bool { return x.Kind == KindVirtualNetwork && x.Metadata.Name == "vnet2" })
		return append(objs, o), KindVirtualNetwork, "vnet2"
	},
	"add-network": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		p := rapid.SampledFrom([]string{"192.168.200.128/25", "172.16.0.0/24", "192.168.0.0/16", "192.168.102.0/28"}).Draw(t, "prefix")
		name := rapid.SampledFrom([]string{"extra", "provider"}).Draw(t, "ln")
		o, _ := NewObject(name, &LogicalNetworkSpec{Subnets: []LogicalSubnet{{Name: "s", Prefix: netip.MustParsePrefix(p)}}})
		objs = slices.DeleteFunc(objs, func(x Object) bool { return x.Kind == KindLogicalNetwork && x.Metadata.Name == name })
		return append(objs, o), KindLogicalNetwork, name
	},
	"add-pool": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		p := rapid.SampledFrom([]string{"198.51.100.0/24", "192.168.102.0/25", "192.168.100.0/24"}).Draw(t, "prefix")
		o, _ := NewObject("pool2", &PublicIPPoolSpec{Prefix: netip.MustParsePrefix(p)})
		objs = slices.DeleteFunc(objs, func(x Object) bool { return x.Kind == KindPublicIPPool && x.Metadata.Name == "pool2" })
		return append(objs, o), KindPublicIPPool, "pool2"
	},
	"lb-vip": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		var vip netip.Addr
		if rapid.Bool().Draw(t, "allocate-vip") {
			vip = genAddr(t, "vip", "192.168.102.0", "198.51.100.0")
		}
		return modify(objs, KindLoadBalancer, "portal", func(s Spec) {
			if lb := s.(*LoadBalancerSpec); len(lb.FrontendIPConfigurations) > 0 {
				lb.FrontendIPConfigurations[0].VIP = vip
				lb.SNATAllocations = nil
			}
		})
	},
	"lb-port": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		port := rapid.SampledFrom([]int{80, 8080, 1030, 0, 70000}).Draw(t, "port")
		return modify(objs, KindLoadBalancer, "portal", func(s Spec) {
			if lb := s.(*LoadBalancerSpec); len(lb.LoadBalancingRules) > 0 {
				lb.LoadBalancingRules[0].FrontendPort = port
			}
		})
	},
	"host-pa": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		h := rapid.SampledFrom([]string{"host1", "host2"}).Draw(t, "host")
		a := genAddr(t, "pa", "192.168.100.0", "192.168.101.0")
		return modify(objs, KindHost, h, func(s Spec) { s.(*HostSpec).ProviderAddress = a })
	},
	"nat-forward": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		a := genAddr(t, "ext", "203.0.113.0")
		return modify(objs, KindGateway, "natvm", func(s Spec) {
			if n := s.(*GatewaySpec).NAT; n != nil && len(n.PortForwards) > 0 {
				n.PortForwards[0].ExternalAddress = a
			}
		})
	},
	"peer-asn": func(t *rapid.T, objs []Object) ([]Object, Kind, string) {
		asn := rapid.SampledFrom([]uint32{64512, 64513, 0}).Draw(t, "asn")
		return modify(objs, KindMux, "mux1", func(s Spec) {
			if m := s.(*MuxSpec); len(m.Peers) > 0 {
				m.Peers[0].ASN = asn
			}
		})
	},
}

// TestValidatedUpdates applies random valid and invalid changes to the
// seed, each through Allocate and a ValidateState guard as the
// controller does, and checks that the state kept always validates and
// that every refusal is made of typed errors naming a resource.
func TestValidatedUpdates(t *testing.T) {
	seed := seedState(t)
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	accepted, refused := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		state := slices.Clone(seed)
		for step := range rapid.IntRange(1, 8).Draw(t, "steps") {
			op := rapid.SampledFrom(keys).Draw(t, fmt.Sprintf("op%d", step))
			cand, kind, name := changes[op](t, slices.Clone(state))
			var err error
			if kind != "" {
				err = Allocate(cand, find(cand, kind, name))
			}
			if err == nil {
				err = ValidateState(cand)
			}
			if err != nil {
				refused++
				ps := problems(err)
				if len(ps) == 0 {
					var de *DecodeError
					if !errors.As(err, &de) {
						t.Fatalf("%s: refusal without a typed error: %v", op, err)
					}
				}
				for _, p := range ps {
					if p.Kind == "" || p.Name == "" && !errors.Is(p, ErrRequired) {
						t.Fatalf("%s: %v names no resource", op, p)
					}
				}
				continue
			}
			accepted++
			state = cand
		}
		if err := ValidateState(state); err != nil {
			t.Fatalf("the kept state does not validate: %v", err)
		}
		var discard []error
		for _, lb := range index(state, &discard).LoadBalancerConfigs() {
			if err := lb.Validate(); err != nil {
				t.Fatalf("resolved load balancer %s: %v", lb.Name, err)
			}
		}
	})
	if accepted == 0 || refused == 0 {
		t.Errorf("%d changes accepted, %d refused: the generator does not reach both", accepted, refused)
	}
	t.Logf("%d changes accepted, %d refused", accepted, refused)
}
