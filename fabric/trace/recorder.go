package trace

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultLimit is the number of events a Recorder keeps when none is given.
const DefaultLimit = 4096

// Recorder collects the events of the flows it watches. The zero value is
// not usable; a nil *Recorder records nothing, so nodes call it
// unconditionally. Its methods are safe for concurrent use.
type Recorder struct {
	limit    int
	watching atomic.Int32 // number of watched addresses, a lock-free fast path

	mu      sync.Mutex
	watch   map[netip.Addr]int
	events  []Event
	dropped int
	now     func() time.Time
}

// NewRecorder returns a recorder keeping at most limit events (DefaultLimit
// when limit is 0).
func NewRecorder(limit int) *Recorder {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Recorder{limit: limit, watch: make(map[netip.Addr]int), now: time.Now}
}

// Watch starts recording the packets from or to addr (at any layer,
// encapsulated or not) and returns a function that stops it. Watches nest.
func (r *Recorder) Watch(addr netip.Addr) (stop func()) {
	r.mu.Lock()
	r.watch[addr]++
	r.mu.Unlock()
	r.watching.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			if r.watch[addr]--; r.watch[addr] == 0 {
				delete(r.watch, addr)
			}
			r.mu.Unlock()
			r.watching.Add(-1)
		})
	}
}

// Wants reports whether a packet between src and dst is watched. It is
// cheap when nothing is watched, and for a nil Recorder.
func (r *Recorder) Wants(src, dst netip.Addr) bool {
	if r == nil || r.watching.Load() == 0 {
		return false
	}
	r.mu.Lock()
	_, s := r.watch[src]
	_, d := r.watch[dst]
	r.mu.Unlock()
	return s || d
}

// WantsFrame reports whether an Ethernet frame carries a watched packet,
// looking inside VXLAN.
func (r *Recorder) WantsFrame(frame []byte) bool {
	if r == nil || r.watching.Load() == 0 {
		return false
	}
	for src, dst := range addrs(frame) {
		if r.Wants(src, dst) {
			return true
		}
	}
	return false
}

// Record adds e, numbering and timestamping it. When the recorder is full,
// the event is counted and dropped.
func (r *Recorder) Record(e Event) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) >= r.limit {
		r.dropped++
		return
	}
	e.Seq = len(r.events) + 1
	e.Time = r.now()
	r.events = append(r.events, e)
}

// Events returns a copy of the recorded events, in order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Dropped returns the number of events dropped because the recorder was
// full.
func (r *Recorder) Dropped() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// Reset forgets the recorded events.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events, r.dropped = nil, 0
	r.mu.Unlock()
}
