// Package rib is the routing information base of a BGP speaker: the paths
// each peer announced (Adj-RIBs-In), the best path and ECMP set of every
// prefix (Loc-RIB), and subscriptions that feed a forwarding table.
//
// # Ingest
//
// A session hands each decoded UPDATE to RIB.Ingest, which walks its
// withdrawn and announced prefixes in the message buffer and interns the
// attribute block once per UPDATE (and next hop). Interned attribute sets
// (AttrSet) are hash-consed on a canonical encoding and refcounted, so a
// full table stores each distinct set once and frees it with its last
// path. Paths are keyed by peer and ADD-PATH path identifier (RFC 7911).
// Prefixes live in a compact table: an 8-byte key per IPv4 prefix and a
// 24-byte key per IPv6 prefix, mapping into one slab of destinations.
//
// # Decision process
//
// RFC 4271 section 9.1.2.2 with the tie-breakers routers add, each a named
// Step that RIB.Best reports: weight, LOCAL_PREF, AS_PATH length, ORIGIN,
// MED (within a neighbor AS, or always), eBGP over iBGP, IGP cost (a
// hook), oldest eBGP path (RFC 5004, optional), BGP Identifier or
// ORIGINATOR_ID (RFC 4456 section 9), CLUSTER_LIST length, peer address,
// path identifier. Each step removes the candidates it does not keep, so
// MED is deterministic: it never depends on arrival order.
//
// Multipath: the paths still tied after the IGP cost step, with the same
// AS_PATH as the best (or the same length, Options.ASPathRelax) and
// distinct next hops, form the ECMP set, up to Options.MaxPaths.
//
// On import, paths that loop are treated as withdrawn: our AS in the
// AS_PATH of an eBGP path (RFC 4271 section 9.1.2), our Router ID as
// ORIGINATOR_ID or our cluster ID in CLUSTER_LIST (RFC 4456 section 8).
//
// # Export
//
// RIB.Export gives the attributes a path goes out with to a peer (its
// Adj-RIB-Out entry): our AS prepended and next hop self towards eBGP
// peers, LOCAL_PREF towards iBGP peers, route reflection between iBGP
// peers (RFC 4456 section 6: ORIGINATOR_ID and CLUSTER_LIST), and the
// NO_EXPORT and NO_ADVERTISE communities (RFC 1997).
//
// # Subscriptions
//
// A Subscription is a set of pending prefixes: a change marks its prefix,
// and Subscription.Next returns the current state of each marked prefix.
// The RIB never waits for a subscriber, a slow one holds at most one entry
// per prefix, and intermediate states are coalesced.
//
// # Concurrency
//
// One lock: writes (Ingest, Announce, Withdraw, RemovePeer) are meant to
// come from a single goroutine that drains every session's updates, as
// BIRD runs one thread; reads (Best, Multipath, Paths, LocRIB) share a
// read lock.
//
// # Import policy and limits
//
// Each peer may have an import policy (package policy). Without one, eBGP
// paths are rejected as RFC 8212 requires, unless the peer opts out with
// AllowWithoutPolicy. A policy that changes attributes has its result
// interned like any other set; paths it leaves alone keep the set they
// arrived with. With SoftReconfig a peer's paths are also kept as received
// (the pre-policy Adj-RIB-In, RIB.AdjRIBIn), and SetImportPolicy re-runs a
// new policy over them without a route refresh. MaxPrefixes bounds the
// paths a peer may have after import: Ingest returns a *MaxPrefixError
// (RFC 4486 Cease subcode 1) when the peer goes beyond it.
//
// # Not yet
//
// Adj-RIB-Out is computed on demand by Export, not stored per peer, and
// export policies are applied by the caller. RemovePeer scans the whole
// table.
//
// # Standards
//
//   - RFC 4271 section 9: decision process
//   - RFC 4456: route reflection (ORIGINATOR_ID, CLUSTER_LIST: decision, loop checks, export)
//   - RFC 1997: NO_EXPORT and NO_ADVERTISE on export
//   - RFC 5004: prefer the oldest eBGP path
//   - RFC 7911: ADD-PATH, several paths per peer by path identifier
//   - RFC 8212: default eBGP route propagation behaviour (import side)
//   - RFC 4486: maximum number of prefixes (the limit; the session sends the Cease)
package rib
