package model

import (
	"net/netip"

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
