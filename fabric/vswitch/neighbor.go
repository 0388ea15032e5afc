package vswitch

import (
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

var errNotIPv4 = errors.New("vswitch: not an untagged IPv4 frame")

// maxNeighbors bounds the provider ARP cache, so ARP from the provider
// network cannot grow it without bound.
const maxNeighbors = 4096

// neighbors is the switch's ARP cache for the provider network.
type neighbors struct {
	mu      sync.RWMutex
	entries map[netip.Addr]neighbor
	pending map[netip.Addr][]byte
}

type neighbor struct {
	mac       header.MAC
	resolved  bool
	static    bool
	requested time.Time // when an ARP request was last sent for it
}

func (n *neighbors) init() {
	n.entries = make(map[netip.Addr]neighbor)
	n.pending = make(map[netip.Addr][]byte)
}

func (n *neighbors) lookup(a netip.Addr) (header.MAC, bool) {
	n.mu.RLock()
	e, ok := n.entries[a]
	n.mu.RUnlock()
	return e.mac, ok && e.resolved
}

// set records a's MAC; learned entries never replace static ones.
func (n *neighbors) set(a netip.Addr, mac header.MAC, static bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e, ok := n.entries[a]; ok && e.static && !static {
		return
	}
	if _, ok := n.entries[a]; !ok && len(n.entries) >= maxNeighbors {
		return
	}
	n.entries[a] = neighbor{mac: mac, resolved: true, static: static}
}

// learn refreshes a's MAC if the switch already knows or asked for a. It
// runs for every packet from the provider network, so an entry that would
// not change costs only the read lock.
func (n *neighbors) learn(a netip.Addr, mac header.MAC) {
	n.mu.RLock()
	e, ok := n.entries[a]
	n.mu.RUnlock()
	if ok && !(e.resolved && (e.static || e.mac == mac)) {
		n.set(a, mac, false)
	}
}

// shouldRequest reports whether an ARP request for a is due (at most one
// every 100 ms per address) and records that one is sent.
func (n *neighbors) shouldRequest(a netip.Addr, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	e, ok := n.entries[a]
	if ok && e.resolved {
		return false
	}
	if ok && now.Sub(e.requested) < 100*time.Millisecond {
		return false
	}
	if !ok && len(n.entries) >= maxNeighbors {
		return false
	}
	e.requested = now
	n.entries[a] = e
	return true
}

// maxPending bounds the frames held for unresolved next hops: one per
// address (the latest), for at most this many addresses.
const maxPending = 64

// hop returns the next hop towards provider address pa: pa itself on the
// provider prefix, the router otherwise.
func (s *Switch) hop(pa netip.Addr) netip.Addr {
	if s.cfg.ProviderPrefix.Contains(pa) {
		return pa
	}
	return s.cfg.RouterPA
}

// sendProvider sends frame, whose Ethernet destination it fills in, to next
// hop hop on the provider network, reporting the uplink's delivery (rule,
// p) first: the next node may run in this goroutine and rewrite the frame
// (netsim's run to completion), and its events follow this one. When hop
// is not resolved yet it holds a copy of the frame (the latest one per
// hop), sends an ARP request (built in scratch), and sends the held frame
// when the reply arrives. It reports whether the frame left now. A
// super-frame (mss not 0) leaves as one; it is not held (TCP sends it
// again).
func (s *Switch) sendProvider(hop netip.Addr, frame []byte, mss int, scratch []byte, port string, dir Direction, rule string, p *packet) bool {
	if mac, ok := s.neighbors.lookup(hop); ok {
		copy(frame[0:6], mac[:])
		s.event("uplink", Out, LayerPort, ActionDeliver, rule, p)
		s.uplink.SendSuper(frame, mss)
		return true
	}
	if !hop.IsValid() {
		return false
	}
	if mss == 0 {
		s.neighbors.hold(hop, frame)
	}
	if s.neighbors.shouldRequest(hop, time.Now()) {
		f := scratch[:header.EthernetMinSize+header.ARPSize] // so the Inits cannot fail
		header.InitEthernet(f, header.BroadcastMAC, s.hostMAC, header.EtherTypeARP)
		header.InitARPRequest(f[header.EthernetMinSize:], s.hostMAC, s.cfg.HostPA, hop)
		s.event(port, dir, LayerPort, ActionARPRequest, "resolve next hop", nil)
		s.uplink.Send(f)
	}
	return false
}

// hold keeps a copy of frame until a's MAC is known.
func (n *neighbors) hold(a netip.Addr, frame []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.pending[a]; !ok && len(n.pending) >= maxPending {
		return
	}
	n.pending[a] = append(n.pending[a][:0], frame...)
}

// release returns and forgets the frame held for a.
func (n *neighbors) release(a netip.Addr) []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	f, ok := n.pending[a]
	if ok {
		delete(n.pending, a)
	}
	return f
}
