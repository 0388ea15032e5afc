// Package virtio is the virtio-net header codec: the 10-byte struct
// virtio_net_hdr that carries partial-checksum and segmentation (GSO)
// metadata with each packet between a virtio-net device and its driver, and
// between a Linux TAP device opened with IFF_VNET_HDR and user space.
//
// It implements the header of the VIRTIO 1.2 specification, section 5.1.6
// ("Device Operation"), without the num_buffers field that only
// VIRTIO_NET_F_MRG_RXBUF adds, and follows the meaning Linux gives the
// fields in include/uapi/linux/virtio_net.h and include/linux/virtio_net.h
// (virtio_net_hdr_to_skb and virtio_net_hdr_from_skb):
//
//   - flags: FlagNeedsCsum says the packet carries a partial checksum: the
//     16-bit field at csum_start+csum_offset holds the folded (not
//     complemented) pseudo-header sum, and the one's-complement sum of
//     everything from csum_start to the end of the packet, complemented,
//     must be stored there before the packet goes on a wire
//     (NetHdr.FinishChecksum does that). FlagDataValid, only ever set on
//     packets from a device to a driver (from a TAP device to user space),
//     says the checksums were verified. Flag bits this package does not
//     know are kept but otherwise ignored, as section 5.1.6.2.2 asks.
//   - gso_type: GSONone, or the segmentation the packet still needs:
//     GSOTCPv4, GSOTCPv6, GSOUDP (UFO, IP fragmentation; deprecated in
//     Linux) or GSOUDPL4 (USO, one UDP datagram per segment), optionally
//     ORed with GSOECN (the TCP stream uses ECN, so CWR is set on the first
//     segment only).
//   - hdr_len: the length of the headers (link, network, transport) that
//     every segment repeats. The specification makes it a hint only.
//   - gso_size: the payload length of each segment but the last (the MSS).
//   - csum_start, csum_offset: where checksumming starts and where, relative
//     to that, the checksum is stored (16 for TCP, 6 for UDP).
//
// # Byte order
//
// The four 16-bit fields are little-endian, as VIRTIO 1.x requires for every
// device. A legacy (pre-1.0) virtio device and a Linux TAP device use the
// host's native byte order instead; Linux's tun driver switches a TAP to
// little-endian with the TUNSETVNETLE ioctl (and to big-endian with
// TUNSETVNETBE, only in kernels built with CONFIG_TUN_VNET_CROSS_LE). The
// native order of amd64, arm64 and every other little-endian host is
// already little-endian, and package tap sets TUNSETVNETLE when it opens a
// device (and refuses to open one on a big-endian host whose kernel lacks
// that ioctl), so this codec is correct for every TAP device package tap
// hands out.
//
// # Validation
//
// DecodeNetHdr rejects what Linux's virtio_net_hdr_to_skb rejects and what
// can be checked without the packet: a short buffer, an unknown GSO type,
// the ECN bit without a GSO type, a zero gso_size with a GSO type, and a
// csum_offset that does not point at a TCP or UDP checksum field for a GSO
// packet. NetHdr.Validate adds the checks that need the packet's length:
// csum_start+csum_offset+2 must lie inside the packet. Every error is an
// *Error wrapping one of the sentinel errors, so errors.Is tells the kind
// and errors.As the field.
package virtio
