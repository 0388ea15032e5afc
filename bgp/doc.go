// Package bgp is a BGP-4 speaker (RFC 4271) that a load balancer or router
// can embed: the wire codec, the session state machine and the speaker API.
//
// The codec covers multiprotocol extensions (RFC 4760), route refresh
// (RFC 2918, RFC 7313), 4-octet AS numbers (RFC 6793), graceful restart
// (RFC 4724), ADD-PATH (RFC 7911), extended messages (RFC 8654), extended
// next hop (RFC 8950), communities (RFC 1997, RFC 4360, RFC 8092), route
// reflection attributes (RFC 4456), shutdown communication (RFC 9003) and
// revised error handling (RFC 7606).
//
// Package wire (bgp/wire) is the message codec: zero-allocation views over
// received messages, append-style encoders, and the RFC 7606 decision of what
// to do with a malformed UPDATE. bgp/peerbench compares it with GoBGP.
package bgp
