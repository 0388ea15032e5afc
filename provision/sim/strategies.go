package sim

import (
	"time"

	"github.com/sdnfabric/sdnfabric/provision/jitter"
)

// Retry backoff shared by the strategies that need one: base 100ms,
// capped at 10s.
const (
	RetryBase = 100 * time.Millisecond
	RetryCap  = 10 * time.Second
)

// NoWait starts every instance at once and retries with plain
// exponential backoff: the storm, and the synchronized retry waves after it.
func NoWait() Strategy {
	return Strategy{Name: "no wait", Gate: func(int, jitter.Rand) jitter.Gate {
		return jitter.Exponential{Base: RetryBase, Cap: RetryCap}
	}}
}

// RandomWait is the seed's script: a uniform wait in [lo, hi] before the
// first attempt, then plain exponential backoff.
func RandomWait(lo, hi time.Duration) Strategy {
	return Strategy{Name: "RandomWait(" + lo.String() + ".." + hi.String() + ")", Gate: func(_ int, r jitter.Rand) jitter.Gate {
		return jitter.Window{Min: lo, Max: hi, Rand: r, Retry: jitter.Exponential{Base: RetryBase, Cap: RetryCap}}
	}}
}

// FullJitter starts at once and retries with full-jitter backoff.
func FullJitter() Strategy {
	return Strategy{Name: "full jitter", Gate: func(_ int, r jitter.Rand) jitter.Gate {
		return jitter.FullJitter{Base: RetryBase, Cap: RetryCap, Rand: r}
	}}
}

// Decorrelated starts at once and retries with decorrelated jitter.
func Decorrelated() Strategy {
	return Strategy{Name: "decorrelated jitter", Gate: func(_ int, r jitter.Rand) jitter.Gate {
		return &jitter.Decorrelated{Base: RetryBase, Cap: RetryCap, Rand: r}
	}}
}

// TokenBucket puts one shared token bucket in front of the database,
// sized from what it can take: one admission every Latency/C and a burst
// of 1. (Any window of length Latency then sees at most C admissions; a
// burst of C on top of that rate would put 2C-1 in flight.)
func TokenBucket(cfg Config) Strategy {
	var b *jitter.TokenBucket
	return Strategy{Name: "admission: token bucket", Gate: func(i int, _ jitter.Rand) jitter.Gate {
		if i == 0 || b == nil {
			b = jitter.NewTokenBucket(cfg.Latency/time.Duration(max(cfg.C, 1)), 1)
		}
		return b
	}}
}

// Semaphore puts one shared C-slot semaphore in front of the database.
func Semaphore(cfg Config) Strategy {
	var s *jitter.Semaphore
	return Strategy{Name: "admission: semaphore", Gate: func(i int, _ jitter.Rand) jitter.Gate {
		if i == 0 || s == nil {
			s = jitter.NewSemaphore(cfg.C)
		}
		return s
	}}
}

// Standard returns the strategies the README table compares.
func Standard(cfg Config) []Strategy {
	return []Strategy{
		NoWait(),
		RandomWait(time.Second, 300*time.Second),
		RandomWait(time.Second, 10*time.Second),
		FullJitter(),
		Decorrelated(),
		TokenBucket(cfg),
		Semaphore(cfg),
	}
}
