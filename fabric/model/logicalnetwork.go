package model

import "net/netip"

// LogicalNetworkSpec is a physical network of the datacenter, what the
// Network Controller calls a logical network: one or more IP subnets on
// VLANs, such as the provider (PA) network that carries VXLAN between
// hosts and Muxes, or the seed's 192.168.200.0/24 and 192.168.100.0/24.
// The subnets of every LogicalNetwork share one address space: no two
// overlap.
type LogicalNetworkSpec struct {
	// Provider marks the network that carries encapsulated tenant traffic
	// (the PA network). Hosts and Muxes attach to a provider network.
	Provider bool `json:"provider,omitempty"`
	// MTU is the IP MTU of the network; 0 means DefaultMTU.
	MTU     int             `json:"mtu,omitempty"`
	Subnets []LogicalSubnet `json:"subnets"`
}

// Kind returns KindLogicalNetwork.
func (LogicalNetworkSpec) Kind() Kind { return KindLogicalNetwork }

// DefaultMTU is the MTU of a network that declares none.
const DefaultMTU = 1500

// A LogicalSubnet is one IP subnet of a LogicalNetwork.
type LogicalSubnet struct {
	Name   string       `json:"name"`
	Prefix netip.Prefix `json:"prefix"` // masked: 192.168.100.0/24
	// Gateway is the subnet's default gateway, inside Prefix; zero means
	// none (a network with no way out).
	Gateway netip.Addr `json:"gateway,omitzero"`
	// VLAN is the 802.1Q VLAN ID, 1-4094; 0 means untagged.
	VLAN int `json:"vlan,omitempty"`
}

// A SubnetRef names a subnet of a LogicalNetwork. Resources embed it, so
// its fields appear in their JSON form directly.
type SubnetRef struct {
	LogicalNetwork string `json:"logicalNetwork"`
	Subnet         string `json:"subnet"`
}

// MaxVLAN is the largest 802.1Q VLAN ID.
const MaxVLAN = 4094
