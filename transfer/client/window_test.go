package client

import (
	"testing"
	"time"
)

// simulate runs the window against a path of the given rate (bytes/s) and
// round trip for d of simulated time and returns the final byte limit.
func simulate(w *window, chunk int, rate float64, rtt, d time.Duration) int64 {
	type fl struct {
		due time.Time
		st  sendStamp
	}
	start := time.Unix(0, 0)
	now := start
	var inflight []fl
	var inBytes int64
	linkFree := now // when the bottleneck link finishes what it has queued
	perChunk := time.Duration(float64(chunk) / rate * float64(time.Second))
	for now.Sub(start) < d {
		for w.allows(len(inflight), inBytes, chunk) {
			linkFree = later(linkFree, now).Add(perChunk)
			inflight = append(inflight, fl{due: linkFree.Add(rtt), st: w.sent(now, len(inflight) == 0)})
			inBytes += int64(chunk)
		}
		next := inflight[0]
		inflight = inflight[1:]
		now = later(now, next.due)
		inBytes -= int64(chunk)
		w.acked(now, chunk, next.st)
	}
	return w.bytes()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func TestWindowSettlesNearTwiceTheBandwidthDelayProduct(t *testing.T) {
	t.Parallel()
	const chunk = 64 << 10
	cases := []struct {
		name string
		rate float64
		rtt  time.Duration
	}{
		{"50MB/s 50ms", 50e6, 50 * time.Millisecond},
		{"40MB/s 400ms", 40e6, 400 * time.Millisecond},
		{"5MB/s 20ms", 5e6, 20 * time.Millisecond},
		{"1GB/s 1ms", 1e9, time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWindow(Window{Chunks: 4096, Bytes: 1 << 30}, chunk)
			start := w.bytes()
			got := simulate(w, chunk, c.rate, c.rtt, 5*time.Second)
			// The window plans for at least the commit allowance.
			bdp := c.rate * max(c.rtt, commitAllowance).Seconds()
			if got < start {
				t.Fatalf("window shrank from %d to %d", start, got)
			}
			if float64(got) < 1.5*bdp || float64(got) > 3*bdp+float64(4*chunk) {
				t.Fatalf("window %d bytes, want about 2 x rate x max(RTT, %v) = %.0f", got, commitAllowance, 2*bdp)
			}
			t.Logf("BDP %.0f bytes, window %d bytes (%.2f x)", bdp, got, float64(got)/bdp)
		})
	}
}

func TestWindowRespectsCaps(t *testing.T) {
	t.Parallel()
	const chunk = 64 << 10
	w := newWindow(Window{Chunks: 8, Bytes: 256 << 10}, chunk)
	if got := simulate(w, chunk, 50e6, 50*time.Millisecond, 3*time.Second); got > 256<<10 {
		t.Fatalf("window %d over the byte cap", got)
	}
	if w.allows(8, 0, chunk) {
		t.Fatal("a ninth chunk allowed with Chunks=8")
	}
	if !w.allows(0, 0, 10*chunk) {
		t.Fatal("an idle window refused a chunk larger than its limit")
	}
}

func TestWindowStartsModest(t *testing.T) {
	t.Parallel()
	w := newWindow(Window{Chunks: 256, Bytes: 64 << 20}, 1<<20)
	if w.bytes() != floorChunks<<20 {
		t.Fatalf("initial window %d, want %d chunks", w.bytes(), floorChunks)
	}
}
