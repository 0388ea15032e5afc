package hostagent

import (
	"net/netip"
	"sync"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Clients reuse source ports, sometimes within a few hundred connections,
// so a SYN may open a new connection on the 5-tuple of one the agent
// still tracks. Such a SYN starts a new connection state, as the first
// packet of a new flow does (a DIP picked again, the rule's idle timeout,
// TCP reset on idle tracked afresh), when the tracked connection can no
// longer be the one it opens:
//
//   - it saw a FIN or a RST (it is closing, or closed and not yet
//     expired);
//   - for an inbound flow, the Mux chose another DIP than the flow's, or,
//     when the Mux did not say, the flow's DIP takes no new flows (probed
//     down, busy, or removed and draining).
//
// Any other SYN (a retransmission) and every packet that is not a SYN
// keep the connection and its DIP: established flows of a DIP out of
// rotation go on until they are idle or, when it was removed, drained.
//
// The replaced connection may still be open on its old DIP, which
// would keep it until its own timeouts. When its rule has
// EnableTCPReset, the agent resets it there instead: Config.OnTCPReset
// is given a RST from the client to the old DIP, with the sequence
// number the DIP expects (see TCPReset). The client is sent none: its
// SYN opens the new connection. A connection that saw a FIN or a RST
// gets no RST, as at the idle timeout.

// opens reports whether p opens a TCP connection: a SYN without ACK.
func (p *packet) opens() bool {
	return p.flags&(header.TCPFlagSYN|header.TCPFlagACK) == header.TCPFlagSYN
}

// closes reports whether p closes its TCP connection: a FIN or a RST.
func (p *packet) closes() bool {
	return p.flags&(header.TCPFlagFIN|header.TCPFlagRST) != 0
}

// reopensInbound reports whether a SYN from a client that found the
// inbound entry e opens a new connection on e's 5-tuple; dip is the DIP
// the Mux chose, if known (see Inbound).
func (a *Agent) reopensInbound(c *compiled, e *entry, dip netip.Addr) bool {
	if e.act.snat || e.act.verdict != Deliver {
		return false // SNAT return traffic: the DIP opened the connection
	}
	if e.closing {
		return true
	}
	old := fromKey(&e.act.dip, e.key.v4)
	if dip.IsValid() {
		return dip != old
	}
	d := c.dips[dipKey{e.key.vni, old}]
	return d == nil || !d.usable()
}

// reopensOutbound reports whether a SYN from a local DIP that found the
// outbound entry e opens a new SNAT connection on e's 5-tuple.
func reopensOutbound(e *entry) bool {
	return e.act.snat && e.act.setSrc && e.closing
}

// replacedReset returns a copy of the connection of entry i, which a SYN
// replaces, if it is due a RST to its DIP, or nil. The shard is locked.
// The copy comes from replacedConns, where the caller puts it back once
// the RST is sent: a connection's two entries are too big to copy on
// every packet's stack, and a SYN that replaces one must not allocate
// either. It is an array of one so that the caller can pass it to
// sendResets as a slice without copying it onto its own stack.
func (a *Agent) replacedReset(s *shard, i int) *[1]resetConn {
	if a.cfg.OnTCPReset == nil {
		return nil
	}
	e := &s.entries[i]
	c, ok := dueReset(e, &s.entries[e.peer])
	if !ok || !c.in.seen {
		return nil
	}
	r := replacedConns.Get().(*[1]resetConn)
	r[0] = c
	return r
}

// replacedConns holds the copies replacedReset makes.
var replacedConns = sync.Pool{New: func() any { return new([1]resetConn) }}

// reopen removes the connection of entry i, which a SYN replaces with a
// new one, and returns -1 (no entry).
func (s *shard) reopen(i int) int {
	s.remove(i)
	s.reopened++
	return -1
}
