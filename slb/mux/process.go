package mux

import "net/netip"

// Match says what matched a forwarded packet.
type Match uint8

// The matches.
const (
	MatchNone          Match = iota
	MatchLoadBalancing       // a load-balancing rule (Maglev and the flow table)
	MatchInboundNAT          // an inbound NAT rule (one DIP per frontend port)
	MatchSNAT                // an SNAT lease: a reply to a host's outbound flow
	MatchFragment            // a non-first fragment, sent where its first fragment went
)

func (k Match) String() string {
	switch k {
	case MatchNone:
		return "None"
	case MatchLoadBalancing:
		return "LoadBalancing"
	case MatchInboundNAT:
		return "InboundNAT"
	case MatchSNAT:
		return "SNAT"
	case MatchFragment:
		return "Fragment"
	}
	return "Match(?)"
}

// FlowState says how the flow table took part in a forwarding decision.
type FlowState uint8

// The flow states.
const (
	// FlowStateless: no flow entry is kept (inbound NAT, SNAT, ICMP
	// errors, fragments).
	FlowStateless FlowState = iota
	// FlowNew: the flow was inserted, untrusted (or, for a SYN that found
	// its 5-tuple on a DIP out of rotation, replaced its entry).
	FlowNew
	// FlowEstablished: the flow was found in the table and kept its DIP.
	FlowEstablished
	// FlowFallback: the flow's bucket was full; the DIP was picked by
	// Maglev hashing alone.
	FlowFallback
)

func (f FlowState) String() string {
	switch f {
	case FlowStateless:
		return "Stateless"
	case FlowNew:
		return "New"
	case FlowEstablished:
		return "Established"
	case FlowFallback:
		return "Fallback"
	}
	return "FlowState(?)"
}

// A Result describes what Process did with a packet. For a forwarded
// packet it names the DIP and the port the host agent must deliver to,
// so that the caller can tell the host agent or check it.
type Result struct {
	Verdict Verdict
	Match   Match
	Flow    FlowState
	// Rule is "loadBalancer/rule" for load-balancing and inbound NAT
	// rules, empty otherwise.
	Rule string
	// VIP, Proto and FrontendPort are the packet's destination (for an
	// ICMP error: of the flow it is about). FrontendPort is 0 for a
	// non-first fragment.
	VIP          netip.Addr
	Proto        uint8
	FrontendPort uint16
	// DIP and BackendPort are where the host agent delivers the packet:
	// the rule's backend port, the frontend port for HA-ports rules and
	// SNAT leases, 0 for non-first fragments.
	DIP         netip.Addr
	BackendPort uint16
	// NextHop is the DIP's host (the outer destination) and VNI the
	// pool's VXLAN network identifier.
	NextHop netip.Addr
	VNI     uint32
	// FloatingIP is the rule's floating-IP (DSR) setting: the host agent
	// delivers with the VIP as destination rather than translating it.
	FloatingIP bool
	ICMPError  bool // the packet is an ICMP error about the flow
	Fragment   bool // the packet is an IP fragment
	MSSClamped bool // the SYN's MSS option was lowered
}

// Process handles one IP packet addressed to a VIP (pkt starts with the
// IPv4 or IPv6 header). If it is forwarded, the encapsulated packet (from
// the outer IP header on) is appended to dst; pkt itself is never
// modified (MSS clamping edits the copy). Bytes after the IP packet's own
// length (link-layer padding) are dropped. A packet that cannot be parsed
// gets VerdictInvalid and a *PacketError; the other verdicts are not
// errors. Process does not allocate when dst has room.
func (m *Mux) Process(dst, pkt []byte) (out []byte, r Result, err error) {
	out, err = m.ProcessInto(dst, pkt, &r)
	return out, r, err
}

// ProcessInto is Process with the Result written to *r instead of
// returned, which saves copying it (about 130 bytes) per packet; r is
// overwritten whole.
func (m *Mux) ProcessInto(dst, pkt []byte, r *Result) ([]byte, error) {
	*r = Result{}
	var p packet
	err := m.parse(pkt, &p)
	return m.processParsed(dst, pkt, &p, err, m.ticks(), nil, r)
}

// An Output is the result of one packet of a batch: the packet is
// dst[Start:End] of the slice ProcessBatch returns.
type Output struct {
	Result
	Start, End int
	Err        error
}

