package client

import (
	"testing"
	"time"
)

// TestBackoffGrowsWithinCapAndResets checks every delay of a seeded series
// against both bounds: the first in [Base, 2·Base), each next 1.5 to 2 times
// the previous one until the cap, capped ones in [0.8·Cap, Cap), and a reset
// starting over from Base.
func TestBackoffGrowsWithinCapAndResets(t *testing.T) {
	t.Parallel()
	const base, limit = 10 * time.Millisecond, 200 * time.Millisecond
	for seed := uint64(1); seed <= 20; seed++ {
		b := newBackoff(RetryPolicy{Base: base, Cap: limit, Seed: seed})
		for round := range 3 {
			var prev time.Duration
			capped := 0
			for i := range 12 {
				d, ok := b.next()
				if !ok {
					t.Fatalf("seed %d round %d attempt %d: unlimited policy gave up", seed, round, i+1)
				}
				lo, hi := base, 2*base // the raw delay's range
				if prev > 0 {
					lo, hi = prev*3/2, 2*prev
				}
				if hi > limit {
					// The raw delay may reach the cap, which then applies
					// its own jitter band.
					lo, hi = min(lo, limit*4/5), limit
					capped++
				}
				if d < lo || d > hi {
					t.Fatalf("seed %d round %d attempt %d: delay %v after %v, want within [%v, %v]", seed, round, i+1, d, prev, lo, hi)
				}
				prev = d
			}
			if capped == 0 {
				t.Fatalf("seed %d: 12 delays never reached the cap %v", seed, limit)
			}
			b.reset()
			if b.attempt != 0 {
				t.Fatalf("reset left attempt %d", b.attempt)
			}
		}
	}
}

// TestBackoffFindsAReturningServerEarly: at the start of a series the
// waits stay short: with the default policy, a server back 1.2 s after the
// first failure is tried again before 3 s.
func TestBackoffFindsAReturningServerEarly(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 50; seed++ {
		b := newBackoff(RetryPolicy{Base: DefaultRetryBase, Cap: DefaultRetryCap, Seed: seed})
		var at time.Duration // when each attempt starts, from the first failure
		for {
			d, _ := b.next()
			if at+d > 1200*time.Millisecond {
				// The first attempt after the server is back.
				if at+d > 3*time.Second {
					t.Fatalf("seed %d: an attempt at %v, then none until %v", seed, at, at+d)
				}
				break
			}
			at += d
		}
	}
}

func TestBackoffIsSeededAndSpreads(t *testing.T) {
	t.Parallel()
	seq := func(seed uint64) []time.Duration {
		b := newBackoff(RetryPolicy{Base: time.Second, Cap: time.Minute, Seed: seed})
		var ds []time.Duration
		for range 5 {
			d, _ := b.next()
			ds = append(ds, d)
		}
		return ds
	}
	a, again, other := seq(7), seq(7), seq(8)
	for i := range a {
		if a[i] != again[i] {
			t.Fatalf("seed 7 gave %v then %v", a, again)
		}
	}
	// Clients that failed together drift apart.
	seen := map[time.Duration]bool{}
	for seed := uint64(1); seed <= 50; seed++ {
		seen[seq(seed)[2]] = true
	}
	if len(seen) < 40 || a[4] == other[4] {
		t.Fatalf("50 seeds gave %d distinct third delays", len(seen))
	}
}

func TestBackoffAttemptsLimit(t *testing.T) {
	t.Parallel()
	b := newBackoff(RetryPolicy{Base: time.Millisecond, Cap: time.Millisecond, Attempts: 3})
	for i := 1; i <= 2; i++ {
		if _, ok := b.next(); !ok {
			t.Fatalf("failure %d: gave up before the third attempt", i)
		}
	}
	if _, ok := b.next(); ok {
		t.Fatal("third failed attempt did not exhaust Attempts=3")
	}
	b.reset()
	if _, ok := b.next(); !ok {
		t.Fatal("reset did not restore the attempts")
	}
}
