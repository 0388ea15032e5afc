package jitter

import (
	"context"
	"time"
)

// Clock is the time source for Wait.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Wait blocks on the wall clock (or clock) until g admits attempt n, or ctx
// ends. On a nil return the caller holds the admission and must call
// g.Done when the attempt ends. A refusal with wait 0 is retried when the
// gate signals a release (see Semaphore.Released) or, for gates without
// that signal, after a millisecond.
func Wait(ctx context.Context, clock Clock, g Gate, n int) error {
	for {
		var released <-chan struct{}
		if r, ok := g.(interface{ Released() <-chan struct{} }); ok {
			released = r.Released() // before Admit, so no release is missed
		}
		wait, ok := g.Admit(clock.Now(), n)
		if ok && wait <= 0 {
			return ctx.Err()
		}
		var timer <-chan time.Time
		switch {
		case wait > 0:
			timer = clock.After(wait)
		case released == nil:
			timer = clock.After(time.Millisecond)
		}
		select {
		case <-ctx.Done():
			if ok {
				g.Done(clock.Now())
			}
			return ctx.Err()
		case <-timer:
			if ok {
				return nil
			}
		case <-released:
		}
	}
}
