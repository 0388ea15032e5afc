// Package checksum implements the Internet checksum used by IPv4, ICMP, TCP
// and UDP.
//
// It provides:
//
//   - Sum: the 16-bit one's-complement sum of RFC 1071, folded but not
//     complemented, so partial sums over several buffers can be chained
//     (pass one result as the next call's initial value) or merged with
//     Combine.
//   - PseudoHeader: the sum of the TCP/UDP pseudo-header for IPv4
//     (RFC 768, RFC 9293 section 3.1, formerly RFC 793) and IPv6
//     (RFC 8200 section 8.1).
//   - Update16, Update32 and UpdateAddr: incremental update of a stored
//     checksum field after a 16-bit, 32-bit or address rewrite, using
//     equation 3 of RFC 1624 (as NAT and TTL decrement do).
//
// # Sums and fields
//
// A checksum field as transmitted is the one's complement of the sum over
// the covered bytes: field = ^Sum(data, 0) (for TCP and UDP,
// field = ^Sum(segment, PseudoHeader(...))). A receiver verifies by summing
// the covered bytes including the field: the result is 0xFFFF when the
// checksum is correct.
//
// One's-complement arithmetic has two zeros, 0x0000 (+0) and 0xFFFF (-0).
// Sum returns 0x0000 only when every byte and the initial value are zero;
// any other input that sums to zero yields 0xFFFF. So a checksum field
// computed by ^Sum is 0x0000, never 0xFFFF, when the data sum to zero, unless
// the covered data are all zero bytes (which never happens for a real IPv4
// header or for TCP/UDP with their pseudo-header). The Update functions
// follow the same rule (RFC 1624 section 3 explains why equation 2 got
// this wrong): they never return 0xFFFF, and return 0x0000 exactly where a
// full recompute would. Rewriting a value with itself leaves a field
// unchanged, apart from turning 0xFFFF into the equal 0x0000.
//
// # Incremental update
//
// Update16, Update32 and UpdateAddr adjust a checksum field as stored in a
// header after part of the covered data changed, without reading the data
// again, by RFC 1624 equation 3:
//
//	HC' = ~(~HC + ~m + m')
//
// where HC is the old field, m the old value and m' the new one, added with
// end-around carry. The changed value must lie at an even offset from the
// start of the checksummed data, as every 16- and 32-bit field and every
// address in the IPv4, IPv6, TCP, UDP and ICMP headers does.
//
// # UDP's zero
//
// UDP (RFC 768) gives the field value 0x0000 a special meaning, "no checksum
// computed" (allowed for IPv4, not for IPv6 except as RFC 6935 permits for
// tunnels), and says a computed checksum of 0x0000 is transmitted as 0xFFFF
// instead. This package does not apply that rule; callers building or
// rewriting UDP datagrams must: transmit 0xFFFF where ^Sum or an Update
// function returned 0x0000, and leave a 0x0000 field (no checksum) alone
// rather than updating it. Passing a transmitted 0xFFFF field to an Update
// function is fine: it is the same one's-complement value as 0x0000.
//
// # Speed
//
// On amd64, Sum hands buffers of 192 bytes or more to an assembly kernel
// chosen at start-up from what the CPU and operating system support: AVX-512
// (F and BW) or AVX2. Shorter buffers, other architectures and builds with
// the purego build tag use a portable Go loop that adds 64-bit words with
// carry. Every path gives identical results, and none allocates.
package checksum
