// Package netsim is in-process Ethernet: point-to-point wires and learning
// switches that carry whole Ethernet II frames (IEEE 802.3 clause 3, without
// preamble or FCS) between the ports of simulated nodes.
//
// A Port is one attachment. Port.Send copies the frame and queues it for the
// far end; it never blocks and reports false when the frame was dropped
// (queue full, simulated loss, port closed). Each port delivers the frames
// queued for it, in order, on a goroutine of its own to the function given
// to Port.SetReceiver; frames wait in the bounded queue until a receiver is
// set.
//
// Port.SendSuper sends a TCP/IPv4 super-frame (a GSO packet, one frame
// for many MSS-sized segments) with its MSS; a node that takes them whole
// sets Port.SetSuperReceiver, and a plain receiver gets the segments, cut
// and checksummed by package offload (SuperHeader says how, as the
// virtio-net header a TAP device takes). A super-frame may also be one in
// VXLAN (RFC 7348), as a Mux sends it: a plain receiver then gets one VXLAN
// packet per inner segment (package offload/gso, with the tunnel).
//
// A WireConfig bounds the queues and can make a link lossy (a seeded,
// deterministic pseudo-random drop of a fraction of the frames) and slow (a
// fixed propagation delay), so tests can exercise TCP recovery. Every port
// counts what it sent, received and dropped, and why.
//
// A Switch is one L2 segment: it learns source MAC addresses per port
// (IEEE 802.1Q clause 8.7 learning, without VLANs or ageing) and floods
// broadcast, multicast and unknown-unicast frames to every other port.
package netsim
