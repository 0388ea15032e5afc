package router

import "sync/atomic"

// Counter names one of the router's packet counters. Each is kept globally
// ([Router.Counter]) and per interface ([Router.InterfaceCounter]; counted
// on the receiving interface, except TxFrames on the sending one).
type Counter int

// Counters.
const (
	RxFrames          Counter = iota // frames given to Input
	TxFrames                         // frames handed to Output
	Forwarded                        // IP packets forwarded
	LocalDelivered                   // IP packets addressed to the router
	DropMalformed                    // frames or packets that failed to parse
	DropBadChecksum                  // IPv4 header or ICMP checksum wrong
	DropNotForUs                     // frame or packet not addressed to the router
	DropUnsupported                  // VLAN tags, unknown EtherType or protocol
	DropMartian                      // invalid source or destination address
	DropTTLExceeded                  // TTL or hop limit would reach zero
	DropNoRoute                      // no route to the destination
	DropTooBig                       // larger than the egress MTU (DF set, or IPv6)
	DropUnresolved                   // neighbor resolution failed
	DropQueueOverflow                // oldest packet awaiting resolution pushed out
	DropOutputError                  // Output.Send returned an error
	ICMPSent                         // ICMP and ICMPv6 messages generated (errors and echo replies)
	ICMPRateLimited                  // ICMP errors suppressed by the rate limit
	ARPReceived                      // ARP packets received
	NDReceived                       // Neighbor Discovery messages received
	NATTranslated                    // IPv4 packets the NAT translated (outbound, inbound, hairpinned)
	DropNAT                          // IPv4 packets the NAT dropped or refused
	numCounters
)

var counterNames = [numCounters]string{
	"rx_frames", "tx_frames", "forwarded", "local_delivered", "drop_malformed",
	"drop_bad_checksum", "drop_not_for_us", "drop_unsupported", "drop_martian",
	"drop_ttl_exceeded", "drop_no_route", "drop_too_big", "drop_unresolved",
	"drop_queue_overflow", "drop_output_error", "icmp_sent", "icmp_rate_limited",
	"arp_received", "nd_received", "nat_translated", "drop_nat",
}

// String returns the counter's snake_case name, as exported to metrics.
func (c Counter) String() string {
	if c < 0 || c >= numCounters {
		return "unknown"
	}
	return counterNames[c]
}

type counters [numCounters]atomic.Uint64
