// Package mrt reads and writes MRT routing information export files
// (RFC 6396), the format route collectors (RIPE RIS, RouteViews) publish and
// BGP daemons dump their tables in, so that tables can be dumped, replayed
// into a speaker and benchmarked.
//
// A Reader yields Records from a stream without copying more than one record
// at a time, and refuses records longer than its limit, so a hostile file
// cannot grow memory without bound. A Record's views decode the two record
// types this package knows:
//
//   - TABLE_DUMP_V2 (RFC 6396 section 4.3): the PEER_INDEX_TABLE, and RIB
//     records for IPv4 and IPv6 unicast and multicast, with the ADD-PATH
//     variants of RFC 8050, and RIB_GENERIC;
//   - BGP4MP and BGP4MP_ET (RFC 6396 sections 4.4 and 4.5): BGP messages
//     with their peer and local addresses (2- and 4-octet AS, LOCAL and the
//     RFC 8050 ADD-PATH subtypes) and state changes.
//
// Other types are returned as raw records. RIB entries hold their path
// attributes in BGP wire form (always with 4-octet AS numbers); AppendUpdate
// turns an entry into a BGP UPDATE message that the wire package parses
// and a speaker can send, expanding the abbreviated MP_REACH_NLRI of
// section 4.3.4.
//
// A Writer writes the same records.
//
// Standards: RFC 6396 (MRT), RFC 8050 (MRT with BGP ADD-PATH), RFC 4271
// (BGP-4 message and attribute framing), RFC 4760 (MP_REACH_NLRI), RFC 6793
// (4-octet AS numbers).
package mrt
