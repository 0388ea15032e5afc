package model

import (
	"fmt"
	"net/netip"
)

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

func (s *LogicalNetworkSpec) validate(c checker, _ string) {
	if s.MTU != 0 && (s.MTU < 576 || s.MTU > 65535) {
		c.fail(ErrRange, "spec.mtu", "%d is outside 576-65535", s.MTU)
	}
	if len(s.Subnets) == 0 {
		c.fail(ErrRequired, "spec.subnets", "is empty")
	}
	checkNames(c, "spec.subnets", s.Subnets, func(s LogicalSubnet) string { return s.Name })
	for i, sn := range s.Subnets {
		f := fmt.Sprintf("spec.subnets[%d]", i)
		if !checkPrefix(c, f+".prefix", sn.Prefix) {
			continue
		}
		if sn.Gateway.IsValid() {
			checkInSubnet(c, f+".gateway", sn.Gateway, sn.Prefix, "subnet")
		}
		if sn.VLAN < 0 || sn.VLAN > MaxVLAN {
			c.fail(ErrRange, f+".vlan", "%d is outside 0-%d", sn.VLAN, MaxVLAN)
		}
		for j := range i {
			if o := s.Subnets[j].Prefix; o.IsValid() && o.Overlaps(sn.Prefix) {
				c.fail(ErrOverlap, f+".prefix", "%s overlaps spec.subnets[%d] (%s)", sn.Prefix, j, o)
			}
		}
	}
}

func checkSubnetRef(c checker, r SubnetRef) {
	checkRef(c, "spec.logicalNetwork", r.LogicalNetwork)
	checkRef(c, "spec.subnet", r.Subnet)
}
