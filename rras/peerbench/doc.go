// Package peerbench compares the rras/lpm routing table with
// github.com/gaissmai/bart on the same synthetic full Internet table and
// the same lookup addresses. It is a benchmark-only module: nothing in
// rras imports it, so the peer never becomes a dependency of the release.
package peerbench
