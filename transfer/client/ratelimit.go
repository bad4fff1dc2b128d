package client

import (
	"math/bits"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateGate is the engine's bandwidth limit: a token bucket on the chunk
// bytes written to servers, shared by every upload of the engine. The bucket
// holds bucketChunks of the largest chunk it was asked for: a chunk goes out
// whole, the sender may wake a little late without the bucket overflowing
// (which would lose rate), and nothing runs more than a chunk ahead of the
// rate.
type rateGate struct {
	mu  sync.Mutex
	lim *rate.Limiter
	bps int64 // 0: unlimited
}

// maxGateWait bounds one wait for the gate, so that a limit raised (or
// lifted) while a session waits takes effect at once.
const maxGateWait = 100 * time.Millisecond

// bucketChunks is the bucket's size in chunks.
const bucketChunks = 2

func newRateGate(bytesPerSecond int64) *rateGate {
	g := &rateGate{lim: rate.NewLimiter(rate.Inf, 0)}
	g.set(bytesPerSecond)
	return g
}

// set changes the limit; 0 or less lifts it.
func (g *rateGate) set(bytesPerSecond int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bps = max(bytesPerSecond, 0)
	if g.bps == 0 {
		g.lim.SetLimit(rate.Inf)
		return
	}
	g.lim.SetLimit(rate.Limit(g.bps))
}

// limit is the current limit in bytes per second, 0 for none.
func (g *rateGate) limit() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.bps
}

// take asks to send n bytes at now. It returns 0 when they may go (and
// spends them), else how long to wait before asking again.
func (g *rateGate) take(now time.Time, n int) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.bps == 0 {
		return 0
	}
	if g.lim.Burst() < bucketChunks*n {
		g.lim.SetBurstAt(now, bucketChunks*n)
	}
	if g.lim.AllowN(now, n) {
		return 0
	}
	short := float64(n) - g.lim.TokensAt(now)
	d := time.Duration(short / float64(g.bps) * float64(time.Second))
	return min(max(d, time.Millisecond), maxGateWait)
}

// limitedChunkAsk caps a chunk size wish so that a chunk takes at most an
// eighth of a second at the rate limit bytesPerSecond (0: no cap): a
// limited upload then moves in small, even steps, and its rate can be held
// closely. The result is a power of two, at least MinChunkSize.
func limitedChunkAsk(ask int, bytesPerSecond int64) int {
	if bytesPerSecond <= 0 {
		return ask
	}
	target := uint64(max(bytesPerSecond/8, 1))
	capped := 1 << (bits.Len64(target) - 1)
	return max(min(ask, capped), min(ask, MinChunkSize))
}

// SetRateLimit changes the engine's bandwidth limit, for every upload and at
// once: at most bytesPerSecond chunk bytes a second are written, all uploads
// together; 0 lifts the limit. It is safe to call at any time.
func (e *Engine) SetRateLimit(bytesPerSecond int64) { e.gate.set(bytesPerSecond) }

// RateLimit returns the current bandwidth limit in bytes per second, 0 when
// there is none.
func (e *Engine) RateLimit() int64 { return e.gate.limit() }
