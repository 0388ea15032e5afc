package runtime

import (
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
)

// Topology is what the runtime builds: L2 networks, gateways (routers and
// NATs), Muxes, hosts with their virtual switches, machines and load
// balancers. Seed returns the seed's; FromModel builds one from the fabric
// model's resources.
type Topology struct {
	Name          string
	Networks      []Network
	Gateways      []Gateway
	Muxes         []Mux
	Hosts         []Host
	Machines      []Machine
	LoadBalancers []slb.LoadBalancer
	// Outside is the server on the external network that PortalVMs reach
	// through SNAT, the router and the NAT (zero: none).
	Outside *Machine
}

// Network is one L2 segment (a netsim.Switch).
type Network struct {
	Name   string
	Prefix netip.Prefix
}

// Interface is one NIC of a gateway on a network.
type Interface struct {
	Name    string
	Network string
	Addr    netip.Prefix // address and subnet
	MAC     header.MAC
}

// StaticRoute sends Prefix to NextHop.
type StaticRoute struct {
	Prefix  netip.Prefix
	NextHop netip.Addr
}

// Peer is a BGP neighbour.
type Peer struct {
	Name string
	Addr netip.Addr
	ASN  uint32
}

// GatewayBGP is a gateway's BGP speaker; it runs on the interface whose
// address is Source.
type GatewayBGP struct {
	ASN    uint32
	Source netip.Addr
	Peers  []Peer
}

// NATConfig is a gateway's NAPT from its Internal interfaces to External.
type NATConfig struct {
	External string // interface name
	Forwards []PortForward
}

// PortForward sends TCP to External on the NAT's external address to
// Internal.
type PortForward struct {
	External netip.AddrPort
	Internal netip.AddrPort
}

// Gateway is an RRAS machine: the seed's BGPVM (a router with a BGP
// speaker) or NATVM (a router with NAT).
type Gateway struct {
	Name       string
	Interfaces []Interface
	Routes     []StaticRoute
	BGP        *GatewayBGP
	NAT        *NATConfig
}

// Mux is an SLB Mux on a provider network, with its BGP speaker.
type Mux struct {
	Name    string
	Network string
	Addr    netip.Prefix
	MAC     header.MAC
	Gateway netip.Addr
	ASN     uint32
	Peers   []Peer
}

// Host is a hypervisor host: a virtual switch with an uplink on a
// provider network at PA.
type Host struct {
	Name    string
	Network string
	PA      netip.Prefix
	MAC     header.MAC
	Gateway netip.Addr // the provider network's router, where DSR replies go
}

// Role says what a machine runs.
type Role string

// Machine roles.
const (
	RoleClient    Role = "client"     // an HTTP client
	RoleWebServer Role = "web-server" // answers HTTP with its own name
)

// Endpoint is an open port of a machine behind a host's ACL: an Input
// endpoint (reached through the load balancer), or an Internal one (open to
// the machine's virtual network only).
type Endpoint struct {
	Name     string
	Proto    uint8 // header.ProtocolTCP or header.ProtocolUDP
	Port     uint16
	Internal bool
}

// Machine is a guest: a VM on a host's virtual switch (Host set, in the
// virtual network VNI) or a machine plugged into a network directly.
type Machine struct {
	Name      string
	Host      string
	Network   string // when Host is empty
	VNI       uint32
	Addr      netip.Prefix
	Gateway   netip.Addr
	MAC       header.MAC
	Role      Role
	Endpoints []Endpoint
}

func mac(last byte) header.MAC { return header.MAC{0x02, 0x5d, 0, 0, 0, last} }

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

