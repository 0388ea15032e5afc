package vxlan

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// Counters are packet and byte counts of one VNI or one peer VTEP. Bytes
// are inner Ethernet frame bytes.
type Counters struct {
	RxPackets, RxBytes uint64 // VNI: frames delivered to the local port (decapsulated, or suppression replies); peer: frames received
	TxPackets, TxBytes uint64 // frames encapsulated and sent (one per remote for flooded frames)
	RxDrops            uint64 // received frames dropped: no local port, port write failed
	TxDrops            uint64 // frames not sent: no remote, send failed
}

type counters struct {
	rxPackets, rxBytes, txPackets, txBytes, rxDrops, txDrops atomic.Uint64
}

func (c *counters) rx(n int) { c.rxPackets.Add(1); c.rxBytes.Add(uint64(n)) }
func (c *counters) tx(n int) { c.txPackets.Add(1); c.txBytes.Add(uint64(n)) }

func (c *counters) snapshot() Counters {
	return Counters{
		RxPackets: c.rxPackets.Load(), RxBytes: c.rxBytes.Load(),
		TxPackets: c.txPackets.Load(), TxBytes: c.txBytes.Load(),
		RxDrops: c.rxDrops.Load(), TxDrops: c.txDrops.Load(),
	}
}

// Stats are VTEP-wide counters.
type Stats struct {
	Malformed  uint64 // received datagrams that failed to decode
	UnknownVNI uint64 // received packets for a VNI this VTEP does not serve
	Suppressed uint64 // ARP requests and Neighbor Solicitations answered locally
	L2Miss     uint64 // unicast frames to a MAC the FDB does not know
	L3Miss     uint64 // ARP/NS requests for an address the neighbor table lacks
	LearnFull  uint64 // source MACs not learned because the VNI was at its limit
	Segmented  uint64 // TCP/UDP super-packets from local ports split into frames (offload/gso)
	// PeerOverflow counts packets from or to peers beyond MaxPeers, whose
	// counts go here rather than into a per-peer entry.
	PeerOverflow uint64
}

type stats struct {
	malformed, unknownVNI, suppressed, l2miss, l3miss, learnFull, segmented, peerOverflow atomic.Uint64
}

// peerTable holds per-peer counters, bounded so that datagrams from many
// source addresses cannot grow it without limit: peers beyond max share
// the overflow entry.
type peerTable struct {
	max      int
	mu       sync.RWMutex
	m        map[netip.Addr]*counters
	overflow counters
}

func (p *peerTable) get(a netip.Addr, st *stats) *counters {
	p.mu.RLock()
	c, ok := p.m[a]
	p.mu.RUnlock()
	if ok {
		return c
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.m[a]; ok {
		return c
	}
	if len(p.m) >= p.max {
		st.peerOverflow.Add(1)
		return &p.overflow
	}
	c = new(counters)
	p.m[a] = c
	return c
}
