package tui

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/hoist-dev/hoist/transfer/client"
)

// busyScreen returns a driver on the upload screen with uploads of many
// large files, every chunk map full size, and the event log shown.
func busyScreen(b *testing.B, uploads, files int) (*driver, []client.Event) {
	d := newDriver(b, testOptions(b.TempDir()), 80, 24)
	var evs []client.Event
	for u := range uploads {
		var fs []File
		var fp []client.FileProgress
		for f := range files {
			name := fmt.Sprintf("file-%d-%d.bin", u, f)
			fs = append(fs, File{Path: "/data/" + name, Name: name, Size: 4 << 30})
			fp = append(fp, client.FileProgress{Index: f, Name: name, Size: 4 << 30, ChunkSize: 1 << 20, Chunks: 4096,
				AckedChunks: 1500, AckedBytes: 1500 << 20, InFlight: 30, Retries: 2, State: client.FileSending,
				Map: chunkMap(client.MaxMapCells, 370, 10, 3)})
		}
		fid := testFID(u + 1).String()
		d.m.uploads.add(fid, Upload{Files: fs, Tags: []string{"bench"}})
		for i := range 50 {
			evs = append(evs, &client.ProgressEvent{FID: fid, At: fixedNow.Add(time.Duration(i) * 100 * time.Millisecond),
				State: client.StateSending, Files: fp})
			evs = append(evs, &client.ChunkEvent{FID: fid, At: fixedNow, File: i % files, Index: uint64(i), Action: client.ChunkResent, Reason: "no answer within 15s"})
		}
	}
	d.m.screen = screenUpload
	d.m.uploads.showLog = true
	return d, evs
}

// BenchmarkUploadView measures one redraw of a busy upload screen: the UI
// redraws at most defaultFPS times a second, so this bounds its CPU cost.
func BenchmarkUploadView(b *testing.B) {
	d, evs := busyScreen(b, 3, 20)
	d.m.uploads.apply(evs)
	var n int
	for b.Loop() {
		n = len(d.m.View())
	}
	b.ReportMetric(float64(n), "bytes/frame")
	b.ReportMetric(float64(n*defaultFPS), "bytes/s-at-cap")
}

// BenchmarkApplyEvents measures folding a batch of engine events into the
// screen's state, per event.
func BenchmarkApplyEvents(b *testing.B) {
	d, evs := busyScreen(b, 3, 20)
	for b.Loop() {
		d.m.uploads.apply(evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

// BenchmarkTerminalOutputUnderEventFlood runs the whole program while the
// engine reports as fast as it can, and reports what reaches the terminal:
// the frame cap and the event coalescing keep the bytes per second flat
// however many events arrive (compare events/s with bytes/s).
func BenchmarkTerminalOutputUnderEventFlood(b *testing.B) {
	up := newFakeUploader(b)
	m := New(testOptions(b.TempDir()), up)
	b.Cleanup(m.Close)
	fid := testFID(1).String()
	files := []File{{Path: "/data/big.bin", Name: "big.bin", Size: 64 << 30}}
	m.uploads.add(fid, Upload{Files: files})
	m.screen = screenUpload
	tm := teatest.NewTestModel(b, m, teatest.WithInitialTermSize(80, 24))
	b.Cleanup(func() { _ = tm.Quit() })

	var out bytes.Buffer
	drain := func() {
		if _, err := io.Copy(&out, tm.Output()); err != nil {
			b.Fatal(err)
		}
	}
	sent := 0
	start := time.Now()
	for b.Loop() {
		for range 1000 {
			sent++
			acked := uint64(sent) % 65536
			up.events <- &client.ProgressEvent{FID: fid, At: fixedNow.Add(time.Duration(sent) * time.Millisecond), State: client.StateSending,
				Files: []client.FileProgress{{Index: 0, Name: "big.bin", Size: 64 << 30, ChunkSize: 1 << 20, Chunks: 65536,
					AckedChunks: acked, AckedBytes: acked << 20, InFlight: 4, State: client.FileSending,
					Map: chunkMap(client.MaxMapCells, int(acked%client.MaxMapCells), 4, 0)}}}
		}
		drain()
	}
	elapsed := time.Since(start)
	drain()
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(out.Len())/elapsed.Seconds(), "bytes/s")
}
