// Package router is a two-armed IPv4/IPv6 router working on raw Ethernet
// frames: interfaces with MAC, addresses and MTU; a routing information base
// fed by named route sources (connected, static, BGP...) with administrative
// distance and ECMP next-hop sets chosen by flow hash; forwarding with TTL and
// hop-limit decrement; ICMP errors; and ARP / Neighbor Discovery resolution.
//
// # Data path
//
// [Router.Input] takes one received frame, rewrites it in place (Ethernet
// addresses, TTL with an incremental checksum update) and hands it to the
// configured [Output]. Frames the router generates (ICMP errors and echo
// replies, ARP and Neighbor Discovery messages) are built in a pooled scratch
// buffer. Input may be called from several goroutines at once: the interface
// configuration is an immutable snapshot behind an atomic pointer, the
// forwarding table is a lock-free [lpm.Table] whose values are immutable
// next-hop sets ([NextHopSet]) shared by pointer, and a resolved neighbor
// is read with two atomic loads. Forwarding a packet to a resolved neighbor
// allocates nothing. Configuration changes (SetInterface, RemoveInterface,
// RIB writes) serialise among themselves and never block Input.
//
// [Router.InputSuper] is Input for a TCP/IPv4 super-frame, the one frame a
// stack with segmentation offload (GSO/TSO) makes of many MSS-sized
// segments: it is forwarded whole to a [SuperOutput] and judged against the
// egress MTU by its largest segment.
//
// # Neighbor resolution
//
// A packet to an unresolved next hop waits in a bounded queue (per neighbor
// and overall; the oldest is dropped and counted when a bound is reached)
// while the router sends ARP requests or Neighbor Solicitations; when
// resolution fails the waiting packets get ICMP host unreachable. Entries go
// through the RFC 4861 states for both families; [Router.Tick] (or
// [Router.Run]) drives the timers against the injectable clock of
// [Config].Now. The router answers ARP requests and Neighbor Solicitations
// for its own addresses on the receiving interface, and announces new
// addresses with a gratuitous ARP or an unsolicited Neighbor Advertisement.
//
// # Route selection
//
// Per prefix, the source with the lowest administrative distance wins (ties
// broken by the source name); its next hops, sorted, form the ECMP set, and
// a packet uses member [FlowHash4] or [FlowHash6] mod n. A BGP best-path
// or multipath change for a prefix is one [RIB.Replace]; a session going
// down is one
// [RIB.WithdrawSource], published to readers atomically; [RIB.ReplaceBatch]
// applies many prefixes (a BGP UPDATE, a table dump) in one publication.
// Sources feed the router through the [RouteSink] interface, which *RIB
// implements, so the bgp module need not be imported here.
//
// # NAT44
//
// With [Config].NAT set (a [nat.NAT], or any [Translator]) and interfaces
// marked [NATInside] or [NATOutside], the router is the seed's NATVM: packets
// from inside routed out of an outside interface get their source
// translated after the routing decision, packets from outside to the NAT's
// external addresses get their destination translated before it (port
// forwards and replies), hairpinned packets are routed back inside, and a
// NAT out of resources makes the router send ICMP destination unreachable,
// code 13. What matches no mapping but is addressed to the router stays
// the router's (echo replies, port unreachable). NAT calls are serialised
// by a mutex; [Translator] documents where they sit.
//
// # Not implemented
//
// VLAN-tagged frames, multicast routing, ICMP redirects, router
// advertisements and reassembly of fragments addressed to the router itself
// are not supported (such frames are counted and dropped). IPv4 datagrams
// with options that are not copied into fragments are dropped rather than
// fragmented.
//
// # Standards
//
//   - RFC 1812: requirements for IPv4 routers (TTL handling 5.3.1, ICMP error
//     generation and rate limiting 4.3.2, forwarding rules 5.3.4 and 5.3.7)
//   - RFC 792 and RFC 1191: ICMP messages, fragmentation needed with the
//     next-hop MTU
//   - RFC 8200 and RFC 4443: IPv6 forwarding, ICMPv6 errors (time exceeded,
//     destination unreachable, packet too big) rate-limited with a token
//     bucket (section 2.4(f))
//   - RFC 826: ARP; RFC 5227: gratuitous ARP announcements
//   - RFC 4861: Neighbor Discovery (neighbor cache states INCOMPLETE,
//     REACHABLE, STALE, DELAY, PROBE; the timers of section 10; solicited and
//     unsolicited Neighbor Advertisements)
//   - RFC 4291: IPv6 link-local addresses (modified EUI-64 interface identifier)
//     and solicited-node multicast addresses
//   - RFC 2464: IPv6 multicast over Ethernet (33:33 MAC addresses)
package router
