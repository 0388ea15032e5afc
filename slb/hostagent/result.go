package hostagent

import (
	"net/netip"
	"sync/atomic"
)

// A Verdict says what the virtual switch does with a packet after Inbound
// or Outbound.
type Verdict uint8

// The verdicts.
const (
	// Pass: the packet is none of the load balancer's business (east-west
	// traffic); the next layer (VNet) handles it unchanged.
	Pass Verdict = iota
	// Deliver: the packet, rewritten in place, goes to the local DIP's port.
	Deliver
	// ToRouter: the packet, rewritten in place, leaves the host straight
	// for the provider router (Direct Server Return, never via a Mux).
	ToRouter
	// Drop: the packet is discarded; Reason says why.
	Drop
	numVerdicts
)

var verdictNames = [...]string{"Pass", "Deliver", "ToRouter", "Drop"}

func (v Verdict) String() string {
	if v < numVerdicts {
		return verdictNames[v]
	}
	return "Verdict(?)"
}

// A Reason says which path decided a packet's Verdict.
type Reason uint8

// The reasons. Each has a counter in Stats.
const (
	ReasonNone          Reason = iota
	ReasonFlow                 // an established flow's translation
	ReasonNewFlow              // a new flow of a load-balancing rule
	ReasonNATRule              // a new flow of an inbound NAT rule
	ReasonFloatingIP           // a new flow of a floating-IP (DSR) rule: VIP kept as destination
	ReasonStateless            // a reply matched no flow (table full or agent restarted) and was reversed from the configuration
	ReasonSNAT                 // a new outbound flow, SNATed to a leased (VIP, port)
	ReasonNotVIP               // not addressed to a VIP of this host, or not from a local DIP: east-west
	ReasonNoRule               // addressed to a VIP but to no rule's protocol and port
	ReasonNoDIP                // the rule has no usable DIP on this host
	ReasonNoFlow               // SNAT return traffic, an ICMP error or a fragment without a flow
	ReasonTableFull            // the flow table had no room (the packet is still translated when that is safe)
	ReasonConflict             // a new inbound flow would reach its DIP with the 5-tuple of an existing one
	ReasonSNATPending          // no free SNAT port; a block was requested, and the packet dropped meanwhile
	ReasonSNATExhausted        // no free SNAT port, and the manager had none to lease
	ReasonFragment             // a non-first fragment, translated like its datagram's first fragment
	ReasonProtocol             // a protocol the agent does not translate (not TCP or UDP)
	ReasonICMPError            // an ICMP error about a flow, translated like the flow
	ReasonMalformed            // the packet did not parse; the error says where
	numReasons
)

var reasonNames = [...]string{"None", "Flow", "NewFlow", "NATRule", "FloatingIP", "Stateless", "SNAT",
	"NotVIP", "NoRule", "NoDIP", "NoFlow", "TableFull", "Conflict", "SNATPending", "SNATExhausted", "Fragment",
	"Protocol", "ICMPError", "Malformed"}

func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "Reason(?)"
}

// A Result is the outcome of Inbound or Outbound.
type Result struct {
	Verdict Verdict
	Reason  Reason
	// DIP is the local DIP the packet was delivered to or came from, VIP
	// the load balancer address on the outside of the translation, and
	// VNI the DIP's virtual network; all zero for Pass.
	DIP, VIP netip.Addr
	VNI      uint32
	// Rule is the name of the rule that made the flow, as
	// "loadbalancer/rule".
	Rule string
}

// Stats are the agent's counters, a snapshot of atomic counters updated
// per packet.
type Stats struct {
	Inbound, Outbound [numVerdicts]uint64 // packets per Verdict, indexed by Verdict
	Reasons           [numReasons]uint64  // packets per Reason, indexed by Reason
	Flows             int                 // flows (connections) in the table now
	// Reopened counts the SYNs that found a tracked connection on their
	// 5-tuple that they could not belong to (closing, or on a DIP out
	// of rotation) and started a new one instead.
	Reopened uint64
	// SNAT: port blocks held now; lease requests sent, refused by the
	// manager (exhausted or over quota), failed otherwise; blocks
	// returned.
	SNATBlocks                                              int
	SNATRequests, SNATExhausted, SNATFailures, SNATReleases uint64
	// Probes: probes run, and state changes reported through OnHealth.
	Probes, HealthChanges uint64
	// TCPResets counts the RSTs handed to Config.OnTCPReset.
	TCPResets uint64
}

// counters are the agent's atomic counters; the per-packet ones of
// packets decided under a flow-table lock live in the shards.
type counters struct {
	in, out [numVerdicts]atomic.Uint64
	reasons [numReasons]atomic.Uint64
	snatRequests, snatExhausted, snatFailures, snatReleases,
	probes, healthChanges, tcpResets atomic.Uint64
}

func (c *counters) count(out bool, r Result) Result {
	if out {
		c.out[r.Verdict].Add(1)
	} else {
		c.in[r.Verdict].Add(1)
	}
	c.reasons[r.Reason].Add(1)
	return r
}
