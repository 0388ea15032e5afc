// Package jitter spreads out the start of many instances that would
// otherwise hit one shared resource at once.
//
// Every strategy is a [Gate]: the seed's uniform random wait ([Window],
// RandomWait 1..300 s), capped exponential backoff without jitter
// ([Exponential]), full jitter ([FullJitter]) and decorrelated jitter
// ([Decorrelated]) for retries, and admission control in front of the
// resource, by rate ([TokenBucket]) or by concurrency ([Semaphore]). Gates
// take the time as an argument and draw randomness from an injected
// [Rand], so they run unchanged in virtual time (package sim) and on the
// wall clock ([Wait]).
//
// No RFC governs this package. The backoff schemes are the well-known
// "full jitter" (sleep = random(0, min(cap, base*2^n))) and "decorrelated
// jitter" (sleep = min(cap, random(base, 3*sleep))) formulas.
package jitter