// ProcessBatch processes pkts[i] into out[i] for each i below the
// shorter length, appending the forwarded packets one after the other to
// dst, which it returns. It reads the clock once per batch, and parses
// and hashes the packets in groups of batchStride, then touches their
// flow-table buckets, before handling them, so that the cache misses of
// a group overlap instead of coming one after another.
func (m *Mux) ProcessBatch(dst []byte, pkts [][]byte, out []Output) []byte {
	now := m.ticks()
	n := min(len(pkts), len(out))
	var ps [batchStride]packet
	var errs [batchStride]error
	var touched uint64
	for base := 0; base < n; base += batchStride {
		var hits uint64 // the group's lock-free flow hits, counted once

		k := min(batchStride, n-base)
		for j := range k {
			ps[j] = packet{}
			if errs[j] = parse(pkts[base+j], &ps[j]); errs[j] == nil {
				ps[j].hash = m.tableHash(&ps[j])
			}
		}
		// The touches in a loop of their own, a few instructions
		// each, so that the processor has all the group's bucket
		// loads in flight at once rather than as many as fit in its
		// window between parses.
		for j := range k {
			if errs[j] == nil {
				ps[j].sh, ps[j].bk = m.flows.locate(ps[j].hash)
				touched += ps[j].bk.touch()
			}
		}
		for j := range k {
			o := &out[base+j]
			o.Result = Result{}
			o.Start = len(dst)
			dst, o.Err = m.processParsed(dst, pkts[base+j], &ps[j], errs[j], now, &hits, &o.Result)
			o.End = len(dst)
		}
		if hits != 0 {
			m.flows.shards[0].addHits(hits)
		}
	}
	if touched == 1 { // never: the branch only keeps the loads
		m.flows.shards[0].c[cTouched].Add(1)
	}
	return dst
}

// batchStride is how many packets ProcessBatch parses ahead.
const batchStride = 16

// parse parses pkt into p, which must be zero, computes its table hash
// and locates its shard and buckets. Then it touches the buckets, so that
// their lines load while processParsed matches the rule, rather than
// after.
func (m *Mux) parse(pkt []byte, p *packet) error {
	err := parse(pkt, p)
	if err == nil {
		p.hash = m.tableHash(p)
		p.sh, p.bk = m.flows.locate(p.hash)
		p.touched = p.bk.touch()
	}
	return err
}

// processParsed handles a packet that parse read into p (or failed to,
// with err), with its hash, shard and buckets. A lock-free flow hit is
// added to *hits (see shard.hits) for the caller to count, or counted at
// once when hits is nil.
func (m *Mux) processParsed(dst, pkt []byte, p *packet, err error, now uint32, hits *uint64, r *Result) ([]byte, error) {
	if err != nil {
		r.Verdict = VerdictInvalid
		m.flows.shards[0].c[VerdictInvalid].Add(1)
		return dst, err
	}
	if p.length > m.maxInner {
		r.Verdict = VerdictInvalid
		m.flows.shards[0].c[VerdictInvalid].Add(1)
		return dst, errTooBig
	}
	st := m.state.Load()
	r.VIP, r.Proto, r.FrontendPort = p.tuple.Dst, p.tuple.Proto, p.tuple.DstPort
	r.ICMPError, r.Fragment = p.icmpErr, p.frag != notFragment
	if p.frag == laterFragment {
		return m.laterFragment(dst, pkt, p, st, now, r)
	}
	svc := st.lookup.get(p.dst, p.tuple.DstPort, p.tuple.Proto)
	if svc == nil && !p.quotedMismatch {
		if t := m.snat.lookup(p.tuple.Dst, p.tuple.Proto, p.tuple.DstPort); t != nil {
			return m.snatReturn(dst, pkt, p, t, now, r)
		}
		svc = st.lookup.get(p.dst, 0, p.tuple.Proto)
	}
	if svc == nil || p.quotedMismatch {
		v := VerdictNotMine
		if _, ok := st.vips[p.tuple.Dst]; ok {
			v = VerdictNoRule
		}
		r.Verdict = v
		m.flows.shards[0].c[v].Add(1)
		return dst, nil
	}
	r.Match, r.Rule, r.FloatingIP = svc.match, svc.rule, svc.floatingIP
	r.BackendPort = svc.backendPort
	if r.BackendPort == 0 {
		r.BackendPort = p.tuple.DstPort
	}
	h, sh, bk := p.hash, p.sh, p.bk
	var b *backend
	counted := false
	switch {
	case svc.nat != nil:
		b = svc.nat
	case p.icmpErr:
		// The error is about an established flow: look it up, but
		// neither insert nor refresh it.
		if e, v := bk.lookup(h|1, now); e != nil {
			b = st.slot(metaRef(v))
		}
		if b == nil || b.gone(now) {
			b = m.pick(svc, p, st)
		}
	default:
		if b = m.flow(svc, p, h, sh, bk, st, now, hits, r); b != nil {
			counted = true
		}
	}
	if b == nil {
		r.Verdict = VerdictNoBackend
		sh.c[VerdictNoBackend].Add(1)
		return dst, nil
	}
	if p.icmpErr {
		sh.c[cICMPError].Add(1)
	}
	if p.frag == firstFragment {
		m.rememberFragment(p, b.slot, now)
	}
	r.DIP, r.NextHop, r.VNI = b.id.dip, b.hostPA, b.id.vni
	return m.forward(dst, pkt, p, &b.tmpl[btoi(p.v6)], h, sh, counted, r), nil
}

