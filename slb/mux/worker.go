package mux

// A Worker processes packets for one goroutine (a core's receive loop)
// at a time, and counts the flow hits of its lock-free path in its own
// counter instead of with an atomic add per packet, which costs a few
// nanoseconds on the shared cache line: they reach Stats once per
// workerFlush hits and at Flush. A Worker also offers ProcessInPlace,
// which writes the outer headers in front of a packet that has room for
// them instead of copying it. Workers of one Mux may run in parallel;
// one Worker must not be used by two goroutines at once.
type Worker struct {
	m *Mux
	// hits is the lock-free flow hits not yet counted, as shard.hits:
	// packets<<hitShift | bytes.
	hits uint64
	_    [48]byte // a cache line of its own: Workers of other cores are written as often
}

// workerFlush is how many flow hits a Worker counts before it adds them
// to the Mux's counters.
const workerFlush = 64

// NewWorker returns a Worker that processes packets with m.
func (m *Mux) NewWorker() *Worker { return &Worker{m: m} }

// Headroom returns the bytes of outer headers that the Mux puts in front
// of a packet: ProcessInPlace needs that many before it.
func (m *Mux) Headroom() int { return m.hdrLen }

// Process is Mux.ProcessInto through w: the encapsulated packet is
// appended to dst and the Result written to *r.
func (w *Worker) Process(dst, pkt []byte, r *Result) ([]byte, error) {
	*r = Result{}
	m := w.m
	var p packet
	err := m.parse(pkt, &p)
	dst, err = m.processParsed(dst, pkt, &p, err, m.ticks(), &w.hits, r)
	w.count()
	return dst, err
}

// ProcessInPlace handles the IP packet at buf[off:], which must follow
// at least Headroom bytes of buf, as Process does, but without copying
// it: a forwarded packet's outer headers are written into
// buf[off-Headroom():off] and the encapsulated packet returned is
// buf[off-Headroom() : off+n], where n is the IP packet's own length
// (link-layer padding after it is left out). The bytes of buf before
// off-Headroom() are not touched. MSS clamping edits the packet in
// buf. For the other verdicts buf is left as it was and out is nil.
// When off leaves less than Headroom bytes before the packet, or lies
// beyond buf, ProcessInPlace returns VerdictInvalid and ErrHeadroom
// without counting the packet.
func (w *Worker) ProcessInPlace(buf []byte, off int, r *Result) (out []byte, err error) {
	*r = Result{}
	m := w.m
	if off < m.hdrLen || off > len(buf) {
		r.Verdict = VerdictInvalid
		return nil, ErrHeadroom
	}
	pkt := buf[off:]
	var p packet
	err = m.parse(pkt, &p)
	p.inPlace = true
	out, err = m.processParsed(buf[:off], pkt, &p, err, m.ticks(), &w.hits, r)
	w.count()
	if r.Verdict != VerdictForward {
		return nil, err
	}
	return out, err
}

// count adds w's flow hits to the Mux's counters once there are
// workerFlush of them.
func (w *Worker) count() {
	if w.hits >= workerFlush<<hitShift {
		w.flush()
	}
}

// Flush adds the flow hits w has counted to the Mux's counters, so that
// Stats includes them. A Worker holds at most workerFlush (64) packets'
// hits back; call Flush when it stops, or before reading Stats when the
// figures must be exact.
func (w *Worker) Flush() {
	if w.hits != 0 {
		w.flush()
	}
}

// flush adds w's hits to the Mux's counters. Out of count, which is
// inlined on the packet path.
func (w *Worker) flush() {
	w.m.flows.shards[0].addHits(w.hits)
	w.hits = 0
}
