package tui

import (
	"fmt"
	"slices"
	"testing"
)

// TestRateLimitKeysStepTheEngineLimit: + and - step the limit through
// 256 KiB/s … 50 MiB/s and none, from any screen, calling SetRateLimit at
// once; the header shows the limit while one is set.
func TestRateLimitKeysStepTheEngineLimit(t *testing.T) {
	up := newFakeUploader(t)
	up.rate = 3 << 20 // from the config: between two steps
	d := newDriverWith(t, testOptions(makeTree(t)), up, 80, 24)
	d.requireView("≤ 3.0 MiB/s")
	d.keys("+")
	d.requireView("≤ 5.0 MiB/s", "limit 5.0 MiB/s")
	d.keys("tab", "-") // on Review
	d.requireView("≤ 2.0 MiB/s")
	d.keys("tab", "-", "-", "-") // on Upload; the first step is the floor
	d.requireView("≤ 256 KiB/s")
	d.m.screen = screenBrowse
	d.keys("-")
	d.requireView("limit 256 KiB/s already")
	for range 7 {
		d.keys("+")
	}
	d.rejectView("≤")
	d.requireView("no rate limit")
	d.keys("-")
	d.requireView("≤ 50 MiB/s")

	var want []string
	for _, r := range []int64{5 << 20, 2 << 20, 1 << 20, 256 << 10, 1 << 20, 2 << 20, 5 << 20, 10 << 20, 20 << 20, 50 << 20, 0, 50 << 20} {
		want = append(want, fmt.Sprintf("rate %d", r))
	}
	if calls := d.up.callLog(); !slices.Equal(calls, want) {
		t.Fatalf("SetRateLimit calls:\n got %v\nwant %v", calls, want)
	}
}