// flow looks the flow up in the flow table, inserting it if it is new,
// and returns its backend, or nil if the pool has no healthy DIP. A hit
// on a live backend takes no lock (see flowTable): it refreshes the
// deadline and sets the trusted bit with a compare-and-swap, and only
// when they change, which for a busy flow is once per tick; it is
// counted in *hits, or in the shard when hits is nil.
//
// A SYN without ACK that finds an entry whose backend takes no new flows
// (unhealthy, or removed and draining) opens a new connection on a
// reused 5-tuple: it is a new flow, picked again among the healthy DIPs,
// and replaces the entry, untrusted. Other packets of the flow stay with
// its backend until it is idle or, when removed, drained.
func (m *Mux) flow(svc *service, p *packet, h uint64, sh *shard, bk pair, st *state, now uint32, hits *uint64, r *Result) *backend {
	if e, v := bk.lookup(h|1, now); e != nil {
		ref := metaRef(v)
		if b := st.slot(ref); b != nil && !b.gone(now) && (!p.opens() || b.takesNew()) {
			want := packMeta(ref|refTrusted, now+svc.idle)
			if v == want || e.meta.CompareAndSwap(v, want) {
				if ref&refTrusted == 0 {
					sh.c[cPromoted].Add(1)
				}
				if hit := 1<<hitShift | uint64(m.hdrLen+p.length); hits != nil {
					*hits += hit
				} else {
					sh.addHits(hit)
				}
				r.Flow = FlowEstablished
				return b
			}
		}
	}
	sh.mu.Lock()
	e, free := bk.find(h|1, now)
	var b *backend
	if e != nil {
		v := e.meta.Load()
		ref := metaRef(v)
		b = st.slot(ref)
		if b != nil && !b.gone(now) && p.opens() && !b.takesNew() {
			// A new connection on the 5-tuple of one whose DIP is out
			// of rotation: a new flow.
			if b = m.pick(svc, p, st); b == nil {
				sh.mu.Unlock()
				return nil
			}
			e.put(h|1, b.slot, now+m.untrust)
			sh.n[cRepicked]++
			sh.n[cFlowNew]++
			r.Flow = FlowNew
		} else {
			if b == nil || b.gone(now) {
				// Its DIP was removed and has drained: start over.
				if b = m.pick(svc, p, st); b == nil {
					sh.mu.Unlock()
					return nil
				}
				ref = ref&refTrusted | b.slot
				sh.n[cRepicked]++
			}
			if ref&refTrusted == 0 {
				ref |= refTrusted
				sh.n[cPromoted]++
			}
			e.meta.Store(packMeta(ref, now+svc.idle))
			sh.n[cFlowHit]++
			r.Flow = FlowEstablished
		}
	} else {
		if b = m.pick(svc, p, st); b == nil {
			sh.mu.Unlock()
			return nil
		}
		if free != nil {
			free.put(h|1, b.slot, now+m.untrust)
			sh.n[cFlowNew]++
			r.Flow = FlowNew
		} else {
			sh.n[cTableFull]++
			r.Flow = FlowFallback
		}
	}
	// Count the forwarding here, under the lock, rather than with atomic
	// adds later: process has checked that the packet fits.
	sh.n[VerdictForward]++
	sh.n[cBytesOut] += uint64(m.hdrLen + p.length)
	sh.mu.Unlock()
	return b
}

// pick returns the backend that the rule's Maglev table gives the flow,
// or nil if the pool has no healthy DIP.
func (m *Mux) pick(svc *service, p *packet, st *state) *backend {
	slot, ok := svc.pool.pick(m.key.Sum(svc.mode, p.tuple))
	if !ok {
		return nil
	}
	return st.slot(slot)
}

