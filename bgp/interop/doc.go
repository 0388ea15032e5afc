// Package interop holds the interoperability tests of the bgp speaker
// against real BGP daemons from Debian packages: BIRD 2, FRR's bgpd, GoBGP
// and ExaBGP. Each test creates two network namespaces joined by a veth
// pair (10.99.N.1 is our speaker, 10.99.N.2 the daemon), starts the daemon
// in one and the speaker's sockets in the other, and checks that the
// session reaches Established with us active and passive, that prefixes
// and withdrawals cross both ways (read from the daemon with birdc, vtysh,
// gobgp and exabgpcli), that TCP-MD5 works, and that the daemon reports
// our shutdown communication (RFC 9003), and that our side of every
// capture decodes in tshark without a malformed packet. More tests run an
// IPv6-only session over IPv6 transport with BIRD; ADD-PATH (RFC 7911),
// extended messages (RFC 8654) and, with BIRD over IPv6, extended next hop
// (RFC 8950) against BIRD and FRR; and GTSM (RFC 5082) on our listener
// against BIRD.
//
// The tests need root (to create namespaces) and the daemons' binaries;
// without them they skip, saying what is missing. They build on Linux only.
package interop
