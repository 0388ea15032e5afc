package netsim

import (
	"sync"
	"sync/atomic"
)

// Switch is a learning Ethernet switch: one L2 segment with any number of
// ports. It learns the source MAC address of each frame on the port it came
// from, sends a unicast frame to the port that learned its destination, and
// floods broadcast, multicast and unknown-unicast frames to every other port.
// Its forwarding table holds at most MaxLearned addresses: a node sending
// from ever new source addresses (a MAC flood) cannot grow it further, and
// frames to the addresses it could not learn are flooded.
type Switch struct {
	name string
	cfg  WireConfig

	mu     sync.RWMutex
	ports  []*Port
	fdb    map[[6]byte]*Port
	closed bool
	flood  atomic.Uint64 // frames flooded
	copies atomic.Uint64 // copies made by flooding
}

// MaxLearned bounds the forwarding table of a Switch. An entry moves when its
// address is seen on another port; entries are never aged out.
const MaxLearned = 4096

// SwitchStats counts what a switch did.
type SwitchStats struct {
	Ports   int    // attached ports
	Learned int    // MAC addresses in the forwarding table
	Flooded uint64 // frames sent to every other port
	// FloodCopies is the number of copies flooding made: one per other
	// open port at the time. Over a whole switch, the frames its ports
	// took in minus Flooded plus FloodCopies are the frames delivered,
	// overrun or queued at its ports.
	FloodCopies uint64
}

// NewSwitch returns an empty switch; cfg applies to each port it makes.
func NewSwitch(name string, cfg WireConfig) *Switch {
	return &Switch{name: name, cfg: cfg, fdb: make(map[[6]byte]*Port)}
}

// Port attaches a new port named name to the switch and returns it. The
// node at the port sends and receives through it like one end of a wire.
func (s *Switch) Port(name string) *Port {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := newPort(s.name+"."+name, s.cfg, uint64(len(s.ports))+1)
	p.forward = s.forward
	if s.closed {
		p.closed.Store(true)
	}
	s.ports = append(s.ports, p)
	return p
}

func (s *Switch) forward(from *Port, f []byte, mss uint16) bool {
	var src, dst [6]byte
	copy(dst[:], f[0:6])
	copy(src[:], f[6:12])
	s.mu.RLock()
	learned := s.fdb[src] == from
	to := s.fdb[dst]
	s.mu.RUnlock()
	if !learned && src[0]&1 == 0 {
		s.mu.Lock()
		if _, known := s.fdb[src]; known || len(s.fdb) < MaxLearned {
			s.fdb[src] = from
		}
		s.mu.Unlock()
	}
	if to != nil && dst[0]&1 == 0 {
		if to == from {
			// The destination is on the segment the frame came from.
			from.stats.unreachable.Add(1)
			return false
		}
		if !to.closed.Load() {
			return far(from, to, f, mss)
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ok, copies := false, uint64(0)
	for _, p := range s.ports {
		if p == from || p.closed.Load() {
			continue
		}
		copies++
		if p.enqueue(f, mss) {
			ok = true
		}
	}
	if copies == 0 {
		from.stats.unreachable.Add(1)
		return false
	}
	s.flood.Add(1)
	s.copies.Add(copies)
	return ok
}

// Stats returns the switch's counters; each port has its own.
func (s *Switch) Stats() SwitchStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return SwitchStats{Ports: len(s.ports), Learned: len(s.fdb), Flooded: s.flood.Load(), FloodCopies: s.copies.Load()}
}

// Close closes every port of the switch.
func (s *Switch) Close() {
	s.mu.Lock()
	s.closed = true
	ports := append([]*Port(nil), s.ports...)
	s.mu.Unlock()
	for _, p := range ports {
		p.Close()
	}
}

// Ports returns the switch's ports, in the order they were attached.
func (s *Switch) Ports() []*Port {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*Port(nil), s.ports...)
}
