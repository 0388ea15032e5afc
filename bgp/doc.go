// Package bgp is a BGP-4 speaker (RFC 4271) that a load balancer or router
// can embed: the wire codec, the session state machine and the speaker API.
//
// A Speaker keeps sessions with the peers given to AddPeer (active or
// passive, IPv4 or IPv6 transport, TCP-MD5, GTSM and eBGP multihop TTL on
// Linux), announces the prefixes given to Announce to every peer, and
// reports sessions going up and down and the routes peers send to each
// Subscription. Shutdown ends every session with a Cease / Administrative
// Shutdown NOTIFICATION carrying an RFC 9003 shutdown communication.
//
// Connections need not be the kernel's: Config.Dialer opens the outgoing
// ones and Serve accepts from any net.Listener (a user-space TCP/IP stack's,
// say). TCP-MD5, TTL and GTSM apply where a connection is a *net.TCPConn.
//
// With Config.RIB the speaker is a router's control plane: every UPDATE goes
// from the connection straight into a rib.RIB (package rib: best path,
// ECMP, subscriptions for a forwarding table) through the peer's import
// policy, max-prefix limit and soft reconfiguration; PeerConfig.Export
// filters what goes out. Config.GracefulRestart keeps a restarting peer's
// paths (and asks peers to keep ours), and PeerConfig.BFD takes a session
// down within BFD's detection time when the peer stops answering
// (package bfd).
//
// Each peer runs in one goroutine that owns its state; each TCP connection
// has a reader goroutine (which decodes messages into events) and a writer
// goroutine fed by a bounded queue. The state machine itself is package
// fsm, a pure core of RFC 4271 section 8 driven by these goroutines and by
// timers from an injectable Clock. Subscribers never slow a session down:
// a full subscription drops its oldest event and counts it.
//
// Standards: RFC 4271 (BGP-4; sessions, section 8 FSM, section 6.8
// collision detection), RFC 4760 (multiprotocol), RFC 6793 (4-octet AS),
// RFC 2918 (route refresh), RFC 2385 (TCP-MD5), RFC 5082 (GTSM), RFC 7606
// (revised error handling, including AFI/SAFI disable), RFC 4724
// (graceful restart, End-of-RIB), RFC 4486 (Cease subcodes: maximum
// prefixes), RFC 8212 (no eBGP import without a policy), RFC 5882 (BFD
// for BGP), RFC 9003 (shutdown communication), RFC 6608 (FSM
// error subcodes), RFC 7911 (ADD-PATH), RFC 8654 (extended messages), RFC
// 8950 (IPv4 NLRI with an IPv6 next hop).
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
// to do with a malformed UPDATE. Package fsm (bgp/fsm) is the session state
// machine. bgp/peerbench compares the codec with GoBGP; bgp/interop runs
// sessions against BIRD, FRR, GoBGP and ExaBGP; bgp/cmd/bgpd is a small
// daemon around a Speaker.
package bgp
