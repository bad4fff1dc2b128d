package client

import (
	"testing"
	"time"
)

// TestRateMeter drives a RateMeter with a made-up clock: samples a second
// apart at a steady 1000 B/s, then silence, then a count that restarts.
func TestRateMeter(t *testing.T) {
	var m RateMeter
	t0 := time.Date(2026, 3, 7, 15, 9, 0, 0, time.UTC)
	if got := m.PerSecond(t0); got != 0 {
		t.Fatalf("rate without samples = %v, want 0", got)
	}
	m.Add(t0, 0)
	if got := m.PerSecond(t0); got != 0 {
		t.Fatalf("rate from one sample = %v, want 0", got)
	}
	for i := 1; i <= 10; i++ {
		m.Add(t0.Add(time.Duration(i)*time.Second), uint64(i)*1000)
	}
	if got := m.PerSecond(t0.Add(10 * time.Second)); got != 1000 {
		t.Fatalf("steady rate = %v, want 1000", got)
	}
	if want := int(RateWindow/time.Second) + 1; len(m.samples) != want {
		t.Fatalf("%d samples kept for a %s window of 1s samples, want %d", len(m.samples), RateWindow, want)
	}

	// A burst at the end counts only as far as the window reaches: 5000
	// more bytes in the last second make (5000+4000)/5s, not /10s.
	m.Add(t0.Add(11*time.Second), 15000)
	if got := m.PerSecond(t0.Add(11 * time.Second)); got != 9000.0/RateWindow.Seconds() {
		t.Fatalf("rate after a burst = %v, want %v", got, 9000.0/RateWindow.Seconds())
	}

	// No news: the rate decays as the clock moves on, then is zero.
	at13 := m.PerSecond(t0.Add(13 * time.Second))
	if want := 9000.0 / 7; at13 != want {
		t.Fatalf("rate 2s after the last sample = %v, want %v", at13, want)
	}
	if got := m.PerSecond(t0.Add(11*time.Second + RateWindow + time.Millisecond)); got != 0 {
		t.Fatalf("rate a window after the last sample = %v, want 0", got)
	}
	// A clock behind the last sample reads as that sample's time.
	if got := m.PerSecond(t0); got != 9000.0/RateWindow.Seconds() {
		t.Fatalf("rate at an earlier time = %v, want the rate at the last sample", got)
	}

	// A count that goes backwards (the engine started afresh) starts afresh.
	m.Add(t0.Add(12*time.Second), 5)
	if got := m.PerSecond(t0.Add(12 * time.Second)); got != 0 {
		t.Fatalf("rate after a restart = %v, want 0", got)
	}
	m.Add(t0.Add(13*time.Second), 1005)
	if got := m.PerSecond(t0.Add(13 * time.Second)); got != 1000 {
		t.Fatalf("rate a second after a restart = %v, want 1000", got)
	}
}
