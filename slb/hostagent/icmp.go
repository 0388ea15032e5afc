package hostagent

import (
	"encoding/binary"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

const (
	protoICMPv4 = 1
	protoICMPv6 = 58
)

// isICMPError reports whether p is an ICMP error message, which quotes a
// packet of the flow it is about: destination unreachable (including
// fragmentation needed, RFC 1191), time exceeded and parameter problem
// for ICMPv4 (RFC 792), and also packet too big for ICMPv6 (RFC 4443).
func (p *packet) isICMPError() bool {
	if p.l4 < 0 || len(p.b)-p.l4 < header.ICMPv4Size {
		return false
	}
	t := p.b[p.l4]
	if p.v4 {
		return p.proto == protoICMPv4 && (t == 3 || t == 11 || t == 12)
	}
	return p.proto == protoICMPv6 && t >= 1 && t <= 4
}

// icmpSum returns the ICMP message's checksum sum: 0xFFFF when valid.
func (p *packet) icmpSum() uint16 {
	msg := p.b[p.l4:]
	if p.v4 {
		return checksum.Sum(msg, 0)
	}
	h := header.IPv6(p.b)
	return checksum.Sum(msg, checksum.PseudoHeader(h.Source(), h.Destination(), protoICMPv6, len(msg)))
}

// icmpError translates an ICMP error about a flow of this host, like the
// flow's own packets (RFC 5508 section 4): the outer destination (Inbound)
// or source (Outbound), and the address and port of the quoted packet
// that the flow's translation changed, with the quoted IPv4 header
// checksum and transport checksum (when quoted) updated incrementally and
// the ICMP checksum computed again. Path MTU discovery (an ICMP
// "fragmentation needed" or "packet too big" sent to a VIP, which the Mux
// forwards to the flow's host) thus reaches the DIP.
func (a *Agent) icmpError(c *compiled, p *packet, out bool) (Result, error) {
	pass := Result{Verdict: Pass, Reason: ReasonNotVIP}
	drop := Result{Verdict: Drop, Reason: ReasonNoFlow}
	if !out && !c.vips[fromKey(&p.key.dst, p.v4)] {
		return a.stats.count(out, pass), nil
	}
	if p.icmpSum() != 0xffff {
		return a.stats.count(out, Result{Verdict: Drop, Reason: ReasonMalformed}),
			&header.Error{Layer: "icmp", Field: "checksum", Offset: p.l4 + 2, Err: header.ErrBadValue}
	}
	var q packet
	quoted := p.b[p.l4+header.ICMPv4Size:]
	if err := parseQuoted(quoted, &q); err != nil || q.v4 != p.v4 || q.l4 < 0 ||
		(q.proto != protoTCP && q.proto != protoUDP) {
		if out {
			return a.stats.count(out, pass), nil
		}
		return a.stats.count(out, drop), nil
	}
	// The flow's entry for this direction has the quoted packet's tuple
	// reversed: the error answers a packet that went the other way.
	key := q.key.swap()
	key.vni = p.key.vni
	sl := a.table.locate(&key, !out)
	var act action
	sl.s.mu.Lock()
	i := sl.find(&key)
	ok := i >= 0 && !sl.s.entries[i].expired(sl.s, a.now.Load())
	if ok {
		act = sl.s.entries[i].act
	}
	r := pass
	if ok {
		r = a.result(&act, p, ReasonICMPError)
	} else if !out {
		r = drop
	}
	sl.s.count(out, r)
	sl.s.mu.Unlock()
	if !ok || !act.apply {
		return r, nil
	}
	// Inbound: the outer destination and the quoted source; Outbound:
	// the outer source and the quoted destination.
	p.rewrite(!out, &act.addr, 0)
	q.rewrite(out, &act.addr, act.port)
	msg := p.b[p.l4:]
	binary.BigEndian.PutUint16(msg[2:], 0)
	binary.BigEndian.PutUint16(msg[2:], ^p.icmpSum())
	return r, nil
}
