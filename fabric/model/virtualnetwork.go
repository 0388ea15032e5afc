package model

import (
	"fmt"
	"net/netip"
	"slices"
)

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

// subnet returns the subnet named name.
func (s *VirtualNetworkSpec) subnet(name string) (VirtualSubnet, bool) {
	i := slices.IndexFunc(s.Subnets, func(sn VirtualSubnet) bool { return sn.Name == name })
	if i < 0 {
		return VirtualSubnet{}, false
	}
	return s.Subnets[i], true
}

// GatewayAddr returns the subnet's gateway: Gateway, or the first
// address after the network address.
func (s VirtualSubnet) GatewayAddr() netip.Addr {
	if s.Gateway.IsValid() {
		return s.Gateway
	}
	return s.Prefix.Masked().Addr().Next()
}

func (s *VirtualNetworkSpec) validate(c checker, _ string) {
	if s.VNI == 0 {
		c.fail(ErrRequired, "spec.vni", "is 0 (Allocate fills it)")
	} else if s.VNI > MaxVNI {
		c.fail(ErrRange, "spec.vni", "%d does not fit in 24 bits", s.VNI)
	}
	if len(s.AddressSpace) == 0 {
		c.fail(ErrRequired, "spec.addressSpace", "is empty")
	}
	for i, p := range s.AddressSpace {
		f := fmt.Sprintf("spec.addressSpace[%d]", i)
		if !checkPrefix(c, f, p) {
			continue
		}
		for j := range i {
			if o := s.AddressSpace[j]; o.IsValid() && o.Overlaps(p) {
				c.fail(ErrOverlap, f, "%s overlaps spec.addressSpace[%d] (%s)", p, j, o)
			}
		}
	}
	if len(s.Subnets) == 0 {
		c.fail(ErrRequired, "spec.subnets", "is empty")
	}
	checkNames(c, "spec.subnets", s.Subnets, func(s VirtualSubnet) string { return s.Name })
	for i, sn := range s.Subnets {
		f := fmt.Sprintf("spec.subnets[%d]", i)
		if !checkPrefix(c, f+".prefix", sn.Prefix) {
			continue
		}
		inSpace := false
		for _, p := range s.AddressSpace {
			if p.IsValid() && p.Bits() <= sn.Prefix.Bits() && p.Contains(sn.Prefix.Addr()) {
				inSpace = true
			}
		}
		if !inSpace {
			c.fail(ErrOutside, f+".prefix", "%s is not inside spec.addressSpace", sn.Prefix)
		}
		checkInSubnet(c, f+".gateway", sn.GatewayAddr(), sn.Prefix, "subnet")
		for j := range i {
			if o := s.Subnets[j].Prefix; o.IsValid() && o.Overlaps(sn.Prefix) {
				c.fail(ErrOverlap, f+".prefix", "%s overlaps spec.subnets[%d] (%s)", sn.Prefix, j, o)
			}
		}
	}
}
