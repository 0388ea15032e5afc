package hostagent

import (
	"net/netip"
)

// Inbound translates, in place, an IP packet (IPv4 or IPv6, from the IP
// header on) that arrived for this host: a packet a Mux encapsulated to a
// local DIP, already decapsulated, with vni the VXLAN network identifier
// it came with and dip the DIP the Mux chose, when the virtual switch
// knows it (see the package documentation), or the zero Addr. A vni of 0
// (IP-in-IP encapsulation carries none) stands for the VNI of the
// destination VIP's local DIPs.
//
// A packet addressed to a VIP of a local DIP's rule is translated from
// VIP:frontend port to DIP:backend port (the VIP stays the destination
// with floating IP) and its flow remembered for the replies; return
// traffic of an SNAT flow is translated back to DIP:port. ICMP errors
// about a flow and the later fragments of a translated datagram follow
// the flow's translation. The Verdict is then Deliver. Packets for no VIP
// of this host Pass unchanged. A SYN on the 5-tuple of a tracked
// connection that is closing, or whose DIP is not dip or (without dip)
// takes no new flows, opens a new connection (see the package
// documentation); other packets keep their connection's DIP.
//
// A malformed packet is dropped with an error naming the field; Inbound
// never allocates.
func (a *Agent) Inbound(pkt []byte, vni uint32, dip netip.Addr) (Result, error) {
	var p packet
	if err := parse(pkt, &p); err != nil {
		return a.stats.count(false, Result{Verdict: Drop, Reason: ReasonMalformed}), err
	}
	c := a.conf.Load()
	if vni == 0 {
		vni = c.vipVNI[fromKey(&p.key.dst, p.v4)]
	}
	p.key.vni = vni
	if p.isICMPError() {
		return a.icmpError(c, &p, false)
	}
	if p.l4 < 0 {
		return a.fragment(c, &p, false), nil
	}
	if p.proto != protoTCP && p.proto != protoUDP {
		r := Result{Verdict: Pass, Reason: ReasonNotVIP}
		if c.vips[fromKey(&p.key.dst, p.v4)] {
			r = Result{Verdict: Drop, Reason: ReasonProtocol}
		}
		return a.stats.count(false, r), nil
	}
	now := a.now.Load()
	sl := a.table.locate(&p.key, true)
	sl.s.mu.Lock()
	i := sl.find(&p.key)
	var replaced *[1]resetConn // the connection a SYN replaced, if due a RST
	if i >= 0 && p.opens() && a.reopensInbound(c, &sl.s.entries[i], dip) {
		replaced = a.replacedReset(sl.s, i)
		i = sl.s.reopen(i) // a new connection on the 5-tuple (see reopen.go)
	}
	if r, ok := a.established(sl, &p, i, now, false); ok {
		return r, nil
	}
	var act action
	r := sl.s.count(false, a.newInbound(c, &p, sl, dip, &act))
	sl.s.mu.Unlock()
	if replaced != nil {
		a.sendResets(replaced[:], false) // to the old DIP only
		replacedConns.Put(replaced)
	}
	if r.Verdict == Deliver {
		p.apply(&act)
		if p.more {
			a.rememberFragment(&p, &act, false)
		}
	}
	return r, nil
}

// newInbound handles the first packet of an inbound flow, with the shard
// of its key locked: it picks the rule and the DIP, and records the flow.
func (a *Agent) newInbound(c *compiled, p *packet, sl slot, dip netip.Addr, act *action) Result {
	vip := fromKey(&p.key.dst, p.v4)
	if !c.vips[vip] {
		return Result{Verdict: Pass, Reason: ReasonNotVIP}
	}
	l := c.listeners[listenKey{vip, p.proto, p.key.dport}]
	if l == nil {
		l = c.listeners[listenKey{vip, p.proto, 0}] // HA ports
	}
	if l == nil || l.vni != p.key.vni {
		r := Result{Verdict: Drop, Reason: ReasonNoRule, VIP: vip, VNI: p.key.vni}
		if c.snatVIPs[vip] {
			r.Reason = ReasonNoFlow // return traffic of an SNAT connection that is gone
		}
		return r
	}
	d := l.pick(dip, sl.tag)
	if d == nil {
		return Result{Verdict: Drop, Reason: ReasonNoDIP, VIP: vip, VNI: p.key.vni, Rule: a.ruleName(l.rule)}
	}
	reason := ReasonNewFlow
	switch {
	case l.nat:
		reason = ReasonNATRule
	case l.floating:
		reason = ReasonFloatingIP
	}
	port := p.key.dport
	if l.backendPort != 0 {
		port = l.backendPort
	}
	// With floating IP the VIP stays the destination (only the port
	// changes, if the rule's ports differ).
	to := d.addr
	if l.floating {
		to = p.key.dst
	}
	apply := !l.floating || l.backendPort != 0
	*act = action{addr: to, port: l.backendPort, apply: apply, verdict: Deliver,
		rule: l.rule, dip: d.addr, vip: p.key.dst, reset: l.reset}
	// The reply leaves the DIP from (DIP or, with floating IP, VIP):
	// backend port to the client, and goes back out as VIP:frontend port.
	rev := p.key.swap()
	rev.src, rev.sport = to, port
	ract := action{addr: p.key.dst, setSrc: true, apply: apply, verdict: ToRouter,
		rule: l.rule, dip: d.addr, vip: p.key.dst, reset: l.reset}
	if port != p.key.dport {
		ract.port = p.key.dport
	}
	now := a.tick()
	rs := a.table.locate(&rev, false) // the same shard: both keys have the client as remote
	e := closingTimeout(l.timeout, p)
	switch a.table.insert(sl, rs, &p.key, &rev, act, &ract, e, now, p) {
	case taken:
		// Another flow already reaches the DIP with the same 5-tuple
		// (the client used one source port for two frontend ports
		// that lead to one backend port): the DIP could not tell them
		// apart.
		return Result{Verdict: Drop, Reason: ReasonConflict, VIP: vip, DIP: d.key.addr, VNI: p.key.vni, Rule: a.ruleName(l.rule)}
	case full:
		reason = ReasonTableFull
	}
	return a.result(act, p, reason)
}

// pick returns the DIP for a new flow: dip when the Mux said which, else
// the only local DIP, else one of the usable local DIPs by the flow's
// hash. It returns nil when dip is not one of the rule's local DIPs or no
// DIP is usable.
func (l *listener) pick(dip netip.Addr, hash uint32) *localDIP {
	if dip.IsValid() {
		for _, d := range l.dips {
			if d.key.addr == dip {
				return d
			}
		}
		return nil
	}
	if len(l.dips) == 1 {
		return l.dips[0]
	}
	n := 0
	for _, d := range l.dips {
		if d.usable() {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	k := int(hash>>1) % n
	for _, d := range l.dips {
		if d.usable() {
			if k == 0 {
				return d
			}
			k--
		}
	}
	return nil
}
