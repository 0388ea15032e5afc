package nat

import (
	"fmt"
	"iter"
	"net/netip"
	"time"
)

// mapping is an endpoint-independent mapping: an internal endpoint
// (protocol, address, port or ICMP identifier) and the external endpoint it
// leaves through. 24 bytes.
//
// One of its sessions (the first created, while it lives) is linked from
// the mapping itself rather than through the session index: most mappings
// have a single session, whose creation, lookups and deletion then never
// touch the index (two cache misses fewer per new session with a large
// table).
type mapping struct {
	inAddr, extAddr uint32
	sessions        uint32 // live sessions; when free, the next free mapping + 1
	inline          uint32 // the session linked from here + 1, 0 for none
	inPort, extPort uint16
	pool            uint16 // index of extAddr in the pool
	proto           uint8
	static          bool // a PortForward: never freed
}

// session is one remote endpoint talking to a mapping: what filtering,
// TCP state and timers work on. 28 bytes.
type session struct {
	remAddr    uint32
	mapping    uint32
	expiry     uint32 // tick at which the session is deleted
	next, prev uint32 // timer-wheel links (+1, 0 for none); next is the free list
	remPort    uint16
	bucket     uint16
	state      State
}

// State is the TCP tracking state of a session (RFC 7857 section 2.1,
// the state machine of RFC 6146 section 3.5.2 seen from a NAT44).
// UDP and ICMP sessions are StateNone.
type State uint8

const (
	StateNone        State = iota // UDP or ICMP
	StateSynOut                   // SYN from the inside, no SYN from outside yet
	StateEstablished              // SYN seen both ways
	StateFinOut                   // FIN from the inside
	StateFinIn                    // FIN from the outside
	StateFinBoth                  // FIN both ways: transitory
	StateTransitory               // after RST, or picked up without a SYN
)

func (s State) String() string {
	switch s {
	case StateNone:
		return "none"
	case StateSynOut:
		return "syn-out"
	case StateEstablished:
		return "established"
	case StateFinOut:
		return "fin-out"
	case StateFinIn:
		return "fin-in"
	case StateFinBoth:
		return "fin-both"
	case StateTransitory:
		return "transitory"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Session describes a session for inspection (Sessions).
type Session struct {
	Proto    uint8
	Internal netip.AddrPort // internal endpoint; the port is the ICMP identifier for ICMP
	External netip.AddrPort // its mapping
	Remote   netip.AddrPort
	State    State
	Static   bool // the mapping is a Forward
	Expires  time.Time
}

func addr4(a uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// Sessions iterates over the live sessions, in table order. The NAT must
// not be used while iterating.
func (n *NAT) Sessions() iter.Seq[Session] {
	return func(yield func(Session) bool) {
		for i := range n.sessions {
			r := &n.sessions[i]
			if r.expiry == 0 {
				continue
			}
			m := &n.maps[r.mapping]
			s := Session{
				Proto:    m.proto,
				Internal: netip.AddrPortFrom(addr4(m.inAddr), m.inPort),
				External: netip.AddrPortFrom(addr4(m.extAddr), m.extPort),
				Remote:   netip.AddrPortFrom(addr4(r.remAddr), r.remPort),
				State:    r.state,
				Static:   m.static,
				Expires:  n.wheel.epoch.Add(time.Duration(r.expiry) * time.Second),
			}
			if !yield(s) {
				return
			}
		}
	}
}

// Mapping returns the external endpoint the internal endpoint of protocol
// proto is mapped to, if it has a mapping.
func (n *NAT) Mapping(proto uint8, internal netip.AddrPort) (netip.AddrPort, bool) {
	if !internal.Addr().Is4() {
		return netip.AddrPort{}, false
	}
	m, ok := n.lookupIn(proto, u32(internal.Addr()), internal.Port())
	if !ok {
		return netip.AddrPort{}, false
	}
	r := &n.maps[m]
	return netip.AddrPortFrom(addr4(r.extAddr), r.extPort), true
}

// Len returns the number of live sessions.
func (n *NAT) Len() int { return n.nsess }

func (n *NAT) lookupIn(proto uint8, addr uint32, port uint16) (uint32, bool) {
	return n.lookupInHash(n.hashEndpoint(proto, addr, port), proto, addr, port)
}

// lookupInHash is lookupIn with the key's hash h computed by the caller.
func (n *NAT) lookupInHash(h uint32, proto uint8, addr uint32, port uint16) (uint32, bool) {
	x := &n.byIn
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s) == h {
			m := uint32(s>>32) - 1
			r := &n.maps[m]
			if r.inAddr == addr && r.inPort == port && r.proto == proto {
				return m, true
			}
		}
	}
}

func (n *NAT) lookupExt(proto uint8, addr uint32, port uint16) (uint32, bool) {
	h := n.hashEndpoint(proto, addr, port)
	x := &n.byExt
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s) == h {
			m := uint32(s>>32) - 1
			r := &n.maps[m]
			if r.extAddr == addr && r.extPort == port && r.proto == proto {
				return m, true
			}
		}
	}
}

