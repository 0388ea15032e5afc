// Package vxlan implements Virtual eXtensible Local Area Network
// encapsulation and a userspace VXLAN tunnel endpoint (VTEP).
//
// # Codec
//
// Header is the 8-byte VXLAN header of RFC 7348 (I flag, 24-bit VNI), with
// the Group Based Policy extension of draft-smith-vxlan-group-policy
// (G, D and A bits, 16-bit group policy ID) in bits RFC 7348 reserves.
// GPEHeader is the VXLAN Generic Protocol Extension header of
// draft-ietf-nvo3-vxlan-gpe (version, I, P, B and O bits, Next Protocol
// IPv4, IPv6, Ethernet, NSH or MPLS), a separate type because its flag bits
// mean different things. Decoders ignore reserved bits and encoders write
// them as zero, as RFC 7348 section 5 asks.
//
// EncapsulatePayload and DecapsulatePayload handle the UDP payload (for UDP
// sockets); Outer.Encapsulate and Decap.Decapsulate handle whole packets
// with an optional outer Ethernet header, IPv4 or IPv6, and UDP (for TAP
// devices and raw sockets). Encoders append to the caller's buffer; decoders
// return views into it. Neither allocates. The outer UDP source port comes
// from a hash of the inner flow (FlowHash, RFC 7348 section 5) within a
// PortRange (default 49152-65535); the destination port defaults to 4789
// (Port) and may be set to Linux's historical 8472 (LinuxPort). Over IPv4
// the UDP checksum is zero unless asked for; over IPv6 it is computed
// unless zero checksums are configured on both ends (RFC 6935, RFC 6936).
//
// Malformed input gives an *Error naming the layer, field and byte offset,
// wrapping ErrTruncated, ErrBadLength, ErrBadValue (the offload/header
// sentinels) or ErrBadChecksum. Nothing panics on wire input.
//
// # VTEP
//
// FDB is the forwarding database: (VNI, MAC) to remote VTEP address, with
// static entries, learning with ageing (300 s by default, on an injectable
// clock) and a per-VNI entry limit so a flood of source MAC addresses cannot
// grow memory without bound. The all-zeros MAC entries of a VNI form its
// head-end replication list for broadcast, unknown unicast and multicast.
//
// Neighbors is the table a controller fills for ARP (RFC 826) and IPv6
// Neighbor Discovery (RFC 4861) suppression: the VTEP answers requests for
// known addresses locally and reports misses through a callback, as the
// Linux vxlan driver's l2miss and l3miss notifications do.
//
// VTEP ties an FDB, a Neighbors table, local ports (such as TAP devices from
// offload/tap) and a Transport (a UDP socket with batched I/O through
// recvmmsg/sendmmsg on Linux) together, with per-VNI and per-peer counters.
//
// # Standards
//
//   - RFC 7348: VXLAN
//   - draft-smith-vxlan-group-policy: VXLAN Group Policy Option
//   - draft-ietf-nvo3-vxlan-gpe: Generic Protocol Extension for VXLAN
//   - RFC 6935 and RFC 6936: UDP zero checksums for tunnels over IPv6
//   - RFC 826: ARP; RFC 4861: IPv6 Neighbor Discovery (suppression)
package vxlan
