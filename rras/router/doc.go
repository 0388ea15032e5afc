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
// [NextHopSet]s shared by pointer, and a resolved neighbor is read with two
// atomic loads. Forwarding a packet to a resolved neighbor allocates nothing.
//
// # Route selection
//
// Per prefix, the source with the lowest administrative distance wins (ties
// broken by the source name); its next hops, sorted, form the ECMP set, and
// a packet uses member FlowHash mod n. A BGP best-path or multipath change
// for a prefix is one [RIB.Replace]; a session going down is one
// [RIB.WithdrawSource], published to readers atomically.
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
