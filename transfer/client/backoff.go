package client

import (
	"math/rand/v2"
	"time"
)

// backoff computes reconnect delays: exponential growth with full jitter.
// It counts consecutive failed attempts; reset starts again from Base.
type backoff struct {
	policy  RetryPolicy
	attempt int // failed attempts since the last reset
}

// next records a failed attempt and returns how long to wait before the next
// one, or ok=false when the policy allows no more attempts.
func (b *backoff) next() (delay time.Duration, ok bool) {
	b.attempt++
	if b.policy.Attempts > 0 && b.attempt >= b.policy.Attempts {
		return 0, false
	}
	ceiling := b.policy.Base
	for i := 1; i < b.attempt && ceiling < b.policy.Cap; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, b.policy.Cap)
	if ceiling <= 0 {
		return 0, true
	}
	return rand.N(ceiling), true
}

// reset starts the sequence again after a connection made progress.
func (b *backoff) reset() { b.attempt = 0 }
