// Package hostagent is the host side of the software load balancer, after
// the Host Agent of Ananta (Patel et al., "Ananta: Cloud Scale Load
// Balancing", SIGCOMM 2013): on every host it translates the packets of
// the local DIPs (the load-balanced instances) in place, so that the Muxes
// only ever see the inbound half of a connection.
//
// # The packet path
//
// A Mux encapsulates a packet for a VIP to the host of the DIP it chose,
// leaving the VIP as the inner destination. The host's virtual switch
// decapsulates it and calls [Agent.Inbound], which translates VIP:frontend
// port to DIP:backend port (destination NAT in the terms of RFC 3022;
// inbound NAT rules translate a public port such as 8080 to one DIP's
// private port 80) and remembers the flow. With floating IP (Azure's
// "Direct Server Return" rules) the VIP stays the destination: the guest
// owns the VIP on a loopback interface.
//
// The guest's reply goes through [Agent.Outbound], which finds the flow,
// translates DIP:backend port back to VIP:frontend port and returns
// [ToRouter]: the host sends the reply straight to the provider router
// (Direct Server Return), never through a Mux. A reply that matches no flow
// (the agent restarted, or the table was full) is reversed from the
// configuration when exactly one rule delivers to that DIP port, and its
// flow recorded again. Packets that are not the load balancer's business
// get [Pass] for the next layer (VNet) of the virtual switch.
//
// # Which DIP
//
// The inner packet names the VIP, not the DIP, so Inbound takes the DIP
// as an argument. The contract with the Mux and the virtual switch is:
//
//   - When the virtual switch can tell which local DIP the Mux chose (the
//     Mux sets the inner Ethernet destination to the DIP's NIC MAC, and the
//     switch maps that MAC to its port), it passes that DIP. The agent
//     checks that the DIP is one of the rule's local DIPs.
//   - Otherwise it passes the zero Addr, and the agent picks among the
//     rule's usable local DIPs (probed up, not busy) by a hash of the flow,
//     and remembers the choice: the Mux chooses the host, the host agent
//     the DIP on it. Package slb/mux uses one inner destination MAC per
//     Mux, so this is the mode it works in.
//
// The VNI argument is the VXLAN network identifier the packet came with
// (Inbound) or the guest's network (Outbound); flows of different tenants
// never mix even when their addresses overlap. IP-in-IP carries no VNI:
// pass 0 and the agent uses the VNI of the VIP's local DIPs.
//
// # Flow table
//
// Each connection takes two entries, one per direction, in a fixed-size
// table (Config.FlowTableSize) sharded by the remote endpoint so that both
// entries share one lock. Entries idle longer than their rule's idle
// timeout (shorter after a TCP RST or FIN) expire; a full table refuses new
// connections rather than evicting live ones ([ReasonTableFull]), and a new
// inbound flow that would reach its DIP with the 5-tuple of an existing one
// is dropped ([ReasonConflict]). A DIP that a Configure removes keeps its
// flows for Config.DrainTimeout while new flows go elsewhere.
//
// # Checksums
//
// Rewrites update the IPv4 header checksum and the TCP or UDP checksum,
// whose pseudo-header covers the addresses, incrementally by RFC 1624
// (through package offload/checksum), for IPv4 and IPv6 alike. A UDP
// datagram over IPv4 without a checksum (zero) keeps none; a computed zero
// is sent as 0xFFFF (RFC 768).
//
// # Performance
//
// Inbound and Outbound parse only the headers they rewrite, take one
// uncontended lock, and allocate nothing, established flow or new.
//
// # Standards and sources
//
//   - Ananta (SIGCOMM 2013): host agent NAT, Direct Server Return, SNAT
//     port leasing in blocks of 8, port reuse across destinations
//   - RFC 3022: Traditional IP Network Address Translator (NAPT terms)
//   - RFC 1624: incremental Internet checksum update
//   - RFC 768, RFC 9293, RFC 791, RFC 8200: UDP, TCP, IPv4, IPv6
package hostagent
