package gro

import (
	"errors"
	"strconv"

	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// Config sizes a Coalescer. The zero value is usable: 16 flows of bare IP
// packets, 64 KiB merged packets, TCP only.
type Config struct {
	// NetworkOffset is the offset of the IP header in every packet: 0 for
	// TUN packets, 14 for Ethernet frames (18 with an 802.1Q tag). The
	// bytes before it are part of the flow identity.
	NetworkOffset int
	// Flows is how many flows are held at once (default 16).
	Flows int
	// MaxSize caps the length of a merged IP packet (default and maximum
	// 65535, what a 16-bit IP length can describe).
	MaxSize int
	// MaxSegments caps the segments in one merged packet (default 0: no
	// cap beyond MaxSize for TCP, 64 for UDP as Linux's UDP_GRO_CNT_MAX).
	MaxSegments int
	// UDP enables coalescing of UDP datagrams into UDP_L4 GSO packets, for
	// receivers that accept them (Linux sockets with UDP_GRO, tunnels).
	UDP bool
}

// Emit receives each packet a Coalescer releases, with the virtio-net
// header that describes it. pkt is only valid during the call. An error
// stops the Add or Flush that called it and is returned from there.
type Emit func(h virtio.NetHdr, pkt []byte) error

// Stats counts what a Coalescer did.
type Stats struct {
	Packets     uint64 // packets offered to Add
	Merged      uint64 // packets appended to a held packet
	Emitted     uint64 // packets emitted (merged, held or passed through)
	PassThrough uint64 // packets emitted unchanged without being held
	BadChecksum uint64 // packets passed through because a checksum failed
	Evicted     uint64 // flows flushed to make room for a new flow
}

// ErrConfig reports an invalid Config.
var ErrConfig = errors.New("gro: invalid config")

// ConfigError names the invalid Config field.
type ConfigError struct {
	Field string
	Value int
}

func (e *ConfigError) Error() string {
	return ErrConfig.Error() + ": " + e.Field + " = " + strconv.Itoa(e.Value)
}

// Unwrap returns ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

const (
	defaultFlows  = 16
	maxIPLen      = 65535
	udpMaxSegs    = 64
	csumOffsetTCP = 16
	csumOffsetUDP = 6
)

// Coalescer merges received segments per flow. It is not safe for
// concurrent use; use one per receive queue.
type Coalescer struct {
	cfg   Config
	flows []flow
	clock uint64 // increases with every flow started, for eviction
	held  int
	stats Stats
}

// NewCoalescer allocates a Coalescer and all its buffers.
func NewCoalescer(cfg Config) (*Coalescer, error) {
	switch {
	case cfg.NetworkOffset < 0:
		return nil, &ConfigError{"NetworkOffset", cfg.NetworkOffset}
	case cfg.Flows < 0:
		return nil, &ConfigError{"Flows", cfg.Flows}
	case cfg.MaxSize < 0 || cfg.MaxSize > maxIPLen:
		return nil, &ConfigError{"MaxSize", cfg.MaxSize}
	case cfg.MaxSegments < 0:
		return nil, &ConfigError{"MaxSegments", cfg.MaxSegments}
	}
	if cfg.Flows == 0 {
		cfg.Flows = defaultFlows
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = maxIPLen
	}
	c := &Coalescer{cfg: cfg, flows: make([]flow, cfg.Flows)}
	for i := range c.flows {
		c.flows[i].buf = make([]byte, 0, cfg.NetworkOffset+cfg.MaxSize)
	}
	return c, nil
}

// Stats returns the counters so far.
func (c *Coalescer) Stats() Stats { return c.stats }

// Held returns the number of flows holding a packet.
func (c *Coalescer) Held() int { return c.held }

// Add offers one received packet and the virtio-net header it came with
// (the zero NetHdr when there is none). The packet is either held (copied
// into the Coalescer, alone or appended to its flow's packet) or emitted,
// possibly after emitting its flow's held packet or, when every flow slot
// is busy, the oldest flow. Packets that cannot be coalesced, including
// malformed ones, are passed to emit unchanged: a Coalescer never drops.
// Add returns the first error emit returns.
func (c *Coalescer) Add(h virtio.NetHdr, pkt []byte, emit Emit) error {
	c.stats.Packets++
	var s seg
	if !c.parse(&s, h, pkt) {
		return c.pass(h, pkt, emit)
	}
	if !s.verify(h) {
		c.stats.BadChecksum++
		return c.pass(h, pkt, emit)
	}
	f := c.lookup(&s)
	if f != nil {
		if c.canMerge(f, &s) {
			f.merge(&s)
			c.stats.Merged++
			if c.ends(f, &s) {
				return c.flush(f, emit)
			}
			return nil
		}
		if err := c.flush(f, emit); err != nil {
			return err
		}
	}
	if s.payload() == 0 || s.flags&flagsNoHold != 0 || len(s.pkt)-s.ip > c.cfg.MaxSize {
		return c.pass(h, pkt, emit)
	}
	f, err := c.slot(emit)
	if err != nil {
		return err
	}
	c.clock++
	f.start(&s, h, c.clock)
	c.held++
	return nil
}

// Flush emits every held packet, the flow held longest first, and empties
// the Coalescer. Call it at the end of each receive batch.
func (c *Coalescer) Flush(emit Emit) error {
	for c.held > 0 {
		var oldest *flow
		for i := range c.flows {
			if f := &c.flows[i]; f.used && (oldest == nil || f.born < oldest.born) {
				oldest = f
			}
		}
		if err := c.flush(oldest, emit); err != nil {
			return err
		}
	}
	return nil
}

// pass emits a packet that is not held.
func (c *Coalescer) pass(h virtio.NetHdr, pkt []byte, emit Emit) error {
	c.stats.PassThrough++
	c.stats.Emitted++
	return emit(h, pkt)
}

// lookup returns the flow holding s's flow, or nil.
func (c *Coalescer) lookup(s *seg) *flow {
	if c.held == 0 {
		return nil
	}
	for i := range c.flows {
		f := &c.flows[i]
		if f.used && f.key == s.key && string(f.buf[:s.ip]) == string(s.pkt[:s.ip]) {
			return f
		}
	}
	return nil
}

// slot returns a free flow slot, evicting the oldest flow if none is free.
func (c *Coalescer) slot(emit Emit) (*flow, error) {
	var oldest *flow
	for i := range c.flows {
		f := &c.flows[i]
		if !f.used {
			return f, nil
		}
		if oldest == nil || f.born < oldest.born {
			oldest = f
		}
	}
	c.stats.Evicted++
	return oldest, c.flush(oldest, emit)
}

// flush emits f's packet and frees the slot.
func (c *Coalescer) flush(f *flow, emit Emit) error {
	h, pkt := f.finish()
	f.used = false
	c.held--
	c.stats.Emitted++
	return emit(h, pkt)
}
