// Package rras is a routing and remote-access gateway built from libraries:
// a longest-prefix-match routing table, a two-armed IPv4/IPv6 router
// (RFC 1812, RFC 8200, ARP per RFC 826, neighbor discovery per RFC 4861,
// ICMP per RFC 792 and RFC 4443) and a NAT44 gateway (RFC 3022, with the
// behavioural requirements of RFC 4787, RFC 5382 and RFC 5508).
package rras
