// Package gso is software generic segmentation offload: it splits a TCP or
// UDP super-packet, plain or inside a VXLAN/UDP tunnel, into wire-sized
// packets the way Linux's GSO layer (and a TSO/USO-capable NIC) does, so a
// data path that receives large packets from a TAP device with a virtio-net
// header can hand the wire correct packets.
//
// # What it implements
//
//   - TCP segmentation for IPv4 (RFC 791) and IPv6 (RFC 8200) carrying TCP
//     (RFC 9293), the virtio GSO types TCPv4 and TCPv6, optionally with the
//     ECN bit.
//   - UDP segmentation (USO, the virtio GSO type UDP_L4): each segment is a
//     complete UDP datagram (RFC 768) of gso_size payload bytes.
//   - Either of the above inside a UDP tunnel such as VXLAN (RFC 7348): outer
//     Ethernet (optional), outer IPv4 or IPv6, outer UDP, a tunnel header of
//     configurable length (8 bytes for VXLAN), then the inner Ethernet frame.
//
// The input is one packet plus its virtio.NetHdr; the output is written into
// caller-provided buffers, so Segment never allocates.
//
// # Linux behaviour this package follows
//
// Each segment copies every header byte of the super-packet (link, network
// and transport headers, including IPv4 options, IPv6 extension headers and
// TCP options) and then carries the next gso_size bytes of payload; the last
// segment may be shorter. Per segment:
//
//   - IPv4: the total length is the segment's length; the identification
//     field is the super-packet's plus the segment index (modulo 2^16), as
//     inet_gso_segment does unless the skb carries SKB_GSO_TCP_FIXEDID (the
//     virtio header has no such bit, so Options.FixedID asks for it
//     explicitly; a NIC that advertises NETIF_F_TSO_MANGLEID may do either,
//     and incrementing IDs are the choice that GRO and RFC 6864 both accept);
//     the header checksum is recomputed. Fragments are refused: GSO packets
//     are never fragments.
//   - IPv6: the payload length is the segment's length less 40. The flow
//     label, traffic class and hop limit are copied.
//   - TCP: the sequence number advances by gso_size per segment; FIN and PSH
//     are kept only on the last segment, CWR only on the first (as
//     tcp_gso_segment does for classic ECN; the GSO ECN bit in the virtio
//     header is accepted and changes nothing else); ECE, URG and the urgent
//     pointer, the window and all options are copied unchanged to every
//     segment.
//   - UDP (USO): the length field is the segment's UDP length; the checksum
//     is computed per datagram, and a computed zero is sent as 0xFFFF.
//   - Tunnels: the outer IPv4 total length, identification (+index, unless
//     Tunnel.FixedID) and header checksum, the outer IPv6 payload length and
//     the outer UDP length are set per segment. The outer UDP checksum is
//     zero when Tunnel.ZeroChecksum is set (RFC 7348 section 5 recommends
//     zero over IPv4; RFC 6935 allows it over IPv6 for tunnels) and is
//     otherwise computed per segment. It is computed from the headers alone,
//     using the identity that a finished inner transport checksum makes the
//     inner transport bytes sum to the complement of the inner pseudo-header
//     sum (Linux calls this local checksum offload), so the payload is summed
//     once, for the inner checksum.
//
// # Checksums and the virtio-net header
//
// Linux hands a GSO packet to a TAP device with VIRTIO_NET_HDR_F_NEEDS_CSUM,
// csum_start at the (inner) transport header and csum_offset 16 (TCP) or 6
// (UDP), and the transport checksum field holding the folded, not
// complemented, pseudo-header sum computed with the transport length of the
// whole super-packet (what tcp_v4_send_check and its IPv6 and UDP
// counterparts store for CHECKSUM_PARTIAL; checked on Linux 6.18, where
// every TSO super-segment a TAP device handed over, IPv4 and IPv6, carried
// exactly that value, never the length-less sum some NIC drivers program
// into hardware). Segment does not rely on that
// value: it recomputes each segment's transport checksum from the addresses,
// the segment's length and its bytes, so a super-packet whose field holds
// anything at all segments correctly. With Options.PartialChecksum it
// instead leaves each segment in the same partial form Linux uses (the field
// holds the pseudo-header sum for the segment's own transport length), for a
// device or kernel that finishes it; send each such segment with
// NEEDS_CSUM and the same csum_start and csum_offset.
//
// csum_start and csum_offset, when NEEDS_CSUM is set, must point at the
// (inner) transport checksum field, or Segment refuses the packet;
// hdr_len is only a hint in the virtio specification and is ignored (the
// headers are parsed). gso_size must be non-zero for a GSO type. A packet
// whose payload fits in one segment is emitted as one finished packet.
// UFO (the virtio GSO type UDP, IP fragmentation of a UDP datagram) is
// deprecated in Linux and not supported: Segment returns ErrUnsupported.
// Packets larger than 64 KiB (BIG TCP, IPv6 jumbograms) are refused too.
package gso
