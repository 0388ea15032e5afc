package nat

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Verdict says what the caller does with a packet after Outbound or Inbound.
type Verdict uint8

const (
	// Drop: discard the packet.
	Drop Verdict = iota
	// Forward: the packet was translated in place; send it on (out of the
	// external interface after Outbound, the internal one after Inbound).
	Forward
	// Hairpin: an outbound packet to one of the NAT's own external
	// endpoints was translated both ways (its source is now the sender's
	// external endpoint, RFC 4787 REQ-9a); send it back inside.
	Hairpin
	// ReplyICMP: no session could be created (table full, per-host limit,
	// ports exhausted). The packet is unchanged: drop it and send the
	// ICMP Destination Unreachable, code 13 (communication administratively
	// prohibited) that AppendProhibited builds to its sender (RFC 5508
	// REQ-8), subject to the router's ICMP rate limit.
	ReplyICMP
	// Pass: an inbound packet not addressed to an external address of the
	// NAT; it is not the NAT's to translate (route it as usual).
	Pass
)

func (v Verdict) String() string {
	switch v {
	case Drop:
		return "drop"
	case Forward:
		return "forward"
	case Hairpin:
		return "hairpin"
	case ReplyICMP:
		return "reply-icmp"
	case Pass:
		return "pass"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Counters count what the NAT did. Mappings and the session count (Len)
// are gauges; the rest only grow.
type Counters struct {
	Outbound, Inbound uint64 // packets translated and forwarded
	Hairpinned        uint64
	ICMPErrors        uint64 // ICMP error messages translated (included above)
	NewSessions       uint64
	Expired           uint64 // sessions deleted by their timer
	Mappings          uint64 // live mappings, static ones included

	Malformed, BadChecksum uint64
	// Fragments counts non-first fragments translated; FragmentsHeld the
	// out-of-order ones held, FragmentsDropped those not translated (too
	// large to hold, pushed out of the hold queue or expired, fragmented
	// ICMP errors).
	Fragments, FragmentsHeld, FragmentsDropped uint64
	UnknownProtocol, UnsupportedICMP           uint64
	NoMapping, Filtered                        uint64
	TableFull, HostLimit                       uint64
	PortsExhausted                             uint64
}

// NAT is a NAT44 (network address and port translation, RFC 3022) with
// the behaviour RFC 4787, RFC 5382, RFC 5508 and RFC 7857 require.
//
// A NAT is not safe for concurrent use: one goroutine runs its data path
// (Outbound, Inbound, Expire) and reads its state (Counters, Sessions).
type NAT struct {
	cfg         Config
	rand        *rand.Rand
	seed, seed2 uint64

	maps     []mapping
	freeMap  uint32 // first free mapping + 1
	sessions []session
	freeSess uint32 // first free session + 1
	nsess    int

	byIn, byExt, bySess index
	hosts               hosts
	wheel               wheel

	pool    []uint32
	used    []portSet           // per pool address and protocol
	poolSet map[uint32]struct{} // for pools of more than 8 addresses

	toUDP, toEst, toTrans, toICMP, toFrag uint32 // timeouts in ticks
	frags                                 fragments

	counters Counters
}

// New returns a NAT with its whole session table allocated.
func New(cfg Config) (*NAT, error) {
	cfg.External = append([]netip.Addr(nil), cfg.External...)
	cfg.Forwards = append([]PortForward(nil), cfg.Forwards...)
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	n := &NAT{cfg: cfg, rand: cfg.Rand}
	n.seed, n.seed2 = n.rand.Uint64(), n.rand.Uint64()
	maxMaps := cfg.MaxSessions + len(cfg.Forwards)
	n.maps = make([]mapping, maxMaps)
	for i := range n.maps {
		n.maps[i].sessions = uint32(i + 2)
	}
	n.maps[maxMaps-1].sessions = 0
	n.freeMap = 1
	n.sessions = make([]session, cfg.MaxSessions)
	for i := range n.sessions {
		n.sessions[i].next = uint32(i + 2)
	}
	n.sessions[cfg.MaxSessions-1].next = 0
	n.freeSess = 1
	n.byIn, n.byExt = newIndex(maxMaps), newIndex(maxMaps)
	n.bySess = newIndex(cfg.MaxSessions)
	n.hosts = newHosts(cfg.MaxSessions, n.rand.Uint64())
	n.wheel = wheel{buckets: make([]uint32, wheelSize), epoch: cfg.Clock()}
	for _, a := range cfg.External {
		n.pool = append(n.pool, u32(a))
	}
	n.used = make([]portSet, 3*len(n.pool))
	for i := range n.used {
		n.used[i].bits = make([]uint64, 1024)
	}
	if len(n.pool) > 8 {
		n.poolSet = make(map[uint32]struct{}, len(n.pool))
		for _, a := range n.pool {
			n.poolSet[a] = struct{}{}
		}
	}
	ticks := func(d time.Duration) uint32 { return uint32((d+time.Second-1)/time.Second) + 1 }
	n.toUDP, n.toEst = ticks(cfg.Timeouts.UDP), ticks(cfg.Timeouts.TCPEstablished)
	n.toTrans, n.toICMP = ticks(cfg.Timeouts.TCPTransitory), ticks(cfg.Timeouts.ICMP)
	n.toFrag = ticks(cfg.Timeouts.Fragment)
	n.frags = newFragments(cfg.MaxFragments, cfg.MaxHeldFragments)
	for i, f := range cfg.Forwards {
		ext, in := f.External, f.Internal
		if _, used := n.lookupExt(f.Proto, u32(ext.Addr()), ext.Port()); used {
			return nil, fmt.Errorf("nat: config: forward %d: external %v already forwarded", i, ext)
		}
		if _, used := n.lookupIn(f.Proto, u32(in.Addr()), in.Port()); used {
			return nil, fmt.Errorf("nat: config: forward %d: internal %v already forwarded", i, in)
		}
		pool := uint32(slices.Index(n.pool, u32(ext.Addr())))
		n.addMapping(f.Proto, u32(in.Addr()), in.Port(), pool, ext.Port(), true, n.hashEndpoint(f.Proto, u32(in.Addr()), in.Port()))
		if ext.Port() < cfg.Ports.Lo || ext.Port() > cfg.Ports.Hi {
			n.ports(f.Proto, pool).fixed++
		}
	}
	return n, nil
}

// Counters returns the counters.
func (n *NAT) Counters() Counters { return n.counters }

// IsExternal reports whether a is one of the NAT's external addresses.
func (n *NAT) IsExternal(a netip.Addr) bool { return a.Is4() && n.isExternal(u32(a)) }

func (n *NAT) isExternal(a uint32) bool {
	if n.poolSet != nil {
		_, ok := n.poolSet[a]
		return ok
	}
	for _, p := range n.pool {
		if p == a {
			return true
		}
	}
	return false
}

// flow is what the NAT reads from a TCP, UDP or ICMP query packet. For an
// ICMP query the identifier plays the internal port and the remote port is
// 0: sport is the identifier of an outbound request, dport of an inbound
// reply.
type flow struct {
	proto        uint8
	flags        header.TCPFlags
	sport, dport uint16
	tcp          header.TCP
	udp          header.UDP
	icmp         header.ICMPv4
}

// Outbound translates a packet that arrived on the internal side, in
// place. pkt starts at the IPv4 header. New sessions and mappings are
// created here only: inbound packets never allocate table space.
func (n *NAT) Outbound(pkt []byte) (Verdict, error) {
	n.advance(n.tickOf(n.cfg.Clock()))
	ip, err := n.parseIP(pkt, true)
	if err != nil {
		return Drop, err
	}
	// A fragment other than the first is translated from its datagram's
	// record; the first one is translated as a whole packet and recorded.
	var k fragKey
	first := false
	if ip.IsFragment() {
		if ip.FragmentOffset() != 0 {
			return n.fragment(ip, true)
		}
		first, k = true, fragKeyOf(ip, true)
	}
	var f flow
	switch ip.Protocol() {
	case header.ProtocolTCP, header.ProtocolUDP:
		if err := n.parseTransport(ip, &f, true, first); err != nil {
			return Drop, err
		}
	case header.ProtocolICMPv4:
		m, err := header.ParseICMPv4(ip.Payload())
		if err != nil {
			n.counters.Malformed++
			return Drop, malformed(true, "icmp", err)
		}
		switch m.Type() {
		case 8, 13, 15, 17: // echo, timestamp, information, address mask requests
			if n.isExternal(u32(ip.Destination())) {
				n.counters.NoMapping++
				return Drop, ErrNoMapping
			}
			f = flow{proto: header.ProtocolICMPv4, icmp: m, sport: m.Ident()}
		case header.ICMPv4DestUnreach, header.ICMPv4TimeExceeded, header.ICMPv4ParamProblem:
			if first {
				n.counters.FragmentsDropped++
				return Drop, ErrFragment
			}
			return n.icmpError(ip, m, true)
		default:
			n.counters.UnsupportedICMP++
			return Drop, ErrUnsupportedICMP
		}
	default:
		n.counters.UnknownProtocol++
		return Drop, ErrUnknownProtocol
	}
	v, err := n.outboundFlow(ip, &f)
	if first && (v == Forward || v == Hairpin) {
		n.trackFragments(k, ip, v)
	}
	return v, err
}

// Inbound translates a packet that arrived on the external side, in place.
// pkt starts at the IPv4 header.
func (n *NAT) Inbound(pkt []byte) (Verdict, error) {
	n.advance(n.tickOf(n.cfg.Clock()))
	ip, err := n.parseIP(pkt, false)
	if err != nil {
		return Drop, err
	}
	if !n.isExternal(u32(ip.Destination())) {
		return Pass, nil
	}
	var k fragKey
	first := false // the first fragment of a fragmented datagram
	if ip.IsFragment() {
		if ip.FragmentOffset() != 0 {
			v, err := n.fragment(ip, false)
			if v == Forward {
				n.counters.Inbound++
			}
			return v, err
		}
		first, k = true, fragKeyOf(ip, false)
	}
	var f flow
	switch ip.Protocol() {
	case header.ProtocolTCP, header.ProtocolUDP:
		if err := n.parseTransport(ip, &f, false, first); err != nil {
			return Drop, err
		}
	case header.ProtocolICMPv4:
		m, err := header.ParseICMPv4(ip.Payload())
		if err != nil {
			n.counters.Malformed++
			return Drop, malformed(false, "icmp", err)
		}
		switch m.Type() {
		case 0, 14, 16, 18: // echo, timestamp, information, address mask replies
			f = flow{proto: header.ProtocolICMPv4, icmp: m, dport: m.Ident()}
		case header.ICMPv4DestUnreach, header.ICMPv4TimeExceeded, header.ICMPv4ParamProblem:
			if first {
				n.counters.FragmentsDropped++
				return Drop, ErrFragment
			}
			return n.icmpError(ip, m, false)
		default:
			n.counters.UnsupportedICMP++
			return Drop, ErrUnsupportedICMP
		}
	default:
		n.counters.UnknownProtocol++
		return Drop, ErrUnknownProtocol
	}
	v, err := n.inboundFlow(ip, &f)
	if v == Forward {
		n.counters.Inbound++
		if first {
			n.trackFragments(k, ip, v)
		}
	}
	return v, err
}

func (n *NAT) parseIP(pkt []byte, out bool) (header.IPv4, error) {
	ip, err := header.ParseIPv4(pkt)
	if err != nil {
		n.counters.Malformed++
		return nil, malformed(out, "ipv4", err)
	}
	if !ip.ValidChecksum() {
		n.counters.BadChecksum++
		return nil, badChecksum(out, "ipv4")
	}
	return ip, nil
}

// parseTransport reads the TCP or UDP header. In the first fragment of a
// datagram the UDP length covers the whole datagram, beyond the packet.
func (n *NAT) parseTransport(ip header.IPv4, f *flow, out, first bool) error {
	f.proto = ip.Protocol()
	if f.proto == header.ProtocolTCP {
		t, err := header.ParseTCP(ip.Payload())
		if err != nil {
			n.counters.Malformed++
			return malformed(out, "tcp", err)
		}
		f.tcp, f.flags, f.sport, f.dport = t, t.Flags(), t.SourcePort(), t.DestinationPort()
		return nil
	}
	p := ip.Payload()
	var u header.UDP
	var err error
	if first && len(p) >= header.UDPSize {
		u = header.UDP(p)
	} else {
		u, err = header.ParseUDP(p)
	}
	if err != nil {
		n.counters.Malformed++
		return malformed(out, "udp", err)
	}
	f.udp, f.sport, f.dport = u, u.SourcePort(), u.DestinationPort()
	return nil
}

func (n *NAT) outboundFlow(ip header.IPv4, f *flow) (Verdict, error) {
	src, dst := u32(ip.Source()), u32(ip.Destination())
	hIn := n.hashEndpoint(f.proto, src, f.sport)
	m, mok := n.lookupInHash(hIn, f.proto, src, f.sport)
	var s uint32
	sok := false
	if mok {
		s, sok = n.lookupSession(m, dst, f.dport, false)
	}
	switch {
	case sok:
		n.outboundState(s, f)
	case f.proto == header.ProtocolTCP && f.flags&header.TCPFlagRST != 0:
		// A RST answering an inbound packet is translated through the
		// mapping but creates no session (RFC 7857 section 8).
		if !mok {
			n.counters.NoMapping++
			return Drop, ErrNoMapping
		}
	default:
		if err := n.admit(src); err != nil {
			return ReplyICMP, err
		}
		if !mok {
			var err error
			if m, err = n.newMapping(f.proto, src, f.sport, hIn); err != nil {
				return ReplyICMP, err
			}
		}
		st, to := StateNone, n.toUDP
		switch {
		case f.proto == header.ProtocolICMPv4:
			to = n.toICMP
		case f.proto == header.ProtocolTCP && f.flags&(header.TCPFlagSYN|header.TCPFlagACK) == header.TCPFlagSYN:
			st, to = StateSynOut, n.toTrans
		case f.proto == header.ProtocolTCP:
			st, to = StateTransitory, n.toTrans
		}
		n.newSession(m, dst, f.dport, st, to)
	}
	mp := &n.maps[m]
	translateSource(ip, f, addr4(mp.extAddr), mp.extPort)
	if !n.isExternal(dst) {
		n.counters.Outbound++
		return Forward, nil
	}
	// Hairpinning: deliver to the mapping that owns the destination, as if
	// the packet had come from outside from our external endpoint.
	f.sport = mp.extPort
	v, err := n.inboundFlow(ip, f)
	if v == Forward {
		n.counters.Hairpinned++
		return Hairpin, nil
	}
	return v, err
}

func (n *NAT) inboundFlow(ip header.IPv4, f *flow) (Verdict, error) {
	src, dst := u32(ip.Source()), u32(ip.Destination())
	m, ok := n.lookupExt(f.proto, dst, f.dport)
	if !ok {
		n.counters.NoMapping++
		return Drop, ErrNoMapping
	}
	mp := &n.maps[m]
	s, sok := n.lookupSession(m, src, f.sport, false)
	if sok {
		n.inboundState(s, f)
	} else if !mp.static {
		switch n.cfg.Filtering {
		case AddressDependent:
			if _, any := n.lookupSession(m, src, 0, true); !any {
				n.counters.Filtered++
				return Drop, ErrFiltered
			}
		case AddressAndPortDependent:
			n.counters.Filtered++
			return Drop, ErrFiltered
		}
	}
	translateDestination(ip, f, addr4(mp.inAddr), mp.inPort)
	return Forward, nil
}

// translateSource rewrites the source endpoint, updating the IPv4 and
// transport checksums incrementally (RFC 1624).
func translateSource(ip header.IPv4, f *flow, a netip.Addr, port uint16) {
	old := ip.Source()
	ip.SetSourceUpdatingChecksum(a)
	switch f.proto {
	case header.ProtocolTCP:
		f.tcp.UpdateChecksumAddr(old, a)
		f.tcp.SetSourcePortUpdatingChecksum(port)
	case header.ProtocolUDP:
		f.udp.UpdateChecksumAddr(old, a)
		f.udp.SetSourcePortUpdatingChecksum(port)
	default:
		setIdent(f.icmp, port)
	}
}

func translateDestination(ip header.IPv4, f *flow, a netip.Addr, port uint16) {
	old := ip.Destination()
	ip.SetDestinationUpdatingChecksum(a)
	switch f.proto {
	case header.ProtocolTCP:
		f.tcp.UpdateChecksumAddr(old, a)
		f.tcp.SetDestinationPortUpdatingChecksum(port)
	case header.ProtocolUDP:
		f.udp.UpdateChecksumAddr(old, a)
		f.udp.SetDestinationPortUpdatingChecksum(port)
	default:
		setIdent(f.icmp, port)
	}
}

func setIdent(m header.ICMPv4, id uint16) {
	old := m.Ident()
	m.SetIdent(id)
	m.SetChecksum(checksum.Update16(m.Checksum(), old, id))
}
