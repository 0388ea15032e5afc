package netsim

// NewWire returns the two ends of a point-to-point link. Frames sent on a
// arrive at b and the other way round; each direction has its own queue and
// its own stream of simulated loss.
func NewWire(name string, cfg WireConfig) (a, b *Port) {
	a = newPort(name+".a", cfg, 1)
	b = newPort(name+".b", cfg, 2)
	a.forward = func(from *Port, f []byte) bool { return far(from, b, f) }
	b.forward = func(from *Port, f []byte) bool { return far(from, a, f) }
	return a, b
}

// far queues f at to on behalf of from and counts an unreachable far end.
func far(from, to *Port, f []byte) bool {
	if to.enqueue(f) {
		return true
	}
	if to.closed.Load() {
		from.stats.unreachable.Add(1)
	}
	return false
}