// slot returns the backend of a flow entry's ref, or nil if the slot is
// free or out of range.
func (st *state) slot(ref uint32) *backend {
	i := ref & refSlot
	if int(i) >= len(st.backends) {
		return nil
	}
	return st.backends[i]
}

// fragTag returns the flow-table tag of a fragment's datagram: the flow
// hash of (source, destination, protocol, fragment ID), marked so that it
// cannot equal a flow's.
func (m *Mux) fragTag(p *packet) uint64 {
	src, dst, proto := p.src, p.dst, p.tuple.Proto
	if p.icmpErr {
		src, dst, proto = p.osrc, p.odst, p.oproto
	}
	return m.tableKey.sum(src, dst, 1<<63|uint64(p.fragID)<<8|uint64(proto))
}

// rememberFragment records where the first fragment of a datagram went,
// for Config.UntrustedTimeout, as an untrusted entry: it cannot evict a
// flow, and when its bucket is full the later fragments are dropped
// (VerdictNoFlow).
func (m *Mux) rememberFragment(p *packet, slot uint32, now uint32) {
	tag := m.fragTag(p)
	sh, bk := m.flows.locate(tag)
	sh.mu.Lock()
	e, free := bk.find(tag|1, now)
	if e == nil {
		e = free
	}
	if e != nil {
		e.put(tag|1, slot, now+m.untrust)
	}
	sh.mu.Unlock()
}

// laterFragment sends a non-first fragment where its first fragment went.
func (m *Mux) laterFragment(dst, pkt []byte, p *packet, st *state, now uint32, r *Result) ([]byte, error) {
	tag, sh, bk := p.hash, p.sh, p.bk
	var b *backend
	if e, v := bk.lookup(tag|1, now); e != nil {
		b = st.slot(metaRef(v))
	}
	if b == nil {
		v := VerdictNoFlow
		if _, ok := st.vips[p.tuple.Dst]; !ok {
			v = VerdictNotMine
		}
		r.Verdict = v
		sh.c[v].Add(1)
		return dst, nil
	}
	r.Match = MatchFragment
	r.DIP, r.NextHop, r.VNI = b.id.dip, b.hostPA, b.id.vni
	return m.forward(dst, pkt, p, &b.tmpl[btoi(p.v6)], tag, sh, false, r), nil
}

// snatReturn sends a reply to a host's SNATed flow to that host.
func (m *Mux) snatReturn(dst, pkt []byte, p *packet, t *snatTarget, now uint32, r *Result) ([]byte, error) {
	h, sh := p.hash, p.sh
	r.Match = MatchSNAT
	r.DIP, r.NextHop, r.VNI = t.lease.DIP, t.lease.HostPA, t.lease.VNI
	r.BackendPort = p.tuple.DstPort
	sh.c[cSNAT].Add(1)
	if p.icmpErr {
		sh.c[cICMPError].Add(1)
	}
	return m.forward(dst, pkt, p, &t.tmpl[btoi(p.v6)], h, sh, false, r), nil
}

// forward encapsulates the packet with t, clamps the MSS of a SYN and
// counts it, unless flow counted it already. For ProcessInPlace
// (p.inPlace) dst is the buffer up to the packet, which sits at pkt, and
// the encapsulated packet is returned; otherwise it is appended to dst.
func (m *Mux) forward(dst, pkt []byte, p *packet, t *template, h uint64, sh *shard, counted bool, r *Result) []byte {
	var out []byte // the encapsulated packet
	if p.inPlace {
		out = t.prepend(dst[:len(dst)+p.length], len(dst), h)
	} else {
		start := len(dst)
		dst = t.encapsulate(dst, pkt[:p.length], h)
		out = dst[start:]
	}
	if p.tuple.Proto == protoTCP && p.flags&tcpFlagSYN != 0 && p.frag == notFragment && !p.icmpErr {
		inner := out[len(t.hdr):]
		if clampMSS(inner[p.l4:], m.mss[btoi(p.v6)]) {
			r.MSSClamped = true
			sh.c[cMSSClamped].Add(1)
		}
	}
	if r.Fragment {
		sh.c[cFragment].Add(1)
	}
	r.Verdict = VerdictForward
	if !counted {
		sh.c[VerdictForward].Add(1)
		sh.c[cBytesOut].Add(uint64(len(out)))
	}
	if p.inPlace {
		return out
	}
	return dst
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
