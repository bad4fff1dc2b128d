package server

import (
	"testing"
	"time"
)

// TestByteBudget: takers are served first come, first served; a taker
// that gives up (timeout or stop) gets nothing and blocks no one.
func TestByteBudget(t *testing.T) {
	t.Parallel()
	b := newByteBudget(100)
	never := make(chan struct{})
	if got := b.acquire(70, never, time.Second); got != 70 {
		t.Fatalf("first acquire got %d", got)
	}
	if got := b.acquire(50, never, 10*time.Millisecond); got != 0 {
		t.Fatalf("acquire beyond the budget got %d, want 0 after the timeout", got)
	}
	stop := make(chan struct{})
	close(stop)
	if got := b.acquire(50, stop, time.Minute); got != 0 {
		t.Fatalf("stopped acquire got %d", got)
	}
	// A large waiter queues; a small one behind it waits its turn.
	big, small := make(chan int64), make(chan int64)
	go func() { big <- b.acquire(60, never, time.Minute) }()
	waitQueued(t, b, 1)
	go func() { small <- b.acquire(10, never, time.Minute) }()
	waitQueued(t, b, 2)
	b.release(70)
	if got := <-big; got != 60 {
		t.Fatalf("big waiter got %d", got)
	}
	if got := <-small; got != 10 {
		t.Fatalf("small waiter got %d", got)
	}
	if got := b.acquire(1000, never, 10*time.Millisecond); got != 0 {
		t.Fatalf("acquire of more than the budget while 70 are out got %d", got)
	}
	b.release(70)
	if got := b.acquire(1000, never, time.Second); got != 100 {
		t.Fatalf("acquire of more than the budget got %d, want all 100", got)
	}
}

// waitQueued waits until n takers wait.
func waitQueued(t *testing.T, b *byteBudget, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		got := b.waiters.Len()
		b.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
