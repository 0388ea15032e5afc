// Package header provides zero-copy views over packet headers in a caller's
// buffer, with validating parsers and in-place setters.
//
// Each header is a named byte slice that starts at the header's first byte:
// [Ethernet], [ARP], [IPv4], [IPv6], [TCP], [UDP], [ICMPv4] and [ICMPv6].
// Accessors read fields straight from the buffer and setters write them
// back; addresses are [net/netip.Addr] values and MAC addresses are the
// value type [MAC], so nothing allocates.
//
// # Parsing
//
// A view obtained from a ParseXxx function has been checked for everything
// its accessors rely on: after a successful parse, no accessor, iterator or
// Payload call can panic, whatever the bytes were (only methods documented
// to panic on a bad argument, such as [Ethernet.Tag] with an index out of
// range, do). Malformed input yields an [*Error] naming the layer, field and
// byte offset, wrapping one of [ErrTruncated], [ErrBadLength], [ErrBadValue]
// or [ErrTooManyExtensions]. Parsing and reading never allocate; only the
// error path allocates its *Error.
//
// Where a header carries its own length (IPv4 Total Length, IPv6 Payload
// Length, UDP Length), the parser returns a view cut to that length, so
// trailing bytes such as Ethernet padding are not part of the view and
// Payload never includes them. The caller's original slice still holds them.
// [ParseIPv4Partial] and [ParseIPv6Partial] accept a packet cut short, as
// quoted in ICMP error messages.
//
// Variable-length parts are walked by iterators (range-over-func) over the
// buffer: IPv4 options, IPv6 extension headers, TCP options, NDP options.
// Iterators yield (element, nil) for each well-formed element and, if they
// meet a malformed one, a final (zero, err) before stopping. Walks are
// bounded: an IPv6 extension-header chain longer than [MaxIPv6Extensions]
// is an error, so a hostile chain cannot make a walk long.
//
// # Building
//
// The InitXxx functions lay out a fresh header in a caller's buffer (zeroing
// it and writing version, header-length and length fields), returning a view
// that satisfies the same invariants as a parsed one; the setters then fill
// in the rest. Setters do not re-validate: a setter that changes a length
// field (SetTotalLength, SetPayloadLength, SetLength) can make the view
// inconsistent with its buffer; Payload clamps to the buffer rather than
// panicking. Accessors on a view that is neither parsed nor initialised may
// panic if the slice is shorter than the header's minimum size.
//
// Checksums use package github.com/sdnfabric/sdnfabric/offload/checksum.
//
// # Standards
//
//   - IEEE 802.3 Ethernet II framing and IEEE 802.1Q VLAN tags
//     (802.1ad S-tags for QinQ)
//   - RFC 826: ARP (Ethernet hardware, IPv4 protocol); RFC 5227 for
//     gratuitous ARP and probes
//   - RFC 791: IPv4, including options and fragmentation fields
//   - RFC 8200: IPv6 and its extension headers; RFC 4302: the
//     Authentication Header (length in 4-octet units)
//   - RFC 9293: TCP (options of RFC 7323 and RFC 2018)
//   - RFC 768: UDP
//   - RFC 792 and RFC 1191: ICMP for IPv4 and its next-hop MTU
//   - RFC 4443: ICMPv6; RFC 4861: Neighbor Discovery messages and options
//   - RFC 1071: the Internet checksum (through package checksum)
package header
