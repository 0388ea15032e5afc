// Package policy is BGP import and export policy: ordered statements that
// match a route on its prefix (prefix lists with ge/le), AS_PATH (contains
// an AS, originated by an AS, length range, without regular expressions)
// and communities (RFC 1997, RFC 4360 extended, RFC 8092 large), and then
// accept it, reject it, or change LOCAL_PREF, MED, communities, the
// AS_PATH (prepend) or the next hop.
//
// Evaluate applies the default of RFC 8212: a route to or from an eBGP
// peer with no policy configured is rejected, unless the peer opts out.
//
// # Standards
//
//   - RFC 8212: default eBGP route propagation behaviour without policies
//   - RFC 1997, RFC 4360, RFC 8092: communities matched and set
//   - RFC 4271 section 9.1: the decision process policy feeds
package policy
