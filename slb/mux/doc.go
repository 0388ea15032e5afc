// Package mux is the data path of the software load balancer: the Mux of
// Ananta (Patel et al., "Ananta: Cloud Scale Load Balancing", SIGCOMM
// 2013) with the consistent hashing of Maglev (Eisenbud et al., "Maglev: A
// Fast and Reliable Software Network Load Balancer", NSDI 2016).
//
// A [Mux] owns the frontend VIPs of its load balancers (package slb's
// configuration model) and announces each as a /32 or /128 through an
// [Announcer] (the BGP speaker in fabric). For every IPv4 (RFC 791) or
// IPv6 (RFC 8200) packet sent to a VIP, [Mux.Process] (or
// [Mux.ProcessInto], which writes the [Result] in place,
// [Mux.ProcessBatch] for many at once, or a [Worker], one per receiving
// goroutine):
//
//  1. matches (VIP, protocol, destination port) against the inbound NAT
//     rules and load-balancing rules, then the SNAT leases, then an
//     HA-ports rule (protocol All, port 0);
//  2. for a load-balancing rule, looks the flow up in the flow table, and
//     for a new flow picks a DIP with the pool's Maglev table (package
//     maglev) over the flow hash of the rule's distribution mode (package
//     flowhash); an inbound NAT rule names its DIP, an SNAT lease its host;
//  3. encapsulates the packet to the DIP's host: VXLAN (RFC 7348) with the
//     pool's VNI and an inner Ethernet header (the outer headers come from
//     package vxlan's Outer.Encapsulate, built once per backend and patched
//     per packet), or IP in IP (RFC 2003, RFC 2473) as an option;
//  4. appends the result to the caller's buffer, or, through
//     [Worker.ProcessInPlace], writes the outer headers into the
//     [Mux.Headroom] bytes in front of the packet in its own buffer,
//     without copying it.
//
// A Worker also counts its flow hits without an atomic add per packet:
// they reach [Mux.Stats] once per 64 and at [Worker.Flush].
//
// The inner packet keeps the VIP as its destination: the host agent does
// the destination NAT, and replies go from the host straight to the
// client (Direct Server Return), never through the Mux. The [Result]
// names the DIP, its host, the VNI, the rule and the backend port. The
// host agent learns the backend port the same way the Mux does: it is
// configured with the same slb.LoadBalancer values and matches (VIP,
// protocol, frontend port) against the same rules, so that nothing but
// the packet needs to travel; the Result lets a caller that wants to
// check or tell the host agent do so.
//
// # Flow table
//
// The flow table (see flowtable.go) is a fixed array of 64-byte buckets of
// four 16-byte entries, sharded by flow hash with a lock per shard that
// only writers take (a flow hit reads an entry lock-free and updates it
// with a compare-and-swap); each flow may live in either of two
// buckets. On Linux a table of 2 MiB or more is mapped outside the Go
// heap with MADV_HUGEPAGE, so that a lookup rarely misses the TLB. It
// allocates nothing per packet. Offered 2^20 distinct flows, a table of 2^20 entries (16 MiB)
// keeps 92% of them (17.4 bytes per kept flow; the rest go by Maglev
// hashing alone) and one of 2^21 entries (32 MiB) all but 15 (32 bytes
// per flow). It follows Ananta's split between untrusted
// flows (one packet seen, Config.UntrustedTimeout) and trusted flows (seen
// more than once, the rule's idle timeout), and never evicts a live
// entry: when a new flow's bucket is full the flow is sent by pure Maglev
// hashing, so a SYN flood cannot push established flows out. A flow is
// identified by a 64-bit hash of its 5-tuple under a random per-Mux key
// (see tablekey.go); two flows are confused only if their hashes collide
// in one bucket pair. New flows are picked with SipHash under
// Config.HashKey, which all Muxes share.
//
// An established flow keeps its DIP when DIPs are added to its pool,
// until it goes idle. A DIP removed from its pool gets no new flows at
// once and keeps its established flows for Config.DrainTimeout; then they
// move to the DIP that Maglev gives them. A DIP whose host changes (a
// live migration: the same backend with another HostPA) keeps its
// established flows, which go to the new host at once. [Mux.SetHealth] takes an
// unhealthy DIP out of the Maglev tables without moving its established
// flows; with Config.HoldNewDIPs a DIP that a Configure adds is unhealthy
// until SetHealth says otherwise. Health is kept per virtual network and
// DIP: tenants' networks may reuse addresses, and one tenant's DIP going
// down leaves another's of the same address in rotation. A SYN without
// ACK opens a connection: when it finds its
// 5-tuple's entry on a DIP out of rotation (unhealthy, or removed and
// draining), because the client reused a source port, it is a new flow,
// picked again among the healthy DIPs, and replaces the entry, so that a
// new connection never reaches a stopped server; the old flow's other
// packets stay on its DIP until then. Every Mux given the same configuration and HashKey sends a new
// flow to the same DIP, whatever order it saw the backends in, so
// routers may spread a VIP's traffic over many Muxes with ECMP. With
// Config.MinimalDisruption that holds only for Muxes that also saw the
// same sequence of configurations and health reports (maglev.Rebuild).
//
// Times are kept in ticks of 2^24 ns (about 16.8 ms). Without a
// Config.Clock the Mux reads a coarse clock that a goroutine advances once
// per tick (as the Linux kernel's jiffies), because reading the system
// clock costs 20 to 50 ns per packet on virtual machines; the goroutine
// stops when the Mux is garbage collected.
//
// # Fragments and ICMP errors
//
// Non-first fragments carry no ports, so the Mux remembers where each
// first fragment went: an untrusted flow-table entry keyed by (source,
// destination, protocol, fragment ID) that later fragments (IPv4, and
// IPv6 with a Fragment header) look up. A later fragment that arrives
// before its first fragment, or whose entry did not fit, is dropped with
// VerdictNoFlow; the datagram could not be reassembled anyway without the
// first fragment going to the same DIP, and hashing fragments on the
// 3-tuple instead would split a flow's fragmented datagrams from its
// others. Fragments of SNAT return traffic are not remembered.
//
// An ICMP error (RFC 792: destination unreachable, including
// fragmentation needed, time exceeded, parameter problem; RFC 4443:
// destination unreachable, packet too big, time exceeded, parameter
// problem) sent to a VIP quotes a packet the VIP sent; the Mux looks up
// the flow of the quoted packet's reversed tuple and sends the error to
// that flow's DIP (to the SNAT lease's host for a SNAT port), so that
// path MTU discovery works through the load balancer.
//
// # MSS clamping
//
// The encapsulation makes the provider path's MTU smaller than the client
// believes, so the Mux lowers the MSS option of every TCP SYN it forwards
// to Config.MTU minus the encapsulation, the inner IP header and the TCP
// header (RFC 879, RFC 6691), updating the TCP checksum incrementally
// (RFC 1624).
//
// # SNAT return path
//
// Hosts SNAT their DIPs' outbound connections to (VIP, port) from blocks
// of eight ports leased by the SNAT manager (Ananta section 3.5). The
// leases are given to the Mux with [Mux.LeaseSNAT], so that replies to
// those ports reach the host that owns them.
package mux
