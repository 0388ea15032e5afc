package model

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/slb"
)

// NetworkInterfaceSpec is a machine's NIC. A tenant VM's NIC is on a
// VirtualNetwork subnet and on a Host, whose virtual switch enforces its
// endpoints; a plain machine's NIC (the seed's ClientVM) is on a
// LogicalNetwork subnet and needs no Host. Exactly one of VirtualNetwork
// and LogicalNetwork is set.
//
// Endpoints are the NIC's "outer security wrapper": inbound traffic is
// allowed only to an Input endpoint (from anywhere, through the load
// balancer) or an Internal endpoint (from the other NICs of the same
// Service); everything else inbound is denied. Replies of the NIC's own
// connections are always allowed.
type NetworkInterfaceSpec struct {
	VirtualNetwork string `json:"virtualNetwork,omitempty"`
	LogicalNetwork string `json:"logicalNetwork,omitempty"`
	Subnet         string `json:"subnet"`
	// Host names the Host whose virtual switch the NIC plugs into;
	// required on a VirtualNetwork.
	Host string `json:"host,omitempty"`
	// MAC is static when set; zero means "allocate one".
	MAC MAC `json:"mac,omitzero"`
	// Addresses are the NIC's addresses in its subnet (customer
	// addresses on a VirtualNetwork); the first is the primary.
	Addresses []netip.Addr `json:"addresses"`
	// Gateway overrides the subnet's gateway as the NIC's default route;
	// zero means the subnet's.
	Gateway netip.Addr `json:"gateway,omitzero"`
	// Service groups the NICs whose Internal endpoints are open to each
	// other (the instances of one role).
	Service   string     `json:"service,omitempty"`
	Endpoints []Endpoint `json:"endpoints,omitempty"`
	// LoadBalancerBackendPools puts the NIC's primary address in backend
	// pools, as an Azure NIC's ipConfiguration does: the controller fills
	// the pool's DIPs, host PAs and VNI from its members.
	LoadBalancerBackendPools []BackendPoolRef `json:"loadBalancerBackendPools,omitempty"`
}

// Kind returns KindNetworkInterface.
func (NetworkInterfaceSpec) Kind() Kind { return KindNetworkInterface }

// EndpointType says who may reach an endpoint.
type EndpointType string

// The endpoint types of the seed's role model.
const (
	// EndpointInput is reachable from outside through the load balancer:
	// PublicPort on a VIP of LoadBalancer goes to Port on the NIC.
	EndpointInput EndpointType = "Input"
	// EndpointInternal is reachable on Port only from the other NICs of
	// the same Service.
	EndpointInternal EndpointType = "Internal"
)

// An Endpoint opens one port of a NIC inbound.
type Endpoint struct {
	Name     string       `json:"name"`
	Type     EndpointType `json:"type"`
	Protocol slb.Protocol `json:"protocol"` // Tcp, Udp or All
	// Port is the private port on the NIC, 1-65535.
	Port int `json:"port"`
	// PublicPort and LoadBalancer are set for an Input endpoint: a
	// load-balancing or inbound NAT rule of LoadBalancer must carry
	// PublicPort to Port of this NIC.
	PublicPort   int    `json:"publicPort,omitempty"`
	LoadBalancer string `json:"loadBalancer,omitempty"`
}

// A BackendPoolRef names a backend pool of a LoadBalancer.
type BackendPoolRef struct {
	LoadBalancer string `json:"loadBalancer"`
	Pool         string `json:"pool"`
}

// NetworkInterfaceStatus is what the host agent reports for a NIC.
type NetworkInterfaceStatus struct {
	ObservedGeneration int64             `json:"observedGeneration,omitempty"`
	Connected          bool              `json:"connected"`
	Counters           map[string]uint64 `json:"counters,omitempty"`
}

func (s *NetworkInterfaceSpec) validate(c checker, _ string) {
	switch {
	case s.VirtualNetwork == "" && s.LogicalNetwork == "":
		c.fail(ErrRequired, "spec.virtualNetwork", "neither virtualNetwork nor logicalNetwork is set")
	case s.VirtualNetwork != "" && s.LogicalNetwork != "":
		c.fail(ErrConflict, "spec.logicalNetwork", "set either virtualNetwork or logicalNetwork")
	case s.VirtualNetwork != "" && s.Host == "":
		c.fail(ErrRequired, "spec.host", "is empty: a NIC on a virtual network plugs into a host's virtual switch")
	}
	checkRef(c, "spec.subnet", s.Subnet)
	checkMAC(c, "spec.mac", s.MAC)
	if len(s.Addresses) == 0 {
		c.fail(ErrRequired, "spec.addresses", "is empty")
	}
	for i, a := range s.Addresses {
		f := fmt.Sprintf("spec.addresses[%d]", i)
		if checkUnicast(c, f, a) && slices.Index(s.Addresses, a) < i {
			c.fail(ErrDuplicate, f, "%s is listed twice", a)
		}
	}
	if s.Gateway.IsValid() {
		checkUnicast(c, "spec.gateway", s.Gateway)
	}
	if s.Service != "" {
		checkName(c, "spec.service", s.Service)
	}
	checkNames(c, "spec.endpoints", s.Endpoints, func(e Endpoint) string { return e.Name })
	for i, e := range s.Endpoints {
		f := fmt.Sprintf("spec.endpoints[%d]", i)
		switch e.Protocol {
		case slb.ProtocolTCP, slb.ProtocolUDP, slb.ProtocolAll:
		case "":
			c.fail(ErrRequired, f+".protocol", "is empty")
		default:
			c.fail(ErrInvalid, f+".protocol", "%q is not Tcp, Udp or All", e.Protocol)
		}
		checkPort(c, f+".port", e.Port)
		switch e.Type {
		case EndpointInput:
			checkPort(c, f+".publicPort", e.PublicPort)
			checkRef(c, f+".loadBalancer", e.LoadBalancer)
		case EndpointInternal:
			if e.PublicPort != 0 || e.LoadBalancer != "" {
				c.fail(ErrConflict, f, "an Internal endpoint has no publicPort or loadBalancer")
			}
			if s.Service == "" {
				c.fail(ErrRequired, "spec.service", "is empty, but Internal endpoint %q is open to the service's instances", e.Name)
			}
		case "":
			c.fail(ErrRequired, f+".type", "is empty")
		default:
			c.fail(ErrInvalid, f+".type", "%q is not Input or Internal", e.Type)
		}
	}
	for i, r := range s.LoadBalancerBackendPools {
		f := fmt.Sprintf("spec.loadBalancerBackendPools[%d]", i)
		checkRef(c, f+".loadBalancer", r.LoadBalancer)
		checkRef(c, f+".pool", r.Pool)
		if slices.Index(s.LoadBalancerBackendPools, r) < i {
			c.fail(ErrDuplicate, f, "pool %s/%s is listed twice", r.LoadBalancer, r.Pool)
		}
	}
	if len(s.LoadBalancerBackendPools) > 0 && s.VirtualNetwork == "" {
		c.fail(ErrInvalid, "spec.loadBalancerBackendPools", "only a NIC on a virtual network can be a load balancer backend")
	}
}
