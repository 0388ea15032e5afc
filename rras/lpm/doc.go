// Package lpm is a longest-prefix-match routing table for IPv4 and IPv6
// (CIDR, RFC 4632; IPv6 prefixes, RFC 4291 section 2.3) that holds a full
// Internet table and answers lookups without locks while routes change.
//
// # Structure
//
// Each address family has its own multibit trie with a stride of one
// octet. A node stores the prefixes that end inside its octet as a
// complete binary tree of 511 positions (the allotment-routing-table
// numbering of Hariguchi's ART: the prefix of r bits with value x sits at
// 1<<r | x, its parent at half that), kept as a 512-bit bitset and a
// popcount-compressed value slice. Children and path-compressed leaves
// (a subtree holding a single prefix stored inline) hang off two 256-bit
// bitsets with their own compressed slices. A lookup walks down the child
// nodes along the address, then checks the nodes it passed from the
// deepest up (an IPv6 lookup checks them on the way down, keeping the
// longest match so far, so that those reads overlap the misses of the
// descent); in each, the longest prefix covering the address is found
// with three bit tests and one mask-and-count-leading-zeros against a
// precomputed ancestor mask. Lookup does not allocate.
//
// In IPv6, a subtree past the first 16 bits (rooted at depth 2 or
// deeper) that holds at most 32 prefixes is a bucket instead: one node
// whose prefixes are a sorted list stored in the same allocation, right
// after it, which a lookup scans. The deep levels of a
// full IPv6 table are sparse (a /24 usually holds one or two allocations
// with a few /32 to /48 routes), so most of them collapse from a chain of
// two or three nodes, each a dependent cache and TLB miss, into one
// allocation, and take less memory. IPv4 has no buckets: its deep levels
// are dense, where a node keeps a prefix in the 8 bytes of its value.
//
// Nodes are 256 bytes laid out by cache line: the first line holds what a
// lookup passing through needs (the child bitset, the prefix count and
// the pointers to the first three children; only nodes with more
// children keep the rest in a separate slice), so a walk through the
// sparse lower levels of a table touches one line per level.
//
// A table that grows past a few thousand routes of a family also keeps a
// direct index of its depth-2 nodes by the first 16 address bits: for
// IPv4 over the whole space (512 KiB, half a byte per route at full size),
// for IPv6 over the global unicast space 2000::/3 (64 KiB, a third of a
// byte per route). A lookup starts there, skipping two levels and their
// child arrays, and falls back to the first two levels of the trie only
// when nothing below /16 matches.
//
// # Concurrency and the memory model
//
// Readers (Lookup, LookupPrefix, Get, Len, All) take no lock and never
// wait. Writers (Insert, Delete, Update) serialise on a mutex.
//
// A node a reader can reach is never modified, with one exception: its
// child slots (in the node and in its child slice) are atomic.Pointer
// values. Every change a
// writer makes is prepared on private nodes (clones of the nodes it
// changes, or new ones) and then published with exactly one atomic store:
// into a child slot of a reachable node, or into the root pointer. Under
// the Go memory model an atomic store is synchronized before the atomic
// load that observes it, so everything the writer did to the private
// nodes before the store (filling bitsets and slices) happens before a
// reader that loaded the new pointer reads them: a reader sees either the
// old subtree or the new one, each complete and consistent, never a
// partly built node. Replaced nodes stay valid for readers still holding
// them; the garbage collector frees them when the last reader is gone
// (this is the role RCU grace periods play in a kernel).
//
// The index entries are atomic pointers too. The writer updates
// them only after it has published the trie change they reflect, and a
// lookup that finds no match through an entry completes its search in the
// trie; so a stale entry can only give the answer from before the write.
//
// Consequently each Insert or Delete is atomic for readers: a lookup
// returns the answer from before or from after it. A single Lookup that
// overlaps several writes reads each node once, in order from the root,
// so it sees each write either entirely or not at all, but it may see a
// later write and miss an earlier one that changed a node it had already
// passed. Update gives stronger grouping: all changes of a batch are
// built privately (path-copying up to the root) and published with one
// store of the root per address family, so readers see none or all of
// them. All is weakly consistent: a prefix present for the whole
// iteration is yielded exactly once; one added or removed meanwhile may
// or may not be.
//
// # Writes
//
// A single Insert or Delete clones only the node whose contents change
// and links the clone into the live trie with one atomic store; nodes
// above it are untouched. Update clones each node it touches once and
// then changes it in place, which is how a router should load a full
// table: it also collects the batch's inserts and applies them in trie
// order (a radix sort on a key made of each level's slot), so that every
// insert appends to its node's compressed slices and consecutive inserts
// walk nodes still in the cache. A full IPv4 table loads at several
// million prefixes per second (see rras/peerbench).
//
// A single Insert costs the allocation and copy of the node or bucket it
// changes (this copy-on-write is what lets readers go without locks),
// which holds it near a million inserts per second on a full table, a
// fifth (IPv4) to a third (IPv6) of what Update reaches on a full table.
// Update pays once per batch for copying the path from the root and its
// bookkeeping, so a router should load a session's full table, or any
// large set of changes, in one Update. A batch of a few changes costs
// several times as much as the same single writes (BenchmarkChurn):
// Update is then worth it where readers must see the changes together,
// such as the withdrawals and announcements of one BGP UPDATE.
package lpm
