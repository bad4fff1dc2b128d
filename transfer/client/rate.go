package client

import "time"

// RateWindow is how far back a RateMeter looks: the one window over which
// hoist states an upload's speed, in ProgressEvent.Rate, the terminal UI and
// hoist send alike.
const RateWindow = 5 * time.Second

// RateMeter turns a growing byte count, sampled at the times the engine
// stamped on its events, into bytes per second over RateWindow. Because the
// times are the engine's, the rate does not depend on when a consumer got
// round to reading the events. The zero value is ready to use; a RateMeter
// is not safe for concurrent use.
type RateMeter struct {
	samples []byteSample
}

// byteSample is a byte count at a time.
type byteSample struct {
	at    time.Time
	bytes uint64
}

// Add records that the count stood at bytes at time at. A count lower than
// the last one (an engine that started counting afresh) starts the meter
// afresh.
func (m *RateMeter) Add(at time.Time, bytes uint64) {
	if n := len(m.samples); n > 0 && bytes < m.samples[n-1].bytes {
		m.samples = m.samples[:0]
	}
	m.samples = append(m.samples, byteSample{at, bytes})
	// Keep one sample older than the window: it is the baseline.
	drop := 0
	for drop+1 < len(m.samples) && at.Sub(m.samples[drop+1].at) >= RateWindow {
		drop++
	}
	m.samples = m.samples[drop:]
}

// PerSecond returns the rate over the window ending at now: the bytes added
// since the oldest sample kept, divided by the time since it. Without new
// samples the rate decays as now moves on, and is zero once the last sample
// is older than RateWindow; it is zero too before two samples.
func (m *RateMeter) PerSecond(now time.Time) float64 {
	if len(m.samples) < 2 {
		return 0
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	if now.Before(last.at) {
		now = last.at
	}
	span := now.Sub(first.at)
	if span <= 0 || now.Sub(last.at) > RateWindow {
		return 0
	}
	return float64(last.bytes-first.bytes) / span.Seconds()
}
