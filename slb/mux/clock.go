package mux

import (
	"runtime"
	"sync/atomic"
	"time"
)

// A Clock tells the time; the flow table's timeouts and the drain times
// are measured with it. Tests use a virtual clock.
type Clock interface {
	Now() time.Time
}

// Time is kept in ticks of 2^24 ns (about 16.8 ms): a uint32 deadline
// wraps after about 2.3 years, and int32 differences compare times up to
// about a year apart.
const tickShift = 24

func toTicks(d time.Duration) uint32 {
	return uint32((d + 1<<tickShift - 1) >> tickShift)
}

// jiffies is the coarse clock of a Mux without a Config.Clock, in the
// manner of the Linux kernel's jiffies: a goroutine stores the tick count
// once per tick, and the data path reads it with one atomic load. Reading
// the system clock per packet costs 20-50 ns on virtual machines, as
// much as the rest of the path. The goroutine holds only the jiffies, not
// the Mux, and stops when the Mux is garbage collected.
type jiffies struct {
	now  atomic.Uint32
	done chan struct{}
}

func startJiffies(m *Mux) *jiffies {
	j := &jiffies{done: make(chan struct{})}
	epoch := m.epoch
	go func() {
		t := time.NewTicker(1 << tickShift)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				j.now.Store(uint32(time.Since(epoch) >> tickShift))
			case <-j.done:
				return
			}
		}
	}()
	runtime.AddCleanup(m, func(done chan struct{}) { close(done) }, j.done)
	return j
}

// ticks returns the current time in ticks since the Mux was made. The
// system clock's case is small enough to be inlined on the packet path.
func (m *Mux) ticks() uint32 {
	if m.clock == nil {
		return m.jiffies.now.Load()
	}
	return m.clockTicks()
}

// clockTicks is ticks from Config.Clock.
func (m *Mux) clockTicks() uint32 {
	return uint32(m.clock.Now().Sub(m.epoch) >> tickShift)
}
