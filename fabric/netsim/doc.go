// Package netsim is in-process Ethernet: point-to-point wires and learning
// switches that carry whole Ethernet II frames (IEEE 802.3 clause 3, without
// preamble or FCS) between the ports of simulated nodes.
//
// A Port is one attachment. Port.Send hands a frame to the far end's
// receiver (the function given to Port.SetReceiver). It runs to
// completion: when that receiver is idle and nothing waits in its queue,
// it runs at once in the sender's goroutine on the sender's own buffer, so
// a frame crosses a chain of idle nodes with no copy and no goroutine
// hand-off, as a kernel's receive path runs in one softirq. Otherwise the
// frame is copied into the port's bounded queue and delivered, in order,
// on the port's own goroutine; frames wait there until a receiver is set.
// Send never waits for a busy receiver and reports false when the frame
// was dropped (queue full, simulated loss, port closed). A frame that
// comes back to a port whose receiver sent it is queued, and a receiver
// that must never run in a sender's goroutine (a stack with locks of its
// own, such as gVisor's) uses Port.SetQueuedReceiver.
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
