package server

import (
	"testing"
	"time"
)

// The catalog writer spends at most a tenth of its time copying the
// database, and refreshes at most every 200ms.
func TestCatalogPauseBoundsTheCopyingTime(t *testing.T) {
	for _, c := range []struct{ took, want time.Duration }{
		{time.Millisecond, 200 * time.Millisecond},
		{20 * time.Millisecond, 200 * time.Millisecond},
		{100 * time.Millisecond, 900 * time.Millisecond},
		{2 * time.Second, 18 * time.Second},
	} {
		pause := catalogPause(c.took)
		if pause != c.want {
			t.Errorf("after a copy of %v: pause %v, want %v", c.took, pause, c.want)
		}
		if share := float64(c.took) / float64(c.took+pause); share > 0.1 {
			t.Errorf("a copy of %v takes %.0f%% of the time", c.took, 100*share)
		}
	}
}
