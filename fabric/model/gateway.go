package model

import (
	"net/netip"
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
