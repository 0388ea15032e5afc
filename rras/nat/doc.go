// Package nat is a NAT44 gateway (network address and port translation,
// RFC 3022) working on raw IPv4 packets, with the behaviour the IETF BEHAVE
// requirements ask of it: RFC 4787 (UDP), RFC 5382 (TCP), RFC 5508 (ICMP)
// and their update RFC 7857. The module README (rras/README.md) holds the
// conformance table: each requirement, what this package does, and the test
// that shows it.
//
// # Data path
//
// The caller decides which side a packet came from: Outbound for packets
// arriving on the internal interface, Inbound for the external one. Both
// translate the packet in place, starting at its IPv4 header, with
// incremental checksum updates (RFC 1624, through package
// github.com/sdnfabric/sdnfabric/offload/header), and return a Verdict:
// Forward, Hairpin (send it back inside), Drop, Pass (inbound traffic not
// addressed to the NAT) or ReplyICMP, after which AppendProhibited builds
// the ICMP Destination Unreachable code 13 for the sender. Dropped packets
// come with an error saying why; policy drops return sentinel errors and
// allocate nothing, malformed input returns an *Error naming the part.
//
// # Behaviour
//
// Mappings are endpoint-independent and paired (one external address per
// internal host); filtering is endpoint-independent, address-dependent or
// address-and-port-dependent (Config.Filtering). External ports keep the
// internal port when it is free and in range, and otherwise are random
// with the same parity; a port is never shared (no port overloading).
// Outbound packets to an external endpoint of the NAT are hairpinned with
// the sender's external endpoint as their source. ICMP queries map their
// identifier; ICMP errors are translated by the packet they quote and
// dropped when it matches no mapping or a checksum is wrong. Static port
// forwards (Config.Forwards) admit traffic from outside.
//
// Fragments are translated in any order without reassembly (RFC 4787
// REQ-14): the first fragment is translated like a whole packet and its
// translation remembered for the datagram's other fragments; a fragment
// that arrives before its first fragment is held in a bounded queue and
// released (Released) once the first has been translated. Both tables are
// fixed in size and replace their oldest entry (REQ-14a); see fragment.go.
//
// Only Outbound creates sessions, so traffic from outside never takes
// table space. A session is refused (ReplyICMP) when the table holds
// MaxSessions or the internal host MaxSessionsPerHost: existing sessions
// are never pushed out by new ones.
//
// # Memory and time
//
// New allocates the whole table: fixed-size records without pointers in
// two slabs (mappings, sessions) linked by index, and open-addressing hash
// indexes (internal endpoint, external endpoint, session), at most half
// full. A session costs about 118 bytes with 1M of them (see the
// benchmarks in the module README).
// Timers run on a wheel of one-second buckets advanced by every Outbound
// and Inbound call (from Config.Clock) and by Expire; a session expires
// within a second after its timeout, never before. Only outbound packets
// refresh sessions.
//
// A NAT is not safe for concurrent use; run one per goroutine (for
// example one per external address, each with its own pool).
package nat
