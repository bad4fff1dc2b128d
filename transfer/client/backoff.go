package client

import (
	"math/rand/v2"
	"time"
)

// Growth of the reconnect delay: each delay is the previous one times a
// random factor in [minGrowth, maxGrowth), so the series grows steadily
// (a returning server is found soon: the wait is never more than twice the
// previous one) while clients that failed together drift apart.
const (
	minGrowth = 1.5
	maxGrowth = 2.0
	// capJitter is the spread kept once the delay reaches the cap: a capped
	// delay is uniform in [(1-capJitter)·Cap, Cap).
	capJitter = 0.2
)

// backoff computes reconnect delays. The first delay of a series is uniform
// in [Base, 2·Base); each next one grows by a random factor in [1.5, 2) until
// it reaches Cap. It counts consecutive failed attempts; reset starts a new
// series.
type backoff struct {
	policy  RetryPolicy
	rng     *rand.Rand
	attempt int           // failed attempts since the last reset
	last    time.Duration // the previous delay of the series; 0 = none
}

// newBackoff returns a backoff for policy; a non-zero policy.Seed makes its
// jitter reproducible.
func newBackoff(policy RetryPolicy) *backoff {
	seed := policy.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &backoff{policy: policy, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// next records a failed attempt and returns how long to wait before the next
// one, or ok=false when the policy allows no more attempts.
func (b *backoff) next() (delay time.Duration, ok bool) {
	b.attempt++
	if b.policy.Attempts > 0 && b.attempt >= b.policy.Attempts {
		return 0, false
	}
	var d float64
	if b.last == 0 {
		d = float64(b.policy.Base) * (1 + b.rng.Float64())
	} else {
		d = float64(b.last) * (minGrowth + (maxGrowth-minGrowth)*b.rng.Float64())
	}
	if limit := float64(b.policy.Cap); d >= limit {
		d = limit * (1 - capJitter*b.rng.Float64())
	}
	b.last = time.Duration(d)
	return b.last, true
}

// reset starts a new series after a connection made progress.
func (b *backoff) reset() {
	b.attempt = 0
	b.last = 0
}
