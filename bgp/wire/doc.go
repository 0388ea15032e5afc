// Package wire is the BGP-4 message codec: views that decode messages in the
// caller's buffer without allocating, value types that append their wire form
// to the caller's buffer, and the error handling rules that tell a session
// what to do with a malformed UPDATE.
//
// # Decoding
//
// ReadMessage reads one message from a connection; ParseHeader checks its
// header. ParseOpen, ParseUpdate, ParseNotification, ParseKeepalive and
// ParseRouteRefresh decode a whole message, header included.
//
// ParseUpdate validates the whole UPDATE in one pass (every prefix, every
// attribute's flags, length and value, duplicates, mandatory attributes) and
// returns an Update view whose iterators (Withdrawn, NLRI, Attrs, Reachable,
// Unreachable) and typed attribute accessors (Attr.ASPath, Attr.Communities,
// Attr.MPReach, ...) read the message bytes in place. The session state it
// depends on (4-octet AS, ADD-PATH per family, extended message, extended
// next hop, eBGP) is a DecodeOptions, derived from the two OPENs by Negotiate.
//
// # Error handling
//
// Every error is an *Error wrapping a sentinel (ErrLength, ErrFlags, ...): it
// names the message, field, attribute and offset, the Action to take, and the
// NOTIFICATION code, subcode and Data field of RFC 4271 section 6. An error
// returned by a Parse function means the session must be reset. For an UPDATE,
// the lesser outcomes of RFC 7606 are reported by Update.Action and Update.Err:
// attribute discard (Attrs already skips the attribute) and treat-as-withdraw
// (Reachable is then empty and Unreachable yields the announced prefixes).
// A malformed MP_REACH_NLRI or MP_UNREACH_NLRI of a family this package
// decodes gives ActionAFISAFIDisable (RFC 7606 section 7.11, RFC 4760
// section 7): Update.Disable names the families, whose routes from the peer
// are to be forgotten, and the rest of the UPDATE is treated as withdrawn.
// One whose AFI and SAFI cannot be read, or name another family, resets
// the session.
//
// # Encoding
//
// Open, Notification and RouteRefresh have Append methods; AppendKeepalive and
// AppendEndOfRIB build the fixed messages. UpdateBuilder turns Attributes and a
// list of prefixes into as many UPDATEs as the negotiated maximum size needs.
//
// # Standards
//
//   - RFC 4271: BGP-4 (messages, path attributes, error codes of section 6)
//   - RFC 1997: COMMUNITIES; RFC 4360: EXTENDED_COMMUNITIES; RFC 8092:
//     LARGE_COMMUNITY
//   - RFC 4456: ORIGINATOR_ID and CLUSTER_LIST (route reflection)
//   - RFC 4760: multiprotocol extensions (MP_REACH_NLRI, MP_UNREACH_NLRI)
//   - RFC 2545: IPv6 global and link-local next hops
//   - RFC 5065: confederation AS_PATH segments
//   - RFC 5492: capabilities advertisement
//   - RFC 2918: route refresh; RFC 7313: enhanced route refresh
//   - RFC 6793: 4-octet AS numbers, AS_TRANS, AS4_PATH and AS4_AGGREGATOR
//   - RFC 4724: graceful restart capability and End-of-RIB
//   - RFC 8538: the N bit of the graceful restart capability
//   - RFC 7911: ADD-PATH
//   - RFC 8654: extended messages
//   - RFC 8950: IPv4 NLRI with an IPv6 next hop (extended next hop)
//   - RFC 9072: extended optional parameters length for OPEN
//   - RFC 8203 and RFC 9003: shutdown communication
//   - RFC 4486: Cease subcodes; RFC 6608: FSM error subcodes
//   - RFC 7606: revised error handling for UPDATE messages
package wire
