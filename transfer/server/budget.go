package server

import (
	"container/list"
	"sync"
	"time"
)

// byteBudget is a first-come, first-served counting semaphore of bytes:
// the memory the server lets connections that have not authenticated
// fill with frames, all together.
type byteBudget struct {
	size int64

	mu      sync.Mutex
	free    int64
	waiters list.List // of *budgetWaiter, oldest first
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed when the bytes are granted
}

func newByteBudget(size int64) *byteBudget {
	return &byteBudget{size: size, free: size}
}

// acquire takes n bytes (at most the whole budget), waiting behind earlier
// callers. It returns the bytes taken, or 0 if stop closed or timeout
// passed first.
func (b *byteBudget) acquire(n int64, stop <-chan struct{}, timeout time.Duration) int64 {
	n = min(n, b.size)
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.free >= n {
		b.free -= n
		b.mu.Unlock()
		return n
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	el := b.waiters.PushBack(w)
	b.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-w.ready:
		return n
	case <-stop:
	case <-t.C:
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready:
		// Granted while giving up: hand the bytes back.
		b.free += n
	default:
		b.waiters.Remove(el)
	}
	b.grantLocked()
	return 0
}

// release returns n bytes taken by acquire.
func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	b.grantLocked()
	b.mu.Unlock()
}

// grantLocked serves waiters in order while the budget allows.
func (b *byteBudget) grantLocked() {
	for el := b.waiters.Front(); el != nil; el = b.waiters.Front() {
		w := el.Value.(*budgetWaiter)
		if b.free < w.n {
			return
		}
		b.free -= w.n
		b.waiters.Remove(el)
		close(w.ready)
	}
}
