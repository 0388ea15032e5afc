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
// is dropped ([ReasonConflict]). Each entry goes to the emptier of two
// 8-way buckets, so the table fills to about three quarters before the
// first refusal. A DIP that a Configure removes keeps its flows for
// Config.DrainTimeout while new flows go elsewhere.
//
// Clients reuse source ports, so a SYN (without ACK) may open a new
// connection on the 5-tuple of a tracked one. It starts a new connection
// state, as a new flow does (DIP picked again, the rule's idle timeout,
// TCP reset on idle tracked afresh), when the tracked connection saw a
// FIN or RST, or, inbound, when the Mux chose another DIP or, if it did
// not say, the connection's DIP takes no new flows (probed down, busy,
// removed and draining); [Stats].Reopened counts them. Other packets,
// and retransmitted SYNs, keep their connection and its DIP.
//
// # TCP reset on idle
//
// A rule with EnableTCPReset (load-balancing, inbound NAT and outbound
// rules, after the Azure load balancer's option) does not let its TCP
// connections idle out silently: when [Agent.Expire] finds one idle for
// the rule's timeout, it hands [Config.OnTCPReset] a RST for each end, as
// Azure's load balancer sends them both ways, so that neither end waits
// on a connection that no longer passes. The RST to the DIP comes from
// the client (or an SNAT connection's remote end) to the DIP's own
// address and port, for delivery; the one to the remote end comes from
// the VIP and goes to the router like the DIP's replies. A RST is only
// accepted with exactly the sequence number its receiver expects next
// (RFC 5961 section 3.2), so for these connections the agent keeps, per
// direction, the sequence number that follows the last segment (RFC 9293
// section 3.4), and sends a RST only towards an end whose peer's number
// it has seen. Connections that saw a FIN or RST, and those removed at
// the end of a drain, get none. When a client's SYN reopens the 5-tuple
// of such a connection on another DIP (see above), the old DIP is sent
// the client's RST for the connection it still holds.
//
// # Live migration
//
// When a DIP's VM moves to another host, [Agent.Flows] lists the DIP's
// inbound connections on the old host (in its virtual network: another
// tenant's VM of the same address keeps its own) and [Agent.AddFlows]
// records them on the new one, configured with the DIP as local: their packets are then
// translated there as before, both ways, even when the new host holds
// other DIPs of the same rule (it would pick among them for a flow it did
// not know) or the DIP's backend port is behind several rules (its replies
// could not be reversed without the flow). SNAT connections stay with the
// host that leased their ports.
//
// # Fragments
//
// Only a datagram's first fragment carries the ports. When the agent
// translates a first fragment it remembers the address rewrite under the
// datagram's (source, destination, protocol, identification) for 30
// seconds, and applies it to the datagram's other fragments (IPv4, and
// IPv6 with a Fragment header), so that fragmented requests reach the DIP
// and a DIP's fragmented answers leave from the VIP. A fragment that comes
// before its first fragment is dropped when addressed to a VIP
// ([ReasonNoFlow]), as the Mux does.
//
// # ICMP errors
//
// An ICMP error about a flow (ICMPv4 destination unreachable, including
// "fragmentation needed", time exceeded and parameter problem, RFC 792 and
// RFC 1191; ICMPv6 destination unreachable, packet too big, time exceeded
// and parameter problem, RFC 4443) is translated like the flow's packets,
// as RFC 5508 asks of a NAT: the outer address, and the quoted packet's
// address and port with its IPv4 header checksum and, when quoted, its
// transport checksum; the ICMP checksum is verified and then computed
// again. The Mux forwards an error about a VIP's flow to the flow's host,
// so path MTU discovery works for the DIPs; a DIP's own errors (port
// unreachable) leave as the VIP's.
//
// # Outbound SNAT
//
// A DIP under an outbound rule that opens a connection to a destination
// outside the internal prefixes (Config.Internal, replaced while packets
// flow by [Agent.SetInternal]) is translated to a (VIP, port) of the port
// blocks its host leased from the SNAT manager (package slb/snat) through
// a [Leaser]: Ananta's scheme, blocks of eight ports, a port reused for
// connections to different remote endpoints as long as the 5-tuples
// differ. The Muxes, told of each lease, send the return traffic to the
// host, whose Inbound translates it back. When no port is free towards a
// remote end the packet is dropped ([ReasonSNATPending]; TCP retransmits)
// while a block is requested in the background; a refused request is
// counted and reported as [ReasonSNATExhausted], never a crash. A block
// idle for Config.LeaseIdle goes back to the manager (the last one stays,
// so that the next connection need not wait); leases are renewed at half
// term.
//
// The mapping is address-and-port-dependent in the terms of RFC 4787
// (REQ-1 asks for endpoint-independent mapping; Ananta trades it for port
// reuse) and RFC 5382 for TCP; filtering is address-and-port-dependent, as
// only the remote end a connection went to can answer it.
//
// # Health
//
// [Agent.Tick] (called by [Agent.Run] every Config.TickInterval) probes
// each local DIP with its rules' probes: a TCP connection, or an HTTP GET
// that must answer 200, through Config.Dialer, every probe interval; a DIP
// changes state after the probe's threshold of consecutive results, and
// the changes are reported through Config.OnHealth for the Muxes, with
// the DIP's virtual network (tenants may reuse addresses: health is per
// VNI and DIP, here and at the Mux). DIPs start up; [Agent.AwaitProbe]
// holds a DIP added to a running pool down until its probes first pass
// (once, whatever the threshold), as Azure adds a backend to rotation.
// [Agent.SetBusy] takes a DIP out of rotation (the seed's
// Set-RoleInstanceStatus -Busy): it is reported down and the agent picks
// it for no new flow, while its existing flows go on (a SYN that reuses
// the 5-tuple of one of them is a new flow). A probe dials the DIP's
// address through Config.Dialer, which does not learn its virtual
// network: two local DIPs of one address in two VNIs reach the VM the
// Dialer reaches.
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
// shard lock (64 shards, so concurrent callers rarely meet), update the
// per-packet counters under it rather than with atomic operations, and
// allocate nothing, established flow or new. On a shared 2-core virtual
// machine under heavy load, an established flow's packet takes about
// 80-100 ns (BenchmarkInbound, BenchmarkOutbound), a new flow about 320 ns
// and a new SNAT connection about 380 ns; the lock and the two cache
// lines of the entry dominate.
//
// # Standards and sources
//
//   - Ananta (SIGCOMM 2013): host agent NAT, Direct Server Return, SNAT
//     port leasing in blocks of 8, port reuse across destinations
//   - RFC 3022: Traditional IP Network Address Translator (NAPT terms)
//   - RFC 9293 and RFC 5961: TCP sequence numbers, and the exact sequence
//     number a RST needs to be accepted (TCP reset on idle)
//   - RFC 4787 and RFC 5382: NAT behavioural requirements for UDP and TCP
//     (mapping and filtering behaviour of the SNAT)
//   - RFC 1624: incremental Internet checksum update
//   - RFC 5508: NAT behavioural requirements for ICMP (errors translated
//     with their quoted packets); RFC 792, RFC 1191, RFC 4443: ICMP, path
//     MTU discovery
//   - RFC 768, RFC 9293, RFC 791, RFC 8200: UDP, TCP, IPv4, IPv6
package hostagent
