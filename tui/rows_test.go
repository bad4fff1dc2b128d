package tui

import (
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/transfer/client"
)

// stopScript is an upload of notes.txt and beach.jpg sending at 128 KiB/s
// with four chunks of beach.jpg in flight, then stopped in state: the
// engine marks those chunks to be sent again ("!") but counts no retry.
func stopScript(fid string, state client.State) []client.Event {
	script := retryScript(fid)[:3] // connecting, sending, the first snapshot
	beach := func(acked, inflight int, m []client.ChunkState) client.FileProgress {
		return client.FileProgress{Index: 1, Name: "beach.jpg", Size: 3 << 20, ChunkSize: retryChunkSize,
			Chunks: 48, AckedChunks: uint64(acked), AckedBytes: uint64(acked) * retryChunkSize,
			InFlight: inflight, State: client.FileSending, Map: m}
	}
	notes := script[2].(*client.ProgressEvent).Files[0]
	sending := &client.ProgressEvent{FID: fid, At: fixedNow.Add(-2e9), State: client.StateSending,
		Files: []client.FileProgress{notes, beach(30, 4, chunkMap(48, 30, 4, 0))}}
	stopped := &client.ProgressEvent{FID: fid, At: fixedNow.Add(-1e9), State: state,
		Files: []client.FileProgress{notes, beach(30, 0, chunkMap(48, 30, 0, 4))}}
	return append(script, sending,
		&client.SessionEvent{FID: fid, At: fixedNow.Add(-1e9), State: state, Attempt: 1}, stopped)
}

// TestRatesOnlyWhileBytesMove: a paused or canceled upload shows no rate,
// no ETA, nothing in flight, and no "!" for chunks that were not resent.
func TestRatesOnlyWhileBytesMove(t *testing.T) {
	for _, state := range []client.State{client.StatePaused, client.StateCanceled} {
		d := newDriver(t, testOptions(makeTree(t)), 80, 24)
		fid := d.startTwoFiles()
		script := stopScript(fid, state)
		d.events(script[:len(script)-2]...)
		d.requireView("128 KiB/s · ETA", "4 in flight · 0 retries · 128 KiB/s")
		d.events(script[len(script)-2:]...)
		d.keys("down") // beach.jpg
		d.rejectView("KiB/s", "ETA", "in flight ·")
		d.requireView("░  0 retries\n", "██████████████████████████████··················")
	}
}

func TestGoldenPausedRows(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.events(stopScript(d.startTwoFiles(), client.StatePaused)...)
	if v := d.view(); !strings.Contains(v, "‖ paused") {
		t.Fatalf("not paused:\n%s", v)
	}
	requireGoldenView(t, d.view())
}

func TestGoldenCanceledRows(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.events(stopScript(d.startTwoFiles(), client.StateCanceled)...)
	d.keys("down") // beach.jpg
	if v := d.view(); !strings.Contains(v, "⊘ canceled") {
		t.Fatalf("not canceled:\n%s", v)
	}
	requireGoldenView(t, d.view())
}