// lookupSession finds the session of mapping m with the remote endpoint;
// with anyPort it finds any session of m with the remote address.
func (n *NAT) lookupSession(m, addr uint32, port uint16, anyPort bool) (uint32, bool) {
	mp := &n.maps[m]
	indexed := mp.sessions // sessions in the index
	if in := mp.inline; in != 0 {
		r := &n.sessions[in-1]
		if r.remAddr == addr && (anyPort || r.remPort == port) {
			return in - 1, true
		}
		indexed--
	}
	if indexed == 0 {
		return 0, false
	}
	h := n.hashSession(m, addr)
	x := &n.bySess
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint32(s) == h {
			k := uint32(s>>32) - 1
			r := &n.sessions[k]
			if r.mapping == m && r.remAddr == addr && (anyPort || r.remPort == port) {
				return k, true
			}
		}
	}
}

// admit checks the global and per-host limits for a new session of
// internal address in.
func (n *NAT) admit(in uint32) error {
	if n.freeSess == 0 {
		n.counters.TableFull++
		return ErrTableFull
	}
	if n.hosts.count(in) >= uint32(n.cfg.MaxSessionsPerHost) {
		n.counters.HostLimit++
		return ErrHostLimit
	}
	return nil
}

// newMapping creates a dynamic mapping for the internal endpoint, whose
// hash is hIn; the caller has checked admit.
func (n *NAT) newMapping(proto uint8, in uint32, inPort uint16, hIn uint32) (uint32, error) {
	pool := n.hashEndpoint(0, in, 0) % uint32(len(n.pool)) // paired pooling
	port, ok := n.allocPort(proto, pool, inPort)
	if !ok {
		n.counters.PortsExhausted++
		return 0, ErrPortsExhausted
	}
	return n.addMapping(proto, in, inPort, pool, port, false, hIn), nil
}

// addMapping creates a mapping; hIn is the hash of its internal endpoint.
func (n *NAT) addMapping(proto uint8, in uint32, inPort uint16, pool uint32, extPort uint16, static bool, hIn uint32) uint32 {
	m := n.freeMap - 1
	r := &n.maps[m]
	n.freeMap = r.sessions
	ext := n.pool[pool]
	*r = mapping{inAddr: in, extAddr: ext, inPort: inPort, extPort: extPort, pool: uint16(pool), proto: proto, static: static}
	n.ports(proto, pool).set(extPort)
	n.byIn.insert(hIn, m)
	n.byExt.insert(n.hashEndpoint(proto, ext, extPort), m)
	n.counters.Mappings++
	return m
}

func (n *NAT) freeMapping(m uint32) {
	r := &n.maps[m]
	n.byIn.remove(n.hashEndpoint(r.proto, r.inAddr, r.inPort), m)
	n.byExt.remove(n.hashEndpoint(r.proto, r.extAddr, r.extPort), m)
	n.ports(r.proto, uint32(r.pool)).clear(r.extPort)
	*r = mapping{sessions: n.freeMap}
	n.freeMap = m + 1
	n.counters.Mappings--
}

// newSession creates a session of mapping m; the caller has checked admit.
func (n *NAT) newSession(m, addr uint32, port uint16, st State, timeout uint32) uint32 {
	s := n.freeSess - 1
	r := &n.sessions[s]
	n.freeSess = r.next
	*r = session{remAddr: addr, remPort: port, mapping: m, state: st, expiry: n.wheel.tick + timeout}
	mp := &n.maps[m]
	if mp.inline == 0 {
		mp.inline = s + 1
	} else {
		n.bySess.insert(n.hashSession(m, addr), s)
	}
	n.wheelLink(s)
	mp.sessions++
	n.hosts.inc(mp.inAddr)
	n.nsess++
	n.counters.NewSessions++
	return s
}

// freeSession deletes session s, and its mapping if it was the last
// session of a dynamic mapping. linked says whether s is still in a wheel
// bucket (the wheel detaches a bucket before walking it).
func (n *NAT) freeSession(s uint32, linked bool) {
	if linked {
		n.wheelUnlink(s)
	}
	r := &n.sessions[s]
	m := r.mapping
	mp := &n.maps[m]
	if mp.inline == s+1 {
		mp.inline = 0
	} else {
		n.bySess.remove(n.hashSession(m, r.remAddr), s)
	}
	*r = session{next: n.freeSess}
	n.freeSess = s + 1
	n.nsess--
	n.hosts.dec(mp.inAddr)
	mp.sessions--
	if mp.sessions == 0 && !mp.static {
		n.freeMapping(m)
	}
}

// setExpiry sets the timer of session s to timeout ticks from now. A later
// expiry is only written (the wheel moves the session when its bucket comes
// round); an earlier one moves the session at once.
func (n *NAT) setExpiry(s, timeout uint32) {
	r := &n.sessions[s]
	e := n.wheel.tick + timeout
	if e >= r.expiry {
		r.expiry = e
		return
	}
	n.wheelUnlink(s)
	r.expiry = e
	n.wheelLink(s)
}
