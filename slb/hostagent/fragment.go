package hostagent

// Fragments. Only the first fragment of a datagram carries the transport
// header, so a flow's translation cannot be looked up for the others. When
// the agent translates a first fragment, it remembers the address rewrite
// under the datagram's (source, destination, protocol, identification),
// in the flow table, for fragTimeout; later fragments look it up and get
// the same address rewrite (their bytes hold no ports or transport
// checksum). Fragments that arrive before their first fragment cannot be
// attributed and are dropped (or pass, when not addressed to a VIP or from
// a translated flow), as the Mux does.

// fragTimeout is how long a first fragment's translation is remembered
// for the rest of its datagram (Linux's default reassembly timeout).
const fragTimeout = 30e9

// fragKey returns the key of p's datagram.
func (p *packet) fragKey() flowKey {
	return flowKey{src: p.key.src, dst: p.key.dst, sport: uint16(p.fragID >> 16), dport: uint16(p.fragID),
		vni: p.key.vni, proto: p.proto, v4: p.v4, frag: true}
}

// rememberFragment records the address rewrite of a translated first
// fragment for the rest of its datagram. out says which way it went.
func (a *Agent) rememberFragment(p *packet, act *action, out bool) {
	k := p.fragKey()
	mirror := k.swap() // the second entry of the pair; no packet matches it
	mirror.sport, mirror.dport = k.sport^0xffff, k.dport^0xffff
	fact := *act
	fact.port = 0
	sl := a.table.locate(&k, !out)
	ms := a.table.locate(&mirror, out) // the same remote end: the same shard
	sl.s.mu.Lock()
	a.table.insert(sl, ms, &k, &mirror, &fact, &fact, fragTimeout, a.now.Load(), nil)
	sl.s.mu.Unlock()
}

// fragment handles a non-first fragment: the address rewrite of its first
// fragment, or, without one, Drop (inbound to a VIP) or Pass.
func (a *Agent) fragment(c *compiled, p *packet, out bool) Result {
	k := p.fragKey()
	sl := a.table.locate(&k, !out)
	sl.s.mu.Lock()
	defer sl.s.mu.Unlock()
	if i := sl.find(&k); i >= 0 {
		if e := p.hit(sl.s, i, a.now.Load()); e != nil {
			p.apply(&e.act)
			return sl.s.count(out, a.result(&e.act, p, ReasonFragment))
		}
	}
	r := Result{Verdict: Pass, Reason: ReasonNotVIP}
	if !out && c.vips[fromKey(&p.key.dst, p.v4)] {
		r = Result{Verdict: Drop, Reason: ReasonNoFlow}
	}
	return sl.s.count(out, r)
}
