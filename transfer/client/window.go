package client

import "time"

// window decides how many chunk bytes may be in flight on one connection.
//
// It follows the idea of BBR: the connection can usefully hold about one
// bandwidth-delay product, so the byte limit is gain × (highest recent
// delivery rate) × (lowest round-trip time seen on the connection), between a
// floor of a few chunks and the configured caps. While the window limits the
// sender the measured rate is about window/RTT, so each round trip the limit
// doubles; once the path (or the server) is the bottleneck the rate stops
// growing and the limit settles at twice the product. Round trips here are
// application-level: they include the server's fsync, which is exactly the
// latency the pipeline has to cover.
type window struct {
	maxChunks int
	maxBytes  int64
	floor     int64

	limit  int64         // current byte limit
	minRTT time.Duration // lowest round trip on this connection; 0 = none yet

	delivered     int64     // chunk bytes acknowledged on this connection
	deliveredTime time.Time // when delivered last changed (or sending resumed from idle)
	rates         []rateSample
}

// windowGain is the headroom over the estimated bandwidth-delay product.
const windowGain = 2

// commitAllowance is the shortest round trip the window plans for. Every
// answer waits for the server's group commit (an fsync of the chunks, a
// database transaction), whose latency varies with the disk and with how
// much each commit carries; the lowest round trip seen on a fast path is a
// lucky commit, and a window sized from it (2 x rate x that) holds too
// little to keep the pipe full while the usual commit runs: it then sticks
// at its floor of a few chunks, and the rate follows the commit latency
// (slow and erratic, worse the smaller the chunks). Planning for at least
// this long costs a slow path at most this much extra queueing.
const commitAllowance = 50 * time.Millisecond

// floorChunks is how many chunks the window always allows.
const floorChunks = 4

type rateSample struct {
	at   time.Time
	rate float64 // bytes per second
}

// sendStamp is what the window remembers about one TRANSFER until its answer.
type sendStamp struct {
	sentAt        time.Time
	delivered     int64
	deliveredTime time.Time
}

func newWindow(w Window, chunkSize int) *window {
	floor := min(w.Bytes, int64(floorChunks)*int64(chunkSize))
	return &window{maxChunks: w.Chunks, maxBytes: w.Bytes, floor: floor, limit: floor}
}

// allows reports whether a chunk of n bytes may go out with inflight chunks
// of inflightBytes already unanswered. One chunk may always be in flight.
func (w *window) allows(inflight int, inflightBytes int64, n int) bool {
	if inflight == 0 {
		return true
	}
	return inflight < w.maxChunks && inflightBytes+int64(n) <= w.limit
}

// sent stamps a TRANSFER written at now; idle tells that nothing was in flight.
func (w *window) sent(now time.Time, idle bool) sendStamp {
	if idle || w.deliveredTime.IsZero() {
		// Time spent with nothing in flight says nothing about the path.
		w.deliveredTime = now
	}
	return sendStamp{sentAt: now, delivered: w.delivered, deliveredTime: w.deliveredTime}
}

// acked records the Ok for n bytes stamped st, received at now.
func (w *window) acked(now time.Time, n int, st sendStamp) {
	w.delivered += int64(n)
	w.deliveredTime = now
	if rtt := now.Sub(st.sentAt); rtt > 0 && (w.minRTT == 0 || rtt < w.minRTT) {
		w.minRTT = rtt
	}
	if elapsed := now.Sub(st.deliveredTime); elapsed > 0 {
		w.addRate(now, float64(w.delivered-st.delivered)/elapsed.Seconds())
	}
	w.limit = w.target()
}

// addRate adds a delivery-rate sample. w.rates is a monotonic queue: rates
// strictly decrease from front to back and samples older than the span are
// dropped from the front, so its front is the highest rate of the span.
func (w *window) addRate(now time.Time, r float64) {
	span := max(time.Second, 10*w.minRTT)
	drop := 0
	for drop < len(w.rates) && now.Sub(w.rates[drop].at) > span {
		drop++
	}
	w.rates = w.rates[drop:]
	for len(w.rates) > 0 && w.rates[len(w.rates)-1].rate <= r {
		w.rates = w.rates[:len(w.rates)-1]
	}
	w.rates = append(w.rates, rateSample{at: now, rate: r})
}

func (w *window) maxRate() float64 {
	if len(w.rates) == 0 {
		return 0
	}
	return w.rates[0].rate
}

func (w *window) target() int64 {
	bdp := w.maxRate() * max(w.minRTT, commitAllowance).Seconds()
	t := int64(windowGain * bdp)
	return min(max(t, w.floor), w.maxBytes)
}

// bytes is the current byte limit.
func (w *window) bytes() int64 { return w.limit }
