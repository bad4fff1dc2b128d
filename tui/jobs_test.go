package tui

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// TestDirectoriesGoUpAsOneJob selects two directories holding files of the
// same name and a loose file: they go up as one job (StartTree) with the
// directories as roots, hidden entries left out as the selection left
// them out.
func TestDirectoriesGoUpAsOneJob(t *testing.T) {
	home := makeTree(t)
	d := newDriver(t, testOptions(home), 80, 24)
	d.keys("space", "space", "G", "space") // docs, photos, readme.md
	d.keys("u", "enter")
	trees := d.up.startedTrees()
	if len(trees) != 1 {
		t.Fatalf("started %d trees, want 1 (uploads: %v)", len(trees), d.up.startedUploads())
	}
	want := []string{filepath.Join(home, "docs"), filepath.Join(home, "photos"), filepath.Join(home, "readme.md")}
	if !slices.Equal(trees[0].Paths, want) {
		t.Fatalf("tree paths = %v, want %v", trees[0].Paths, want)
	}
	if !trees[0].Exclude.Match(".hidden") || trees[0].Exclude.Match("visible") {
		t.Fatal("the tree does not leave out hidden entries as the selection did")
	}
	if len(d.up.startedUploads()) != 0 {
		t.Fatal("a selection with directories was started as a plain upload")
	}
	d.requireView("Upload 1 · 0% · walking: 0 files, 0 B found", "⋯ walking")
}

// jobEvents plays a job through the driver: a walk, part 1 done, a file
// already there, part 2 with a file stored under a new name.
func jobEvents(d *driver, job string) {
	at := fixedNow
	d.events(&client.JobEvent{Job: job, At: at, Kind: client.JobWalking,
		Walk: client.WalkProgress{Files: 1200, Bytes: 3 << 20, Dirs: 40}})
	d.requireView("walking: 1,200 files")
	d.events(
		&client.JobEvent{Job: job, At: at, Kind: client.JobWalking,
			Walk: client.WalkProgress{Files: 2500, Bytes: 5 << 20, Dirs: 80, Excluded: 3, Done: true}},
		&client.JobEvent{Job: job, At: at, Kind: client.JobPartStarted, FID: "part-1", Part: 1, Parts: 1},
		&client.ProgressEvent{FID: "part-1", At: at, State: client.StateDone, Files: []client.FileProgress{
			{Index: 0, Name: "photos/a.jpg", Size: 1000, AckedBytes: 1000, State: client.FileVerified, SHA256: strings.Repeat("ab", 32)},
		}},
		&client.AlreadyThereEvent{Job: job, At: at, Path: "/x/docs/notes.txt", Name: "docs/notes.txt", Size: 2048},
		&client.JobEvent{Job: job, At: at, Kind: client.JobPartStarted, FID: "part-2", Part: 2, Parts: 2, AlreadyThere: 1},
		&client.SessionEvent{FID: "part-2", At: at, State: client.StateSending},
		&client.ProgressEvent{FID: "part-2", At: at, State: client.StateSending, Files: []client.FileProgress{
			{Index: 0, Name: "docs/report.pdf", Size: 4096, AckedBytes: 4096, State: client.FileVerified,
				SHA256: strings.Repeat("cd", 32), Stored: "docs/report (1).pdf"},
			{Index: 1, Name: "docs/old/2019.txt", Size: 512, AckedBytes: 0, State: client.FileSending},
		}},
	)
}

// TestJobRowShowsPartsWalkAndAlreadyThere is the golden of a job's row: one
// header for the job with its part, the files sent and already there, and
// the running part's files, one stored under a new name.
func TestJobRowShowsPartsWalkAndAlreadyThere(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 100, 24)
	d.keys("space", "u", "enter")
	jobEvents(d, testJobID(1))
	d.requireView("Upload 1 · part 2 ·", "1 already there", "docs/report.pdf → stored as docs/report (1).pdf",
		"2 of 2,499 files sent")
	if d.m.uploads.running() != 1 {
		t.Fatal("a job between parts does not count as running")
	}
	requireGoldenView(t, d.view())

	d.events(&client.JobEvent{Job: testJobID(1), At: fixedNow.Add(time.Second), Kind: client.JobDone, Parts: 2,
		AlreadyThere: 1, Walk: client.WalkProgress{Files: 2500, Bytes: 5 << 20, Done: true}})
	d.requireView("part 2 of 2", "✓ done")
	if d.m.uploads.running() != 0 {
		t.Fatal("a finished job still counts as running")
	}
}

// TestJobEventsBeforeStartTreeAnswers: a job's first events may come
// before StartTree's answer; they are applied once it comes.
func TestJobEventsBeforeStartTreeAnswers(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 100, 24)
	d.m.uploads.add(testFID(7).String(), Upload{FID: testFID(7), Roots: []string{"/x/docs"}})
	d.events(&client.JobEvent{Job: "early", At: fixedNow, Kind: client.JobPartStarted, FID: "p1", Part: 1},
		&client.ProgressEvent{FID: "p1", At: fixedNow, State: client.StateSending, Files: []client.FileProgress{
			{Index: 0, Name: "docs/a.txt", Size: 10, State: client.FileSending}}})
	d.send(startedMsg{fid: testFID(7).String(), job: "early"})
	d.m.screen = screenUpload
	d.requireView("Upload 1 · part 1", "docs/a.txt")
}

// TestCancelingAJobCancelsTheJob: c on a job asks, then calls CancelJob.
func TestCancelingAJobCancelsTheJob(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 100, 24)
	d.keys("space", "u", "enter")
	jobEvents(d, testJobID(1))
	d.keys("c")
	d.requireView("Cancel upload 1 (docs)?")
	d.keys("y")
	if calls := d.up.callLog(); !slices.Contains(calls, "cancel-job "+testJobID(1)) {
		t.Fatalf("calls = %v, want cancel-job", calls)
	}
	d.events(&client.JobEvent{Job: testJobID(1), At: fixedNow, Kind: client.JobDone, Parts: 2, Err: client.ErrCanceled})
	d.requireView("⊘ canceled")
}

// TestManyWalkEventsArriveInFewBatches: a walk of 100,000 files reported
// file by file reaches the model in batches (never one message per event),
// and the job's row ends with the last count.
func TestManyWalkEventsArriveInFewBatches(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 100, 24)
	d.keys("space", "u", "enter")
	const files = 100_000
	ch := make(chan client.Event, files)
	for i := 1; i <= files; i++ {
		ch <- &client.JobEvent{Job: testJobID(1), At: fixedNow, Kind: client.JobWalking,
			Walk: client.WalkProgress{Files: i, Bytes: uint64(i) * 100}}
	}
	close(ch)
	batches := 0
	for {
		msg := listenEvents(ch, d.m.stop)().(eventsMsg)
		batches++
		d.m.uploads.apply(msg.events)
		if msg.closed {
			break
		}
	}
	if limit := files/maxEventBatch + 2; batches > limit {
		t.Fatalf("%d batches for %d events, want at most %d", batches, files, limit)
	}
	d.requireView("walking: 100,000 files, 9.5 MiB found")
}

// TestJobLogShowsSkippedPaths: a path the job's walk left out, and why,
// is a warning in the event log.
func TestJobLogShowsSkippedPaths(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 120, 24)
	d.keys("space", "u", "enter")
	d.events(&client.JobEvent{Job: testJobID(1), At: fixedNow, Kind: client.JobSkipped,
		Path: "/x/docs/dangling", Reason: "a dangling symbolic link"})
	d.keys("l")
	d.requireView("upload 1: skipped /x/docs/dangling: a dangling symbolic link")
}
