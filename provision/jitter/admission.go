package jitter

import (
	"sync"
	"time"
)

// TokenBucket is admission control by rate: at most Burst attempts at
// once, then one every Every. Admit never refuses; it reserves the next
// free slot and returns how long to wait for it (a generic cell-rate
// schedule: a theoretical arrival time advanced by Every per admission).
// In any window of length W it admits at most Burst + W/Every attempts,
// so in front of a resource serving C requests of latency L, Every = L/C
// with Burst 1 keeps it full and never over; a larger burst is only safe
// if the rate is lowered to match.
// Safe for concurrent use.
type TokenBucket struct {
	mu    sync.Mutex
	every time.Duration
	tau   time.Duration // burst tolerance: (burst-1) * every
	tat   time.Time     // theoretical arrival time of the next admission
}

// NewTokenBucket returns a bucket admitting burst at once and one per
// every after that. burst < 1 is treated as 1.
func NewTokenBucket(every time.Duration, burst int) *TokenBucket {
	burst = max(burst, 1)
	return &TokenBucket{every: every, tau: time.Duration(burst-1) * every}
}

// Admit reserves the next slot and returns the wait until it.
func (b *TokenBucket) Admit(now time.Time, _ int) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tat.Before(now) {
		b.tat = now
	}
	start := b.tat.Add(-b.tau)
	b.tat = b.tat.Add(b.every)
	if start.Before(now) {
		return 0, true
	}
	return start.Sub(now), true
}

// Done does nothing: the bucket limits rate, not holding.
func (b *TokenBucket) Done(time.Time) {}

// Semaphore is admission control by concurrency: at most N attempts hold
// the resource at once; the rest are refused until a Done. Safe for
// concurrent use.
type Semaphore struct {
	mu       sync.Mutex
	n, held  int
	released chan struct{}
}

// NewSemaphore returns a semaphore with n slots (n < 1 is treated as 1).
func NewSemaphore(n int) *Semaphore {
	return &Semaphore{n: max(n, 1), released: make(chan struct{})}
}

// Admit takes a slot if one is free; otherwise it refuses with wait 0,
// meaning "ask again after the next Done".
func (s *Semaphore) Admit(time.Time, int) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held < s.n {
		s.held++
		return 0, true
	}
	return 0, false
}

// Done frees a slot and wakes callers blocked in Wait.
func (s *Semaphore) Done(time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held > 0 {
		s.held--
	}
	close(s.released)
	s.released = make(chan struct{})
}

// Held returns the number of slots in use.
func (s *Semaphore) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// Released returns a channel closed at the next Done.
func (s *Semaphore) Released() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.released
}
