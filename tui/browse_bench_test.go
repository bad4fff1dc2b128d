package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkBrowseLargeDirectory opens a directory of 100,000 entries (reads
// and examines every entry, builds the list, draws the first screen) and
// then filters it one keystroke at a time, each keystroke redrawn. Issue 15
// wants under a second to open and under 50 ms per keystroke; the figures
// are ms/open, ms/keystroke (the mean) and ms/slowest-keystroke (the first
// letter, which searches every entry, is the slowest).
//
//	go test -run '^$' -bench BrowseLargeDirectory -benchtime 3x ./tui/
func BenchmarkBrowseLargeDirectory(b *testing.B) {
	const entries = 100_000
	home := b.TempDir()
	big := filepath.Join(home, "big")
	if err := os.Mkdir(big, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range entries {
		if err := os.WriteFile(filepath.Join(big, fmt.Sprintf("photo-%06d.jpg", i)), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	d := newDriver(b, testOptions(home), 120, 40)
	typed := []string{"7", "3", "1", "j"} // fuzzy: each narrows the last
	var open, filter, worst time.Duration
	keystrokes := 0
	for b.Loop() {
		start := time.Now()
		d.run(d.m.browse.open(big, ""))
		_ = d.view()
		open += time.Since(start)
		if got := len(d.m.browse.list.Items()); got != entries {
			b.Fatalf("the list holds %d entries, want %d", got, entries)
		}
		d.keys("/")
		for _, k := range typed {
			start := time.Now()
			d.keys(k)
			_ = d.view()
			took := time.Since(start)
			filter += took
			worst = max(worst, took)
			keystrokes++
		}
		if len(d.m.browse.list.VisibleItems()) == 0 {
			b.Fatal("the filter matched nothing")
		}
		d.keys("esc")
		d.run(d.m.browse.open(home, "")) // so that the next round opens big afresh
	}
	b.ReportMetric(float64(open.Microseconds())/1e3/float64(b.N), "ms/open")
	b.ReportMetric(float64(filter.Microseconds())/1e3/float64(keystrokes), "ms/keystroke")
	b.ReportMetric(float64(worst.Microseconds())/1e3, "ms/slowest-keystroke")
}
