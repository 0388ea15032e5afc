// Package bfd is Bidirectional Forwarding Detection in asynchronous mode:
// two systems send each other control packets every few hundred
// milliseconds, and a system that hears nothing for a detection time
// declares the path down, so a BGP session to a dead peer (a Mux that lost
// power) goes down in under a second instead of after its hold time.
//
// Packet decodes and appends the control packet (RFC 5880 section 4.1)
// without allocating. Session is the state machine of RFC 5880 section 6
// with no I/O of its own: it takes received packets and the time, and says
// when to send and what, so it runs over any transport, a simulated one
// included. Endpoint runs sessions over UDP as RFC 5881 says for a single
// hop: control packets to port 3784 from a per-session source port in
// 49152-65535, sent with TTL (hop limit) 255, and received only with TTL 255
// where the transport reports it (GTSM, RFC 5082). The transport is a
// Network: KernelNetwork (the kernel's UDP sockets, reporting the TTL on
// Linux) by default, or any other that reads a datagram with its source
// and TTL and sends with TTL 255, such as a user-space TCP/IP stack's UDP
// endpoints.
//
// Not implemented: the echo function, demand mode, authentication (packets
// with the A bit are discarded, as RFC 5880 section 6.8.6 requires of a
// session without authentication), and multihop sessions (RFC 5883).
//
// Standards: RFC 5880 (BFD), RFC 5881 (BFD for IPv4 and IPv6, single hop),
// RFC 5082 (GTSM).
package bfd
