// Package peerbench compares the bgp/wire codec with GoBGP's pkg/packet/bgp
// on identical UPDATE messages. It is a benchmark-only module: nothing in
// the released bgp module imports GoBGP. See README.md.
package peerbench
