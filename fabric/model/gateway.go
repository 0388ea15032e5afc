package model

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/sdnfabric/sdnfabric/slb"
)

// GatewaySpec is a multi-armed gateway between LogicalNetworks, after
// RRAS: a router (connected routes, static routes and BGP) and, when
// NAT is set, a NAT between internal and external interfaces. The seed's
// BGPVM is a router that peers with the Mux; its NATVM is a NAT.
type GatewaySpec struct {
	// Roles says what the gateway does: "Router", "NAT" or both. A NAT
	// gateway also routes.
	Roles      []GatewayRole      `json:"roles"`
	Interfaces []GatewayInterface `json:"interfaces"`
	Routes     []StaticRoute      `json:"routes,omitempty"`
	BGP        *GatewayBGP        `json:"bgp,omitempty"`
	NAT        *GatewayNAT        `json:"nat,omitempty"`
}

// Kind returns KindGateway.
func (GatewaySpec) Kind() Kind { return KindGateway }

// GatewayRole is one function of a gateway.
type GatewayRole string

// The gateway roles.
const (
	RoleRouter GatewayRole = "Router"
	RoleNAT    GatewayRole = "NAT"
)

// HasRole reports whether the gateway has role r.
func (g GatewaySpec) HasRole(r GatewayRole) bool {
	for _, x := range g.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// A GatewayInterface is one arm of a gateway, on a LogicalNetwork subnet.
type GatewayInterface struct {
	Name string `json:"name"`
	SubnetRef
	Address netip.Addr `json:"address"`
	// MAC is zero for "allocate one".
	MAC MAC `json:"mac,omitzero"`
}

// A StaticRoute sends Prefix to NextHop, an address on one of the
// gateway's connected subnets.
type StaticRoute struct {
	Prefix  netip.Prefix `json:"prefix"`
	NextHop netip.Addr   `json:"nextHop"`
	Metric  int          `json:"metric,omitempty"`
}

// GatewayBGP is the gateway's BGP speaker. Routes learned from the peers
// (the Muxes' VIPs) are installed in the forwarding table, ECMP across
// peers that announce the same prefix.
type GatewayBGP struct {
	ASN      uint32     `json:"asn"`
	RouterID netip.Addr `json:"routerID,omitzero"` // zero means the first interface's address
	Peers    []BGPPeer  `json:"peers"`
}

// GatewayNAT is a NAPT (RFC 3022) from the Internal interfaces to the
// External one, with static port forwards from outside in.
type GatewayNAT struct {
	External string   `json:"external"` // an interface name
	Internal []string `json:"internal"` // interface names
	// ExternalAddresses is the NAT's address pool; empty means the
	// External interface's address. Every port forward's external
	// address must be in it.
	ExternalAddresses []netip.Addr     `json:"externalAddresses,omitempty"`
	PortForwards      []NATPortForward `json:"portForwards,omitempty"`
}

// Pool returns the NAT's external addresses, given the gateway's
// interfaces.
func (n GatewayNAT) Pool(ifaces []GatewayInterface) []netip.Addr {
	if len(n.ExternalAddresses) > 0 {
		return n.ExternalAddresses
	}
	for _, i := range ifaces {
		if i.Name == n.External {
			return []netip.Addr{i.Address}
		}
	}
	return nil
}

// A NATPortForward sends ExternalAddress:ExternalPort to
// InternalAddress:InternalPort.
type NATPortForward struct {
	Name            string       `json:"name"`
	Protocol        slb.Protocol `json:"protocol"`                 // Tcp or Udp
	ExternalAddress netip.Addr   `json:"externalAddress,omitzero"` // zero means the pool's first
	ExternalPort    int          `json:"externalPort"`
	InternalAddress netip.Addr   `json:"internalAddress"`
	InternalPort    int          `json:"internalPort"`
}

// GatewayStatus is what a gateway agent reports back.
type GatewayStatus struct {
	ObservedGeneration int64           `json:"observedGeneration,omitempty"`
	Peers              []BGPPeerStatus `json:"peers,omitempty"`
	// Routes lists the forwarding table's BGP-learned prefixes.
	Routes        []netip.Prefix    `json:"routes,omitempty"`
	NATSessions   int               `json:"natSessions,omitempty"`
	LastHeartbeat time.Time         `json:"lastHeartbeat,omitzero"`
	Counters      map[string]uint64 `json:"counters,omitempty"`
	Message       string            `json:"message,omitempty"`
}

func (s *GatewaySpec) validate(c checker, _ string) {
	if len(s.Roles) == 0 {
		c.fail(ErrRequired, "spec.roles", "is empty")
	}
	for i, r := range s.Roles {
		f := fmt.Sprintf("spec.roles[%d]", i)
		switch {
		case r != RoleRouter && r != RoleNAT:
			c.fail(ErrInvalid, f, "%q is not Router or NAT", r)
		case slices.Index(s.Roles, r) < i:
			c.fail(ErrDuplicate, f, "%q is listed twice", r)
		}
	}
	if len(s.Interfaces) == 0 {
		c.fail(ErrRequired, "spec.interfaces", "is empty")
	}
	checkNames(c, "spec.interfaces", s.Interfaces, func(i GatewayInterface) string { return i.Name })
	for i, ifc := range s.Interfaces {
		f := fmt.Sprintf("spec.interfaces[%d]", i)
		checkRef(c, f+".logicalNetwork", ifc.LogicalNetwork)
		checkRef(c, f+".subnet", ifc.Subnet)
		if checkUnicast(c, f+".address", ifc.Address) && slices.IndexFunc(s.Interfaces, func(o GatewayInterface) bool { return o.Address == ifc.Address }) < i {
			c.fail(ErrDuplicate, f+".address", "%s is also the address of another interface", ifc.Address)
		}
		checkMAC(c, f+".mac", ifc.MAC)
	}
	for i, r := range s.Routes {
		f := fmt.Sprintf("spec.routes[%d]", i)
		checkPrefix(c, f+".prefix", r.Prefix)
		if checkUnicast(c, f+".nextHop", r.NextHop) && r.Prefix.IsValid() && r.NextHop.Is4() != r.Prefix.Addr().Is4() {
			c.fail(ErrInvalid, f+".nextHop", "%s is not of the address family of %s", r.NextHop, r.Prefix)
		}
		if r.Metric < 0 {
			c.fail(ErrRange, f+".metric", "%d is negative", r.Metric)
		}
		if slices.IndexFunc(s.Routes, func(o StaticRoute) bool { return o.Prefix == r.Prefix && o.NextHop == r.NextHop }) < i {
			c.fail(ErrDuplicate, f, "route %s via %s is listed twice", r.Prefix, r.NextHop)
		}
	}
	if b := s.BGP; b != nil {
		checkASN(c, "spec.bgp.asn", b.ASN)
		var first netip.Addr
		if len(s.Interfaces) > 0 {
			first = s.Interfaces[0].Address
		}
		checkRouterID(c, "spec.bgp.routerID", b.RouterID, first)
		checkPeers(c, "spec.bgp.peers", b.Peers)
	}
	switch {
	case s.NAT != nil && !s.HasRole(RoleNAT):
		c.fail(ErrConflict, "spec.nat", "is set but roles has no NAT")
	case s.NAT == nil && s.HasRole(RoleNAT):
		c.fail(ErrRequired, "spec.nat", "is empty but roles has NAT")
	case s.NAT != nil:
		s.validateNAT(c)
	}
}

func (s *GatewaySpec) validateNAT(c checker) {
	n := s.NAT
	iface := func(name string) int {
		return slices.IndexFunc(s.Interfaces, func(i GatewayInterface) bool { return i.Name == name })
	}
	if checkRef(c, "spec.nat.external", n.External) && iface(n.External) < 0 {
		c.fail(ErrNotFound, "spec.nat.external", "%q is not an interface", n.External)
	}
	if len(n.Internal) == 0 {
		c.fail(ErrRequired, "spec.nat.internal", "is empty")
	}
	for i, name := range n.Internal {
		f := fmt.Sprintf("spec.nat.internal[%d]", i)
		switch {
		case iface(name) < 0:
			c.fail(ErrNotFound, f, "%q is not an interface", name)
		case name == n.External:
			c.fail(ErrConflict, f, "%q is the external interface", name)
		case slices.Index(n.Internal, name) < i:
			c.fail(ErrDuplicate, f, "%q is listed twice", name)
		}
	}
	for i, a := range n.ExternalAddresses {
		f := fmt.Sprintf("spec.nat.externalAddresses[%d]", i)
		if checkUnicast(c, f, a) && slices.Index(n.ExternalAddresses, a) < i {
			c.fail(ErrDuplicate, f, "%s is listed twice", a)
		}
	}
	pool := n.Pool(s.Interfaces)
	checkNames(c, "spec.nat.portForwards", n.PortForwards, func(p NATPortForward) string { return p.Name })
	type key struct {
		addr  netip.Addr
		proto slb.Protocol
		port  int
	}
	seen := map[key]int{}
	for i, pf := range n.PortForwards {
		f := fmt.Sprintf("spec.nat.portForwards[%d]", i)
		if pf.Protocol != slb.ProtocolTCP && pf.Protocol != slb.ProtocolUDP {
			c.fail(ErrInvalid, f+".protocol", "%q is not Tcp or Udp", pf.Protocol)
		}
		checkPort(c, f+".externalPort", pf.ExternalPort)
		checkPort(c, f+".internalPort", pf.InternalPort)
		checkUnicast(c, f+".internalAddress", pf.InternalAddress)
		ext := pf.ExternalAddress
		if !ext.IsValid() && len(pool) > 0 {
			ext = pool[0]
		}
		if pf.ExternalAddress.IsValid() && !slices.Contains(pool, pf.ExternalAddress) {
			c.fail(ErrOutside, f+".externalAddress", "%s is not in the NAT's pool %v", pf.ExternalAddress, pool)
			continue
		}
		k := key{ext, pf.Protocol, pf.ExternalPort}
		if j, dup := seen[k]; dup {
			c.fail(ErrDuplicate, f+".externalPort", "%s port %d of %s is also forwarded by spec.nat.portForwards[%d]", pf.Protocol, pf.ExternalPort, ext, j)
		}
		seen[k] = i
	}
}
