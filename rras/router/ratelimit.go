package router

import (
	"sync"
	"time"
)

// tokenBucket limits the rate of ICMP error messages, as RFC 4443 section
// 2.4(f) and RFC 1812 section 4.3.2.8 ask: tokens accrue at rate per second
// up to burst, and each message spends one.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func (b *tokenBucket) init(rate float64, burst int) {
	b.rate, b.burst, b.tokens = rate, float64(burst), float64(burst)
}

// allow spends a token if one is available at now.
func (b *tokenBucket) allow(now time.Time) bool {
	if b.rate < 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() {
		if dt := now.Sub(b.last).Seconds(); dt > 0 {
			b.tokens = min(b.burst, b.tokens+dt*b.rate)
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
