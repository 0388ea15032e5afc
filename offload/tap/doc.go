// Package tap opens Linux TAP devices that exchange Ethernet frames with
// user space together with a virtio-net header (package virtio), so the
// kernel can hand over TCP and UDP super-packets (TSO, USO) with partial
// checksums and accept them back, instead of segmenting and checksumming
// every packet itself.
//
// A Device is opened with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR (TUNSETIFF), a
// 10-byte vnet header (TUNSETVNETHDRSZ), little-endian header fields
// (TUNSETVNETLE, see package virtio on byte order) and the offloads the
// caller asks for (TUNSETOFFLOAD with TUN_F_* flags: Offload). An offload
// the kernel does not know (USO4/USO6 before Linux 6.2) is dropped and the
// rest kept; Device.Offload reports what the kernel accepted.
//
// What the offload flags mean, from the kernel's point of view: they are
// what user space can receive. With TUN_F_CSUM the kernel may hand over
// packets with VIRTIO_NET_HDR_F_NEEDS_CSUM (checksum not finished); with
// TUN_F_TSO4/TSO6 (and TUN_F_TSO_ECN) TCP super-segments of up to 64 KiB;
// with TUN_F_USO4/USO6 UDP super-datagrams. Writing partial checksums and
// GSO packets into the device is always accepted, whatever the flags.
//
// ReadPacket and WritePacket use the caller's buffer and writev(2) and do
// not allocate. The device is non-persistent: it disappears when the last
// file descriptor is closed. A Device may be moved to another network
// namespace (ip link set NAME netns NS) while open; its file descriptor
// keeps working. Config.NetNS opens the device in a named namespace.
//
// This package is Linux-only; elsewhere Open returns an error wrapping
// errors.ErrUnsupported. Creating a TAP device needs CAP_NET_ADMIN.
package tap
