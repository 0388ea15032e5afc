// Package vswitch is a host's virtual switch, after Microsoft's Virtual
// Filtering Platform (VFP, Firestone, NSDI 2017): ports for the guests'
// vNICs, an uplink to the provider network, and ordered match-action layers
// that every packet crosses, in one order from a vNIC to the uplink and in
// the reverse order from the uplink to a vNIC:
//
//		from a vNIC:  offload -> ACL -> SLB -> VNet -> uplink (or another vNIC)
//		to a vNIC:    VNet -> SLB -> ACL -> vNIC
//
//	  - Offload: each vNIC's task offloads done in software. A guest whose vNIC
//	    offers large send offload hands the switch TCP segments beyond its MTU
//	    with partial checksums; the switch segments them (package
//	    offload/gso, through offload.Pipeline) and fills in the checksums
//	    before anything else looks at them.
//	  - ACL: the endpoints of each vNIC, the seed's "outer security wrapper".
//	    An Input endpoint opens a private port to traffic the load balancer
//	    delivers (a public port on the VIP); an Internal endpoint opens a port
//	    to the other instances of the same virtual network. Replies to flows
//	    the guest opened are allowed (the layer is stateful); everything else
//	    inbound is denied. Outbound is allowed, from the guest's own addresses
//	    only (anti-spoofing).
//	  - SLB: the load balancer's host agent (slb/hostagent) rewrites packets in
//	    place: NAT of load-balanced flows to the local DIP, Direct Server
//	    Return of their replies and SNAT of outbound flows straight to the
//	    provider router, never through a Mux. The RSTs the agent makes
//	    (TCP reset on idle) leave through Switch.SendTCPReset.
//	  - VNet: virtual networks over VXLAN (RFC 7348). The controller sets the
//	    customer-address to provider-address mapping (CA -> PA, with the MAC
//	    of the CA's vNIC); traffic between hosts is encapsulated with the
//	    tenant's VNI; traffic arriving encapsulated is decapsulated and handed
//	    to the SLB layer (a Mux sends VIP traffic that way). The switch answers
//	    its guests' ARP (RFC 826) itself with one virtual gateway MAC, as a
//	    proxy: guests never see each other's broadcasts.
//
// A host port (AddHostPort) attaches the host's own network stack, the
// source of the load balancer's health probes (Azure's 168.63.129.16): it
// reaches every local vNIC's CA past the ACL, and the guests' replies to
// its address stay on the host, skipping the SLB and VNet layers.
//
// On the provider network the switch answers ARP for the host's provider
// address and resolves the addresses it sends to (other hosts, the router)
// with ARP, dropping a packet whose next hop is not yet resolved (the
// sender's transport retransmits).
//
// Every decision is counted per layer and action (Stats) and, when a
// Config.Trace function is set, reported as an Event: which port, layer,
// rule and action, and the headers a layer added or removed, so a demo can
// print a hop-by-hop trace. Forwarding a packet allocates nothing.
//
// Only IPv4 is forwarded: inner and outer IPv6 are dropped and counted.
package vswitch
