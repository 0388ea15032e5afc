package model

import "net/netip"

// VirtualNetworkSpec is a tenant network: customer addresses (CAs) that
// travel between hosts and Muxes in VXLAN with the network's VNI. Tenant
// networks are isolated from each other, so two VirtualNetworks may use
// the same addresses.
type VirtualNetworkSpec struct {
	// VNI is the VXLAN network identifier (RFC 7348), 1 to 2^24-1; 0
	// means "allocate one" (see Allocate).
	VNI uint32 `json:"vni,omitempty"`
	// AddressSpace holds the network's prefixes; every subnet lies in one.
	AddressSpace []netip.Prefix  `json:"addressSpace"`
	Subnets      []VirtualSubnet `json:"subnets"`
}

// Kind returns KindVirtualNetwork.
func (VirtualNetworkSpec) Kind() Kind { return KindVirtualNetwork }

// MaxVNI is the largest VXLAN network identifier.
const MaxVNI = 1<<24 - 1

// A VirtualSubnet is one subnet of a VirtualNetwork.
type VirtualSubnet struct {
	Name   string       `json:"name"`
	Prefix netip.Prefix `json:"prefix"`
	// Gateway is the distributed router's address on the subnet, which
	// every host's virtual switch answers for; zero means the first
	// address after the subnet's network address (10.1.0.1 in 10.1.0.0/24).
	Gateway netip.Addr `json:"gateway,omitzero"`
}

// GatewayAddr returns the subnet's gateway: Gateway, or the first
// address after the network address.
func (s VirtualSubnet) GatewayAddr() netip.Addr {
	if s.Gateway.IsValid() {
		return s.Gateway
	}
	return s.Prefix.Masked().Addr().Next()
}
