// Package maglev builds Maglev consistent-hashing lookup tables (Eisenbud
// et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
// NSDI 2016, section 3.4), implemented from the paper.
//
// A [Table] of prime size M maps a flow hash to one of N backends in O(1)
// with no allocation ([Table.Lookup]). Every backend owns close to M/N
// slots, and when the backend set changes most slots keep their owner, so
// most flows keep their backend even on a Mux that has no connection
// state for them.
//
// # Construction
//
// Each backend derives a permutation of the slots from two hashes of its
// stable name: offset = h1(name) mod M and skip = h2(name) mod (M-1) + 1,
// and its j-th preference is (offset + j*skip) mod M, which visits every
// slot because M is prime. Backends then take turns: in each turn a
// backend claims its most preferred slot that is still free, until all M
// slots are owned. New runs exactly these turns, with shortcuts that do
// not change their outcome (candidates tested several at a time, the
// last slots found by their rank in the permutation instead of by
// probing); a test holds it to a plain implementation of the paper's
// algorithm.
//
// h1 and h2 are SipHash-2-4 (package flowhash) of the name's bytes under
// two fixed 128-bit keys, the ASCII texts "maglev/offset/v1" and
// "maglev/skip/v1.." read as little-endian words. The keys are constants,
// not per-process seeds, so every Mux on every machine builds the same
// table; a test pins a golden table so that any change to the hash or to
// the fill order is caught.
//
// Backends are sorted by name before the turns start, so the table
// depends only on the set of (name, weight) pairs and not on the order in
// which a Mux learnt them.
//
// # Weights
//
// A backend of integer weight w takes w turns per round; weights are first
// divided by their greatest common divisor, so {2, 4} builds the same
// table as {1, 2}. Within a round the turns are interleaved: the first
// turn goes to every backend, the second to every backend of weight at
// least 2, and so on, heaviest first and by name among equal weights. With
// all weights equal this is exactly the paper's round robin.
//
// Let W be the sum of the reduced weights and R = floor(M/W). A backend of
// reduced weight w then owns between R*w and (R+1)*w slots; with equal
// weights that is floor(M/N) or ceil(M/N). W may not exceed M. The paper
// recommends M larger than 100*N; with W <= M/100 the rounding above is at
// most 1% of any backend's share.
//
// # Lookup and disruption
//
// [Table.Lookup] maps a 64-bit hash h to slot floor(h*M / 2^64) (the high
// word of a 64x64-bit product, one multiplication instead of the paper's
// h mod M) and returns the owner's index in name order.
//
// Rebuilding after a change with [New] moves the removed (or added)
// backend's slots plus others whose owners' turns were displaced, mostly
// at the end of the fill, when the last free slots go to whichever
// backend reaches them first; [Moved] counts them. Measured at M =
// 65537, removing one of N backends moves 1.02 (N = 10), 1.6 (N = 100)
// and 6.9 (N = 1000) times the ideal M/N slots; the extra is roughly
// constant, near 2*sqrt(M) slots, so it matters only when M/N is small,
// and a larger M shrinks it (4.3 times the ideal for N = 1000 at M =
// 655373). The tests hold the bound ceil(M/N) + 3*sqrt(M) for one
// backend leaving or joining, which is at most 2*M/N when N <= sqrt(M)/3. The stricter bound 2*M/N for every N with
// M >= 100*N does not hold for larger N: over 400 random draws of N in
// [2, M/100] and of the backend removed, at M = 65521, the slots moved
// have a median of 3.9 M/N and a maximum of 6.6 M/N, 301 draws above 2;
// cilium's pkg/maglev, on 30 of the same draws in the same run
// (slb/peerbench), a median of 5.1 and a maximum of 6.2 (ours 5.1 and
// 6.6 on those 30): this is a property of the paper's algorithm.
//
// [Rebuild] meets the bound by starting from the previous table: every
// slot whose owner stays keeps it, and only the slots of the backends
// that left (or the surplus of those whose share shrank) are handed out,
// each backend that needs slots taking its most preferred such slot in
// turn, with the same floor(M/N) or ceil(M/N) balance as New. With equal
// weights, removing one backend then moves exactly its own slots (1.00
// M/N over the same 400 draws) and adding one moves exactly the slots it
// gets. The price is that the table depends on the history of changes,
// not only on the current set: Muxes agree only if they rebuilt through
// the same sequence of sets from the same table, and a Mux that starts
// later and builds with New disagrees with them. New stays the default
// for that reason (package mux offers Rebuild as Config.MinimalDisruption).
//
// [Current] publishes a new table to lock-free readers with an atomic
// pointer swap, so packet-processing goroutines never block on a rebuild.
package maglev
