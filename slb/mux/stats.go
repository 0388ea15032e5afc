package mux

import "fmt"

// A Verdict says what Process did with a packet.
type Verdict uint8

// The verdicts. Only VerdictForward appends a packet to dst.
const (
	// VerdictInvalid: the packet could not be parsed; the error says why.
	VerdictInvalid Verdict = iota
	// VerdictForward: the packet was encapsulated to a DIP's host.
	VerdictForward
	// VerdictNotMine: the destination is not a configured VIP.
	VerdictNotMine
	// VerdictNoRule: the destination is a VIP, but no load-balancing
	// rule, inbound NAT rule or SNAT lease covers the protocol and port
	// (this includes ICMP other than errors, and errors whose quoted
	// source is not the VIP).
	VerdictNoRule
	// VerdictNoBackend: the rule's pool has no healthy DIP.
	VerdictNoBackend
	// VerdictNoFlow: a non-first fragment whose first fragment the Mux
	// has not seen (see the package documentation).
	VerdictNoFlow
	numVerdicts
)

var verdictNames = [...]string{"Invalid", "Forward", "NotMine", "NoRule", "NoBackend", "NoFlow"}

func (v Verdict) String() string {
	if v < numVerdicts {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Counters beyond the verdicts; the first numVerdicts counters are the
// verdicts.
const (
	cFlowHit = int(numVerdicts) + iota
	cFlowNew
	cPromoted
	cTableFull
	cRepicked
	cFragment
	cICMPError
	cMSSClamped
	cSNAT
	cBytesOut
	cTouched // see ProcessBatch
	numCounters
)

// Stats are the Mux's counters since New.
type Stats struct {
	Verdicts [numVerdicts]uint64 // packets by Verdict
	// FlowHits counts packets of flows found in the flow table, FlowNew
	// flows inserted (untrusted), Promoted flows that became trusted.
	FlowHits, FlowNew, Promoted uint64
	// TableFull counts new flows sent by pure Maglev hashing because
	// their bucket was full of live flows.
	TableFull uint64
	// Repicked counts flows sent to a new backend: those whose backend
	// had been removed and drained, and SYNs (without ACK) that found
	// their 5-tuple's entry on a backend out of rotation (unhealthy or
	// draining), which count as FlowNew too.
	Repicked uint64
	// Fragments, ICMPErrors and SNAT count forwarded fragments, ICMP
	// errors sent to the flow they quote, and SNAT return packets;
	// MSSClamped counts SYNs whose MSS option was lowered.
	Fragments, ICMPErrors, SNAT, MSSClamped uint64
	// BytesOut counts the bytes of the encapsulated packets.
	BytesOut uint64
	// FlowCapacity is the flow table's number of entries, 16 bytes each.
	FlowCapacity int
}

// Packets returns the number of packets processed.
func (s Stats) Packets() uint64 {
	var n uint64
	for _, v := range s.Verdicts {
		n += v
	}
	return n
}

// Stats returns a snapshot of the counters. It locks each flow-table
// shard in turn, briefly. Flow hits that a Worker has counted but not yet
// added (fewer than 64 per Worker) are not in it until Worker.Flush.
func (m *Mux) Stats() Stats {
	var c [numCounters]uint64
	for i := range m.flows.shards {
		sh := &m.flows.shards[i]
		sh.mu.Lock()
		sh.drainHits()
		for j := range c {
			c[j] += sh.n[j] + sh.c[j].Load()
		}
		sh.mu.Unlock()
	}
	var s Stats
	copy(s.Verdicts[:], c[:numVerdicts])
	s.FlowHits, s.FlowNew, s.Promoted = c[cFlowHit], c[cFlowNew], c[cPromoted]
	s.TableFull, s.Repicked = c[cTableFull], c[cRepicked]
	s.Fragments, s.ICMPErrors, s.SNAT, s.MSSClamped = c[cFragment], c[cICMPError], c[cSNAT], c[cMSSClamped]
	s.BytesOut = c[cBytesOut]
	s.FlowCapacity = m.flows.capacity()
	return s
}

// Flows counts the live flow-table entries: untrusted ones (flows seen
// once, and remembered first fragments) and trusted ones. It walks the
// whole table, shard by shard, so it is for monitoring, not per packet.
func (m *Mux) Flows() (untrusted, trusted int) {
	return m.flows.flowCount(m.ticks())
}
