package netsim

import (
	"errors"
	"sync/atomic"
)

// wire is what the ends of a point-to-point link share.
type wire struct {
	name    string
	cfg     WireConfig
	streams atomic.Uint64 // loss streams handed out
}

// NewWire returns the two ends of a point-to-point link. Frames sent on a
// arrive at b and the other way round; each direction has its own queue and
// its own stream of simulated loss.
func NewWire(name string, cfg WireConfig) (a, b *Port) {
	w := &wire{name: name, cfg: cfg}
	w.streams.Store(2)
	a = newPort(name+".a", cfg, 1)
	b = newPort(name+".b", cfg, 2)
	for _, p := range []*Port{a, b} {
		p.wire, p.forward = w, toFar
	}
	a.far.Store(b)
	b.far.Store(a)
	return a, b
}

// toFar is a wire end's forward: to whatever end it is plugged into now.
func toFar(from *Port, f []byte, mss uint16) bool { return far(from, from.far.Load(), f, mss) }

// far hands f (with its mss) to to on behalf of from and counts an
// unreachable far end.
func far(from, to *Port, f []byte, mss uint16) bool {
	if to.take(f, mss) {
		return true
	}
	if to.closed.Load() {
		from.stats.unreachable.Add(1)
	}
	return false
}

// ErrNotWire: Replug moves the ends of wires, not switch ports.
var ErrNotWire = errors.New("netsim: not the end of a wire")

// Replug plugs the wire of p into a new far end, named name, and returns
// it, as a live-migrated VM keeps its NIC while its cable moves to
// another switch: from then on what p sends arrives at the new end, and
// what the new end sends arrives at p. Frames already queued at p are
// still delivered; the old far end stays open and can still reach p until
// its owner closes it. The new end has the wire's configuration and a
// loss stream of its own.
func (p *Port) Replug(name string) (*Port, error) {
	if p.wire == nil {
		return nil, ErrNotWire
	}
	n := newPort(p.wire.name+"."+name, p.wire.cfg, p.wire.streams.Add(1))
	n.wire, n.forward = p.wire, toFar
	n.far.Store(p)
	p.far.Store(n)
	return n, nil
}
