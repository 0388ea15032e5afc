package jitter

import (
	"math/rand/v2"
	"time"
)

// Gate is the one interface every strategy satisfies: it decides when a
// caller may make an attempt against a shared resource.
//
// Admit is asked at now before attempt n (0 is the first attempt, n > 0 a
// retry after a failure). If ok, the caller starts the attempt after wait
// and calls Done when the attempt ends, whatever its outcome. If not ok,
// the caller was refused for now: it asks again after wait, or, when wait
// is 0, as soon as another caller's Done frees capacity.
//
// Time is passed in, never read, so a Gate works the same on the wall
// clock and in the simulator's virtual time.
type Gate interface {
	Admit(now time.Time, n int) (wait time.Duration, ok bool)
	Done(now time.Time)
}

// Rand is the random source: *math/rand/v2.Rand satisfies it. A nil Rand
// uses math/rand/v2's global source, which is safe for concurrent use; a
// *rand.Rand is not, so give each goroutine its own or share only a nil.
type Rand interface {
	Int64N(n int64) int64
}

// uniform returns a duration uniformly distributed in [lo, hi].
func uniform(r Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	span := int64(hi-lo) + 1
	if r == nil {
		return lo + time.Duration(rand.Int64N(span))
	}
	return lo + time.Duration(r.Int64N(span))
}

// expo returns min(cap, base * 2^(n-1)) for n >= 1, without overflow.
func expo(base, cap time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n; i++ {
		if d >= cap/2 {
			return cap
		}
		d *= 2
	}
	return min(d, cap)
}

// None admits at once, every time: the start storm.
type None struct{}

// Admit returns (0, true).
func (None) Admit(time.Time, int) (time.Duration, bool) { return 0, true }

// Done does nothing.
func (None) Done(time.Time) {}

// Window is the seed's RandomWait: before the first attempt wait a
// uniformly random time in [Min, Max], then attempt. Retries are paced by
// Retry (nil: at once). The seed's PowerShell, System.Random.Next(1, 300),
// draws whole seconds from 1 to 299 (the upper bound is exclusive); Window
// draws at nanosecond resolution.
type Window struct {
	Min, Max time.Duration
	Rand     Rand
	Retry    Gate
}

// Admit waits uniformly in the window before attempt 0 and defers to
// Retry after.
func (w Window) Admit(now time.Time, n int) (time.Duration, bool) {
	if n == 0 {
		return uniform(w.Rand, w.Min, w.Max), true
	}
	if w.Retry == nil {
		return 0, true
	}
	return w.Retry.Admit(now, n)
}

// Done passes to Retry.
func (w Window) Done(now time.Time) {
	if w.Retry != nil {
		w.Retry.Done(now)
	}
}

// Exponential is capped exponential backoff without jitter: retry n waits
// min(Cap, Base*2^(n-1)). Callers that failed together retry together.
type Exponential struct {
	Base, Cap time.Duration
}

// Admit returns the backoff for attempt n (0 for the first attempt).
func (e Exponential) Admit(_ time.Time, n int) (time.Duration, bool) {
	if n == 0 {
		return 0, true
	}
	return expo(e.Base, e.Cap, n), true
}

// Done does nothing.
func (Exponential) Done(time.Time) {}

// FullJitter is capped exponential backoff with full jitter: retry n waits
// uniformly in [0, min(Cap, Base*2^(n-1))].
type FullJitter struct {
	Base, Cap time.Duration
	Rand      Rand
}

// Admit returns the jittered backoff for attempt n.
func (f FullJitter) Admit(_ time.Time, n int) (time.Duration, bool) {
	if n == 0 {
		return 0, true
	}
	return uniform(f.Rand, 0, expo(f.Base, f.Cap, n)), true
}

// Done does nothing.
func (FullJitter) Done(time.Time) {}

// Decorrelated is decorrelated-jitter backoff: each retry waits
// min(Cap, uniform(Base, 3*previous)). It keeps the previous wait, so each
// caller needs its own (use a pointer).
type Decorrelated struct {
	Base, Cap time.Duration
	Rand      Rand
	prev      time.Duration
}

// Admit returns the next decorrelated wait; attempt 0 resets.
func (d *Decorrelated) Admit(_ time.Time, n int) (time.Duration, bool) {
	if n == 0 || d.prev < d.Base {
		d.prev = d.Base
		if n == 0 {
			return 0, true
		}
	}
	hi := d.prev
	if hi < d.Cap/3 {
		hi *= 3
	} else {
		hi = d.Cap
	}
	d.prev = min(d.Cap, uniform(d.Rand, d.Base, hi))
	return d.prev, true
}

// Done does nothing.
func (*Decorrelated) Done(time.Time) {}
