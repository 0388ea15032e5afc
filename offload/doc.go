// Package offload is the software side of NIC task offload.
//
// "TCP checksum offload is not equal to TCP task offload": an adapter
// advertises a set of independent per-adapter properties (IPv4 header
// checksum, TCP and UDP checksum for IPv4 and IPv6 on transmit and receive,
// Large Send Offload v1/v2 for IPv4 and IPv6, Receive Segment Coalescing),
// and turning one off does not turn the others off. This module implements in
// software whatever an adapter does not, so a data path can always hand the
// wire a correct packet and always hand the stack a verified one.
//
// In this package, Features is the set of properties an adapter claims, one
// bit each (Parse reads Windows keyword and display names and Linux ethtool
// names), and a Pipeline does the rest in software: Pipeline.Tx segments
// super-packets the adapter cannot (package gso) and finishes checksums it
// does not compute; Pipeline.Rx verifies the checksums the adapter did not
// and coalesces what the stack wants coalesced (package gro).
//
// Sub-packages:
//
//   - checksum: the Internet checksum (RFC 1071), pseudo-header sums
//     (RFC 768, RFC 793, RFC 8200 section 8.1) and incremental update (RFC 1624).
//   - header: zero-copy views over Ethernet (IEEE 802.3, 802.1Q), ARP (RFC 826),
//     IPv4 (RFC 791), IPv6 (RFC 8200), TCP (RFC 9293), UDP (RFC 768),
//     ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) headers.
//   - virtio: the virtio-net header (VIRTIO 1.2 section 5.1.6) that carries
//     partial-checksum and segmentation metadata between a TAP device and
//     user space.
//   - gso: segmentation of TCP and UDP super-packets, plain or inside a
//     VXLAN tunnel (RFC 7348), as Linux's GSO does.
//   - gro: receive coalescing of TCP (and optionally UDP) segments under
//     Linux's GRO rules.
//   - tap: Linux TAP devices opened with IFF_VNET_HDR and TUNSETOFFLOAD, so
//     the kernel exchanges super-packets and partial checksums with user
//     space.
package offload
