// Package gro is software generic receive offload: it coalesces consecutive
// TCP segments of a flow (and, optionally, equal-sized UDP datagrams) into
// one large packet described by a virtio-net header, under the rules Linux's
// GRO applies, so a stack or a TAP device handles one packet per burst
// instead of one per segment. The gso package splits such a packet back.
//
// # Use
//
// A Coalescer holds a fixed number of flows, each in a buffer allocated by
// NewCoalescer; Add and Flush never allocate. Offer each received packet to
// Add, then call Flush at the end of each receive batch (where Linux's NAPI
// poll ends). Packets come out through the Emit callback: merged packets
// with a GSO virtio-net header, everything else byte for byte as it came in,
// with the header it came with. Packets of one flow leave in their order;
// packets of different flows may be reordered against each other, as in
// Linux.
//
// # Rules (Linux's inet_gro_receive, ipv6_gro_receive, tcp_gro_receive)
//
// A segment joins the packet held for its flow only if all of these hold:
//
//   - Same flow: the link-layer header (the NetworkOffset bytes before the
//     IP header, so the MAC addresses and VLAN tags) and the addresses,
//     ports and protocol are identical.
//   - IPv4 (RFC 791): no options (IHL 5), a valid header checksum, not a
//     fragment, the same TOS, TTL and DF bit; the identification is the held
//     packet's plus the number of segments held (incrementing IDs), or, for
//     DF packets, the same as the held packet's (fixed IDs, RFC 6864); the
//     choice is made by the second segment.
//   - IPv6 (RFC 8200): TCP or UDP directly after the fixed header (packets
//     with extension headers are passed through), the same traffic class,
//     flow label and hop limit.
//   - TCP (RFC 9293): the same acknowledgment number; the sequence number
//     exactly follows the held data; the same header length and identical
//     option bytes (so timestamps must be equal too, as in Linux); the flags
//     equal except CWR, FIN and PSH; no CWR on the joining segment (CWR may
//     only be on the first). The window and urgent pointer are not
//     compared; the held packet keeps the first segment's, as in Linux.
//   - Size: the joining segment carries 1 to gso_size payload bytes, where
//     gso_size is the first segment's payload length; the merged IP packet
//     stays within Config.MaxSize (default 65535) and Config.MaxSegments.
//   - Checksum: the segment's transport checksum verifies, unless its
//     virtio-net header says DATA_VALID or NEEDS_CSUM (a local packet).
//
// A segment that cannot join flushes the held packet of its flow and then
// starts a new one. A packet that carries no payload, or URG, PSH, RST,
// SYN or FIN, is never held on its own: a PSH or FIN segment that can join
// ends the merged packet (which then carries PSH and FIN as the last
// segment did) and it is flushed at once; otherwise such a packet flushes
// its flow's held packet and is passed through after it. A segment shorter
// than gso_size ends its merged packet too, and so does the segment that
// reaches Config.MaxSegments. A segment whose checksum fails is passed
// through at once, ahead of its flow's held packet (which stays held), as
// in Linux.
//
// UDP (with Config.UDP, Linux's udp_gro_receive_segment for UDP_GRO
// sockets): datagrams of one flow join while each has the first one's
// payload length; a shorter one joins as the last; at most 64 segments by
// default; a zero (absent) IPv4 UDP checksum joins only with others that
// have none.
//
// # Output
//
// A flow holding one packet is emitted unchanged, with the virtio-net
// header it came in with. A merged packet gets correct IP lengths (and a
// new IPv4 header checksum), the first segment's headers, FIN and PSH of
// the last segment, and a virtio-net header as Linux's tcp4_gro_complete
// and tcp6_gro_complete produce: GSO type TCPv4 or TCPv6 (ECN ORed in when
// the first segment had CWR) or UDP_L4, gso_size the first segment's
// payload length, hdr_len the header length, NEEDS_CSUM with csum_start at
// the transport header and csum_offset 16 (TCP) or 6 (UDP), and the
// transport checksum field holding the folded pseudo-header sum for the
// merged transport length (not complemented). A fixed-ID flow cannot be
// told apart in that header (virtio has no FIXEDID bit), so segmenting the
// merged packet again gives incrementing IDs.
//
// # Bounds
//
// The Coalescer holds at most Config.Flows flows; a packet of a new flow
// when all are busy evicts (flushes) the flow held longest. Memory is fixed
// at construction: Flows buffers of NetworkOffset+MaxSize bytes. Lookups
// scan the held flows, which is fast for the small flow counts GRO uses
// (Linux holds at most 8 per bucket).
package gro
