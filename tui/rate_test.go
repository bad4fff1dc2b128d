package tui

import (
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// TestUploadRateIsTheEngines feeds the UI progress snapshots whose Rate an
// engine-side client.RateMeter computed (the figure hoist send prints), at
// uneven times and speeds over more than one window, and checks that the UI
// shows the same rate for the upload at each snapshot.
func TestUploadRateIsTheEngines(t *testing.T) {
	tr := newTracked(1, "fid", Upload{Files: []File{{Name: "a", Size: 1 << 30}, {Name: "b", Size: 1 << 30}}})
	var engine client.RateMeter
	at := fixedNow
	var a, b uint64
	steps := []struct {
		after  time.Duration
		da, db uint64
	}{
		{0, 0, 0}, {100 * time.Millisecond, 4096, 0}, {300 * time.Millisecond, 8192, 4096},
		{time.Second, 1 << 20, 0}, {2 * time.Second, 0, 3 << 20}, {1500 * time.Millisecond, 1 << 16, 1 << 16},
		{4 * time.Second, 5 << 20, 1 << 20}, {200 * time.Millisecond, 0, 0}, {3 * time.Second, 1 << 20, 7 << 20},
	}
	for i, s := range steps {
		at = at.Add(s.after)
		a, b = a+s.da, b+s.db
		engine.Add(at, a+b)
		ev := &client.ProgressEvent{FID: "fid", At: at, State: client.StateSending, Rate: engine.PerSecond(at), Files: []client.FileProgress{
			{Index: 0, Name: "a", Size: 1 << 30, AckedBytes: a, State: client.FileSending},
			{Index: 1, Name: "b", Size: 1 << 30, AckedBytes: b, State: client.FileSending},
		}}
		tr.applyProgress(ev)
		if got := tr.rate(at); got != ev.Rate {
			t.Fatalf("step %d: the UI shows %v B/s, the engine's snapshot (and hoist send) %v B/s", i, got, ev.Rate)
		}
	}
	if tr.rate(at) == 0 {
		t.Fatal("the test never reached a non-zero rate")
	}
}
