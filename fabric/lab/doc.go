// Package lab runs a fabric topology on real Linux networking: the
// runtime's userspace nodes (routers, NAT, Muxes, hosts with their virtual
// switches) run in the calling process as they do in process, but every
// machine is a Linux network namespace with the kernel's own TCP/IP stack,
// attached to the fabric's data plane through a TAP device.
//
// Up creates one namespace per machine, named Options.Prefix followed by
// the machine's name in lower case (ClientVM is "fab-clientvm" by
// default). In it, a TAP device "eth0" carries the machine's MAC, address
// and default route; the fabric process holds the TAP's file descriptor
// and bridges its frames to the port the runtime made for the machine (on
// its network's switch, or the wire to its host's vNIC), through
// runtime.Options.Guests. A web server machine serves HTTP on its
// endpoints' TCP ports from sockets the fabric process opens inside the
// namespace, answering with its name (header X-Served-By) so that
//
//	ip netns exec fab-clientvm curl http://192.168.102.10/
//
// shows which PortalVM answered. Down removes every namespace with a
// prefix, which is all a lab leaves behind, also after a crash: the TAP
// devices live inside the namespaces and go with them.
//
// Offloads: this first slice opens the TAPs with IFF_VNET_HDR but accepts
// no offloads (TUNSETOFFLOAD 0), so the kernel segments and checksums in
// software and hands over frames of at most the MTU with complete
// checksums; a frame that claims an offload anyway is dropped and counted.
// Frames written to the kernel carry an empty virtio-net header (the
// kernel verifies their checksums).
//
// Lab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), /dev/net/tun and the
// ip command of iproute2, on Linux; elsewhere Up returns ErrUnsupported.
//
// The data path follows RFC 7348 (VXLAN) between hosts, RFC 4271 (BGP)
// between the Muxes and the router, and RFC 3022 (NAPT) at the NAT
// gateway, as in package runtime; the guests' TCP (RFC 9293), ARP
// (RFC 826) and IPv4 (RFC 791) are the kernel's.
package lab
