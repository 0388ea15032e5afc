// Package flowhash computes the deterministic, fixed-key hashes that every
// Mux of an slb deployment must agree on: the flow hash that picks a backend
// for a packet, and the backend-name hashes from which package maglev derives
// its lookup-table permutations.
//
// # Hash function
//
// The hash is SipHash (Aumasson and Bernstein, "SipHash: a fast short-input
// PRF", INDOCRYPT 2012), implemented here from the paper. SipHash-c-d is a
// keyed 64-bit hash; this package exposes two members of the family:
//
//   - SipHash-2-4, the paper's recommended parameters, for backend names
//     (hashed once per table build, so speed does not matter), and
//   - SipHash-1-3, the reduced-round variant used by CPython and by Rust's
//     standard library, for per-packet flow hashes.
//
// Unlike hash/maphash, whose seed is random per process, a [Key] is fixed:
// [DefaultKey] is a published constant, so two Muxes on different machines,
// processes or Go versions compute the same hash for the same flow and
// therefore send it to the same backend. A deployment that wants
// hash-flooding resistance chooses its own secret Key and gives the same
// Key to every Mux.
//
// # Flow tuples
//
// [Key.Sum] hashes a [Tuple] in one of the Azure Load Balancer distribution
// modes ("loadDistribution"): [FiveTuple] ("Default": source IP, source
// port, destination IP, destination port, protocol), [SourceIPProtocol]
// (the three-tuple: source IP, destination IP and protocol) and [SourceIP]
// (the two-tuple: source IP and destination IP). As in Azure, session
// affinity keeps the destination (the VIP) in the tuple; a Mux keeps one
// table per VIP, so this changes no affinity, but it decorrelates VIPs that
// share a backend pool. The canonical byte string that is hashed is
// documented on [Key.Sum]; hashing allocates nothing.
package flowhash
