// Package runtime runs a fabric topology in process: every link is a
// netsim wire or switch carrying Ethernet frames, every machine a gVisor
// TCP/IP stack (package guest), and every network node is built from the
// sdnfabric libraries:
//
//   - a gateway is an rras router (RFC 1812 forwarding, ARP) with, for the
//     seed's NATVM, rras NAT44 (RFC 3022, RFC 4787, RFC 5382) on its
//     external interface, and for the BGPVM a BGP-4 speaker (RFC 4271)
//     whose best paths feed the router's RIB, ECMP across Muxes;
//   - a Mux is slb/mux with a BGP speaker announcing each healthy VIP as a
//     /32 with itself as next hop, sending flows to hosts in VXLAN
//     (RFC 7348);
//   - a host is a virtual switch (package vswitch) with ordered layers: the
//     ACL of its VMs' endpoints, the SLB host agent (NAT, Direct Server
//     Return, SNAT, probes) and the VNet (VXLAN with the tenant's VNI).
//
// The BGP sessions ride TCP on the nodes' own addresses through the virtual
// wires. Start builds a Topology (Seed, or one from the fabric model),
// reports progress, and waits until BGP is Established, the VIP routes are
// installed on the router and the probes see the backends healthy. A
// trace.Recorder given in Options records the hop-by-hop path of watched
// flows.
package runtime
