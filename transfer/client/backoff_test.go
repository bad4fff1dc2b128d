package client

import (
	"testing"
	"time"
)

func TestBackoffGrowsWithinCapAndResets(t *testing.T) {
	b := backoff{policy: RetryPolicy{Base: 10 * time.Millisecond, Cap: 80 * time.Millisecond}}
	ceilings := []time.Duration{10, 20, 40, 80, 80, 80}
	for round := range 3 {
		for i, c := range ceilings {
			d, ok := b.next()
			if !ok {
				t.Fatalf("round %d attempt %d: unlimited policy gave up", round, i+1)
			}
			if d < 0 || d >= c*time.Millisecond {
				t.Fatalf("attempt %d: delay %v outside [0, %v)", i+1, d, c*time.Millisecond)
			}
		}
		b.reset()
		if b.attempt != 0 {
			t.Fatalf("reset left attempt %d", b.attempt)
		}
	}
}

func TestBackoffJitterSpreads(t *testing.T) {
	b := backoff{policy: RetryPolicy{Base: time.Second, Cap: time.Second}}
	seen := map[time.Duration]bool{}
	for range 50 {
		d, _ := b.next()
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Fatalf("50 jittered delays took only %d distinct values", len(seen))
	}
}

func TestBackoffAttemptsLimit(t *testing.T) {
	b := backoff{policy: RetryPolicy{Base: time.Millisecond, Cap: time.Millisecond, Attempts: 3}}
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