// Seed returns the seed topology: ClientVM on 192.168.200.0/24 with the
// NATVM as its gateway (outside world on 203.0.113.0/24 behind the NAT);
// the BGPVM two-armed between 192.168.200.0/24 and the provider network
// 192.168.100.0/24, peering with the MuxVM; two hosts on the provider
// network; the Portal service with VIP 192.168.102.10 and two PortalVMs in
// the tenant network 10.10.0.0/24 (VNI 5001), one per host.
func Seed() *Topology {
	const vni = 5001
	vip := addr("192.168.102.10")
	web := []Endpoint{{Name: "http", Proto: header.ProtocolTCP, Port: 80}}
	return &Topology{
		Name: "seed",
		Networks: []Network{
			{Name: "external", Prefix: pfx("203.0.113.0/24")},
			{Name: "client", Prefix: pfx("192.168.200.0/24")},
			{Name: "provider", Prefix: pfx("192.168.100.0/24")},
		},
		Gateways: []Gateway{
			{
				Name: "NATVM",
				Interfaces: []Interface{
					{Name: "external", Network: "external", Addr: pfx("203.0.113.1/24"), MAC: mac(0x01)},
					{Name: "internal", Network: "client", Addr: pfx("192.168.200.1/24"), MAC: mac(0x02)},
				},
				Routes: []StaticRoute{
					{Prefix: pfx("192.168.100.0/24"), NextHop: addr("192.168.200.2")},
					{Prefix: pfx("192.168.102.0/24"), NextHop: addr("192.168.200.2")},
				},
				NAT: &NATConfig{
					External: "external",
					Forwards: []PortForward{{
						External: netip.MustParseAddrPort("203.0.113.1:80"),
						Internal: netip.AddrPortFrom(vip, 80),
					}},
				},
			},
			{
				Name: "BGPVM",
				Interfaces: []Interface{
					{Name: "client", Network: "client", Addr: pfx("192.168.200.2/24"), MAC: mac(0x03)},
					{Name: "provider", Network: "provider", Addr: pfx("192.168.100.1/24"), MAC: mac(0x04)},
				},
				Routes: []StaticRoute{{Prefix: pfx("0.0.0.0/0"), NextHop: addr("192.168.200.1")}},
				BGP: &GatewayBGP{ASN: 64512, Source: addr("192.168.100.1"), Peers: []Peer{
					{Name: "MuxVM", Addr: addr("192.168.100.20"), ASN: 64513},
				}},
			},
		},
		Muxes: []Mux{{
			Name: "MuxVM", Network: "provider", Addr: pfx("192.168.100.20/24"), MAC: mac(0x05),
			Gateway: addr("192.168.100.1"), ASN: 64513,
			Peers: []Peer{{Name: "BGPVM", Addr: addr("192.168.100.1"), ASN: 64512}},
		}},
		Hosts: []Host{
			{Name: "Host1", Network: "provider", PA: pfx("192.168.100.31/24"), MAC: mac(0x11), Gateway: addr("192.168.100.1")},
			{Name: "Host2", Network: "provider", PA: pfx("192.168.100.32/24"), MAC: mac(0x12), Gateway: addr("192.168.100.1")},
		},
		Machines: []Machine{
			{Name: "ClientVM", Network: "client", Addr: pfx("192.168.200.10/24"), Gateway: addr("192.168.200.1"), MAC: mac(0x20), Role: RoleClient},
			{Name: "PortalVM1", Host: "Host1", VNI: vni, Addr: pfx("10.10.0.11/24"), Gateway: addr("10.10.0.1"), MAC: mac(0x21), Role: RoleWebServer,
				Endpoints: web},
			{Name: "PortalVM2", Host: "Host2", VNI: vni, Addr: pfx("10.10.0.12/24"), Gateway: addr("10.10.0.1"), MAC: mac(0x22), Role: RoleWebServer,
				Endpoints: web},
		},
		Outside: &Machine{Name: "Internet", Network: "external", Addr: pfx("203.0.113.100/24"), Gateway: addr("203.0.113.1"), MAC: mac(0x30), Role: RoleWebServer,
			Endpoints: web},
		LoadBalancers: []slb.LoadBalancer{{
			Name:                     "Portal",
			FrontendIPConfigurations: []slb.Frontend{{Name: "portal", VIP: vip}},
			BackendAddressPools: []slb.BackendPool{{Name: "portal", VNI: vni, Backends: []slb.Backend{
				{Name: "PortalVM1", DIP: addr("10.10.0.11"), HostPA: addr("192.168.100.31")},
				{Name: "PortalVM2", DIP: addr("10.10.0.12"), HostPA: addr("192.168.100.32")},
			}}},
			Probes: []slb.Probe{{Name: "http", Protocol: slb.ProbeHTTP, Port: 80, RequestPath: "/", IntervalInSeconds: 5}},
			LoadBalancingRules: []slb.LoadBalancingRule{{
				Name: "http", Frontend: "portal", BackendPool: "portal", Probe: "http",
				Protocol: slb.ProtocolTCP, FrontendPort: 80, BackendPort: 80,
			}},
			InboundNatRules: []slb.InboundNatRule{{
				Name: "input-8080", Frontend: "portal", BackendPool: "portal", Protocol: slb.ProtocolTCP,
				FrontendPort: 8080, DIP: addr("10.10.0.11"), BackendPort: 80,
			}},
			OutboundRules: []slb.OutboundRule{{
				Name: "outbound", Frontends: []string{"portal"}, BackendPool: "portal", Protocol: slb.ProtocolTCP,
				AllocatedOutboundPorts: 64,
			}},
		}},
	}
}
