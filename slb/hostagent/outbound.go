package hostagent

import (
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Outbound translates, in place, an IP packet (IPv4 or IPv6, from the IP
// header on) that a local guest in virtual network vni sent.
//
// A reply of an inbound flow is translated from DIP:backend port back to
// VIP:frontend port (with floating IP it already comes from the VIP) and
// gets Verdict ToRouter: Direct Server Return, straight to the provider
// router, never through a Mux. A new connection from a DIP under an
// outbound rule, to a destination outside the internal prefixes
// (Config.Internal, then SetInternal), is SNATed to a (VIP, port) of the
// DIP's leased blocks, also ToRouter; while the host holds no free port
// for it the packet is dropped (ReasonSNATPending, or ReasonSNATExhausted
// after the manager refused) and a block requested.
// ICMP errors about a flow and the later fragments of a translated
// datagram follow the flow's translation. Other packets Pass unchanged to
// the VNet layer (east-west traffic). A SYN on the 5-tuple of an SNAT
// connection that saw a FIN or RST opens a new one.
//
// A malformed packet is dropped with an error naming the field; Outbound
// never allocates.
func (a *Agent) Outbound(pkt []byte, vni uint32) (Result, error) {
	var p packet
	if err := parse(pkt, &p); err != nil {
		return a.stats.count(true, Result{Verdict: Drop, Reason: ReasonMalformed}), err
	}
	p.key.vni = vni
	c := a.conf.Load()
	if p.isICMPError() {
		return a.icmpError(c, &p, true)
	}
	if p.l4 < 0 {
		return a.fragment(c, &p, true), nil
	}
	if p.proto != protoTCP && p.proto != protoUDP {
		return a.stats.count(true, Result{Verdict: Pass, Reason: ReasonProtocol}), nil
	}
	now := a.now.Load()
	sl := a.table.locate(&p.key, false)
	sl.s.mu.Lock()
	i := sl.find(&p.key)
	if i >= 0 && p.opens() && reopensOutbound(&sl.s.entries[i]) {
		i = sl.s.reopen(i) // a new connection on the 5-tuple (see reopen.go)
	}
	if r, ok := a.established(sl, &p, i, now, true); ok {
		return r, nil
	}
	var act action
	r := sl.s.count(true, a.newOutbound(c, &p, sl, &act))
	sl.s.mu.Unlock()
	if r.Verdict == ToRouter {
		p.apply(&act)
		if p.more {
			a.rememberFragment(&p, &act, true)
		}
	}
	return r, nil
}

// newOutbound handles a packet from a local guest that matches no flow,
// with the shard of its key locked.
func (a *Agent) newOutbound(c *compiled, p *packet, sl slot, act *action) Result {
	src := fromKey(&p.key.src, p.v4)
	t, ok := c.replies[replyKey{p.key.vni, src, p.proto, p.key.sport}]
	syn := p.proto == protoTCP && p.flags&(header.TCPFlagSYN|header.TCPFlagACK) == header.TCPFlagSYN
	if ok && !t.ambiguous && !syn {
		return a.statelessReply(c, p, sl, t, act)
	}
	if o := c.outbound[outboundKey{p.key.vni, src, p.proto}]; o != nil && a.cfg.Leaser != nil &&
		!a.internal(fromKey(&p.key.dst, p.v4)) {
		return a.newSNAT(o, p, sl, act)
	}
	return Result{Verdict: Pass, Reason: ReasonNotVIP}
}

// statelessReply reverses a reply that matched no flow (the table was
// full, or the agent restarted) from the configuration, and records the
// flow again.
func (a *Agent) statelessReply(c *compiled, p *packet, sl slot, t replyTarget, act *action) Result {
	vip := addr16(t.vip)
	var dip [16]byte
	if t.floating {
		// The guest owns the VIP; its DIP is the local DIP of the rule.
		l := c.listeners[listenKey{t.vip, p.proto, t.port}]
		if l == nil {
			l = c.listeners[listenKey{t.vip, p.proto, 0}]
		}
		if l == nil || len(l.dips) != 1 {
			return Result{Verdict: Pass, Reason: ReasonNotVIP}
		}
		dip = l.dips[0].addr
	} else {
		dip = p.key.src
	}
	// With floating IP only the port may change.
	apply := !t.floating || t.port != p.key.sport
	*act = action{addr: vip, port: t.port, setSrc: true, apply: apply, verdict: ToRouter,
		rule: t.rule, dip: dip, vip: vip, reset: t.reset}
	if t.port == p.key.sport {
		act.port = 0
	}
	// The client's packets arrive for VIP:frontend port.
	fwd := p.key.swap()
	fwd.dst, fwd.dport = vip, t.port
	to := dip
	if t.floating {
		to = vip
	}
	fact := action{addr: to, port: p.key.sport, apply: apply, verdict: Deliver,
		rule: t.rule, dip: dip, vip: vip, reset: t.reset}
	if t.port == p.key.sport {
		fact.port = 0
	}
	now := a.tick()
	fs := a.table.locate(&fwd, true)
	reason := ReasonStateless
	if a.table.insert(fs, sl, &fwd, &p.key, &fact, act, closingTimeout(t.timeout, p), now, p) == full {
		reason = ReasonTableFull
	}
	return a.result(act, p, reason)
}
