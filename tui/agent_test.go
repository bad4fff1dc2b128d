package tui

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/agent"
	"github.com/hoist-dev/hoist/transfer/client"
)

// fakeAgent is a fake uploader whose uploads run in an agent: they outlive
// the UI, and it describes uploads the UI did not start.
type fakeAgent struct {
	*fakeUploader
	known map[string]Upload
	jobs  map[string]agent.JobInfo
	// attached are the jobs it had when the UI attached.
	attached []string
	lost     error
}

func (f *fakeAgent) AttachedJobs() []string { return f.attached }

func (f *fakeAgent) DescribeJob(id string) (agent.JobInfo, bool, bool) {
	info, ok := f.jobs[id]
	return info, true, ok
}

func (f *fakeAgent) Detached() bool { return true }

func (f *fakeAgent) Lost() error { return f.lost }

func (f *fakeAgent) Describe(fid string) (Upload, bool, bool) {
	up, ok := f.known[fid]
	return up, true, ok
}

const agentFID = "6b1c1a9e-0000-4000-8000-000000000001"

// agentDriver is a UI with opts attached to the fake agent fa, width
// columns wide, its browser loaded.
func agentDriver(t *testing.T, fa *fakeAgent, opts Options, width int) *driver {
	t.Helper()
	d := &driver{t: t, m: New(opts, fa), up: fa.fakeUploader}
	d.m.tickEvery = time.Millisecond
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: width, Height: 30})
	d.run(d.m.browse.init())
	return d
}

// attachedDriver is a UI attached to an agent that runs one upload of
// big.bin, replayed: a snapshot, then the session state.
func attachedDriver(t *testing.T) (*driver, *fakeAgent) {
	t.Helper()
	fa := &fakeAgent{fakeUploader: newFakeUploader(t), known: map[string]Upload{
		agentFID: {Files: []File{{Path: "/data/big.bin", Name: "big.bin", Size: 4 << 20}}, Tags: []string{"night"}},
	}}
	d := agentDriver(t, fa, Options{StartDir: t.TempDir()}, 100)
	now := time.Now()
	d.events(
		&client.ProgressEvent{FID: agentFID, At: now, State: client.StateSending, Files: []client.FileProgress{{
			Index: 0, Name: "big.bin", Path: "/data/big.bin", Size: 4 << 20, ChunkSize: 1 << 20, Chunks: 4,
			AckedChunks: 1, AckedBytes: 1 << 20, Retries: 2, State: client.FileSending, Map: chunkMap(4, 1, 1, 0)}}},
		&client.SessionEvent{FID: agentFID, At: now, State: client.StateSending, Attempt: 1},
	)
	return d, fa
}

func TestAttachingShowsTheAgentsUploadsAtOnce(t *testing.T) {
	d, _ := attachedDriver(t)
	if d.m.screen != screenUpload {
		t.Fatalf("screen %v after attaching, want the Upload screen", d.m.screen)
	}
	d.requireView("big.bin", "↑ sending", "Chunks of big.bin", "2 retries")
}

func TestQuitLeavesTheAgentsUploadsRunningByDefault(t *testing.T) {
	d, fa := attachedDriver(t)
	d.keys("q")
	d.requireView("in the hoist agent", "Quit and leave", "c cancel them and quit")
	d.keys("enter")
	fa.mu.Lock()
	calls := slices.Clone(fa.calls)
	fa.mu.Unlock()
	if d.m.confirm != nil || len(calls) > 0 {
		t.Fatalf("enter: question open %v, calls %v; want a quit without cancelling", d.m.confirm != nil, calls)
	}
	select {
	case <-d.m.stop:
	default:
		t.Fatal("enter did not quit")
	}
}

func TestQuitCanCancelTheAgentsUploads(t *testing.T) {
	d, fa := attachedDriver(t)
	d.keys("q", "c")
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if !slices.Equal(fa.calls, []string{"cancel " + agentFID}) {
		t.Fatalf("calls %v; want the running upload cancelled", fa.calls)
	}
}

// Quitting with "cancel them" cancels a job of the agent as a whole, by its
// id, not its running part (which ended the job as failed).
func TestQuitCancelsAnAgentsJobAsAWhole(t *testing.T) {
	fa := &fakeAgent{fakeUploader: newFakeUploader(t), known: map[string]Upload{
		"part-1": {Job: "running-job", Files: []File{{Path: "/srv/r/a", Name: "r/a", Size: 10}}},
	}, jobs: map[string]agent.JobInfo{
		"running-job": {ID: "running-job", Paths: []string{"/srv/r"}, State: agent.JobStateSending, Parts: 1, PartFID: "part-1"},
	}}
	d := agentDriver(t, fa, Options{StartDir: t.TempDir()}, 100)
	d.events(&client.SessionEvent{FID: "part-1", At: fixedNow, State: client.StateSending})
	d.keys("q", "c")
	fa.mu.Lock()
	defer fa.mu.Unlock()
	if !slices.Equal(fa.calls, []string{"cancel-job running-job"}) {
		t.Fatalf("calls %v; want the job cancelled by its id", fa.calls)
	}
}

// A job run by the agent announces each part as an upload of its own
// (Describe knows it, with its job): the UI that started the job shows the
// parts in the job's row and does not adopt them as uploads of their own,
// even when the part comes before StartTree's answer. A part of another
// UI's job is adopted.
func TestAgentJobPartsStayInTheirJobsRow(t *testing.T) {
	fa := &fakeAgent{fakeUploader: newFakeUploader(t), known: map[string]Upload{}}
	home := makeTree(t)
	d := agentDriver(t, fa, testOptions(home), 100)

	// The job is being started (no answer yet) when its first part comes.
	d.m.uploads.add(testFID(7).String(), Upload{FID: testFID(7), Roots: []string{filepath.Join(home, "docs")}})
	job := "job-of-this-ui"
	part := func(n int) string { return fmt.Sprintf("part-%d", n) }
	partEvents := func(n int) []client.Event {
		fa.known[part(n)] = Upload{Job: job, Files: []File{{Path: "/x/docs/a.txt", Name: "docs/a.txt", Size: 10}}}
		return []client.Event{
			&client.JobEvent{Job: job, At: fixedNow, Kind: client.JobPartStarted, FID: part(n), Part: n, Parts: n},
			&client.ProgressEvent{FID: part(n), At: fixedNow, State: client.StateSending, Files: []client.FileProgress{
				{Index: 0, Name: "docs/a.txt", Size: 10, State: client.FileSending}}},
		}
	}
	d.events(partEvents(1)...)
	d.send(startedMsg{fid: testFID(7).String(), job: job})
	d.events(partEvents(2)...)
	if n := len(d.m.uploads.uploads); n != 1 {
		t.Fatalf("the UI tracks %d uploads, want the job alone", n)
	}
	d.m.screen = screenUpload
	d.requireView("Upload 1 · part 2", "docs/a.txt")

	// Another UI's job, or hoist send --detach DIR's: a job row of its
	// own, which its next part's files replace.
	fa.jobs = map[string]agent.JobInfo{"other-job": {ID: "other-job", Paths: []string{"/y"}, State: agent.JobStateSending,
		Parts: 1, PartFID: "foreign", Walk: agent.WireWalk{Files: 2, Bytes: 9, Done: true}}}
	fa.known["foreign"] = Upload{Job: "other-job", Files: []File{{Path: "/y/b.txt", Name: "y/b.txt", Size: 5}}}
	d.events(&client.SessionEvent{FID: "foreign", At: fixedNow, State: client.StateSending},
		&client.ProgressEvent{FID: "foreign", At: fixedNow, State: client.StateSending, Files: []client.FileProgress{
			{Index: 0, Name: "y/b.txt", Size: 5, State: client.FileSending}}})
	if n := len(d.m.uploads.uploads); n != 2 {
		t.Fatalf("the UI tracks %d uploads, want its job and the other job", n)
	}
	other := d.m.uploads.uploads[1]
	if other.job == nil || other.job.id != "other-job" || other.fid != "foreign" {
		t.Fatalf("the other job's part is tracked as %+v, want in the other job's row", other)
	}
	fa.known["foreign-2"] = Upload{Job: "other-job", Files: []File{{Path: "/y/c.txt", Name: "y/c.txt", Size: 4}}}
	d.events(&client.JobEvent{Job: "other-job", At: fixedNow, Kind: client.JobPartStarted, FID: "foreign-2", Part: 2, Parts: 2},
		&client.ProgressEvent{FID: "foreign-2", At: fixedNow, State: client.StateSending, Files: []client.FileProgress{
			{Index: 0, Name: "y/c.txt", Size: 4, State: client.FileSending}}})
	if n := len(d.m.uploads.uploads); n != 2 {
		t.Fatalf("the UI tracks %d uploads after the other job's second part, want 2", n)
	}
	d.requireView("Upload 2 · part 2", "y/c.txt")
}

// Attaching to an agent whose job (hoist send --detach DIR) ended before
// the UI came: the replayed parts make one finished job row, not one row
// per part.
func TestAttachingShowsAFinishedJobAsOneRow(t *testing.T) {
	fa := &fakeAgent{fakeUploader: newFakeUploader(t), known: map[string]Upload{}, jobs: map[string]agent.JobInfo{
		"detached-job": {ID: "detached-job", Paths: []string{"/srv/reports"}, State: "done", Final: true, Parts: 2,
			PartFID: "part-b", DoneFiles: 2, DoneBytes: 20, Walk: agent.WireWalk{Files: 3, Bytes: 30, Done: true}},
	}}
	d := agentDriver(t, fa, Options{StartDir: t.TempDir()}, 100)
	for _, p := range []string{"part-a", "part-b"} {
		fa.known[p] = Upload{Job: "detached-job", Files: []File{{Path: "/srv/reports/" + p, Name: "reports/" + p, Size: 10}}}
	}
	d.events(&client.SessionEvent{FID: "part-a", At: fixedNow, State: client.StateDone},
		&client.ProgressEvent{FID: "part-b", At: fixedNow, State: client.StateDone, Files: []client.FileProgress{
			{Index: 0, Name: "reports/part-b", Size: 10, AckedBytes: 10, State: client.FileVerified}}},
		&client.SessionEvent{FID: "part-b", At: fixedNow, State: client.StateDone})
	if n := len(d.m.uploads.uploads); n != 1 {
		t.Fatalf("the UI tracks %d uploads, want the job's one row", n)
	}
	if d.m.screen != screenUpload {
		t.Fatalf("screen %v after attaching, want the Upload screen", d.m.screen)
	}
	if t0 := d.m.uploads.uploads[0]; t0.active() || t0.state != client.StateDone {
		t.Fatalf("the finished job's row: active %v, state %v; want done", t0.active(), t0.state)
	}
	d.requireView("Upload 1 · part 2 of 2", "3 of 3 files sent", "done", "reports/part-b")
}

// Attaching to an agent whose job said things before the UI came: its
// notes, skipped paths and files already there are in the event log, as
// they would have been live, after a line for those the agent no longer
// keeps; the already-there count is the agent's, not counted again.
func TestAdoptingAJobReplaysItsLog(t *testing.T) {
	fa := &fakeAgent{fakeUploader: newFakeUploader(t), known: map[string]Upload{}, jobs: map[string]agent.JobInfo{
		"detached-job": {ID: "detached-job", Paths: []string{"/srv/reports"}, State: agent.JobStateSending, Parts: 1,
			PartFID: "part-a", AlreadyThere: 7, AlreadyThereBytes: 30, Walk: agent.WireWalk{Files: 9, Bytes: 90, Done: true}, LogDropped: 5,
			Log: []*agent.WireEvent{
				agent.EncodeEvent(&client.JobEvent{Job: "detached-job", At: fixedNow, Kind: client.JobNote,
					Note: "the server cannot say which files it holds"}),
				agent.EncodeEvent(&client.JobEvent{Job: "detached-job", At: fixedNow, Kind: client.JobSkipped,
					Path: "/srv/reports/broken", Reason: "a dangling symbolic link"}),
				agent.EncodeEvent(&client.AlreadyThereEvent{Job: "detached-job", At: fixedNow, Path: "/srv/reports/q1.pdf",
					Name: "reports/q1.pdf", Stored: "reports/q1 (1).pdf", Size: 10}),
			}},
	}}
	d := agentDriver(t, fa, Options{StartDir: t.TempDir()}, 120)
	fa.known["part-a"] = Upload{Job: "detached-job", Files: []File{{Path: "/srv/reports/a", Name: "reports/a", Size: 10}}}
	d.events(&client.SessionEvent{FID: "part-a", At: fixedNow, State: client.StateSending})
	d.keys("l")
	d.requireView("upload 1: 5 lines earlier not kept by the agent",
		"upload 1: the server cannot say which files it holds",
		"upload 1: skipped /srv/reports/broken: a dangling symbolic link",
		"reports/q1.pdf already there as reports/q1 (1).pdf")
	if there := d.m.uploads.uploads[0].job.there; there != 7 {
		t.Fatalf("the job counts %d files already there, want the agent's 7", there)
	}
	// Its size leaves out the bytes already there, as a job of this UI's does.
	if _, total := d.m.uploads.uploads[0].jobSize(); total != 60 {
		t.Fatalf("the adopted job has %d bytes to send, want 90 found less 30 already there", total)
	}
}

// Attaching to an agent with jobs that have no part: one that found all
// its files on the server already, one still walking. No replayed event
// brings them, yet each is a row at once; a job with a part waits for its
// part's events, as before.
func TestAttachingShowsJobsWithoutParts(t *testing.T) {
	fa := &fakeAgent{fakeUploader: newFakeUploader(t), known: map[string]Upload{}, attached: []string{"all-there", "walking", "with-part"},
		jobs: map[string]agent.JobInfo{
			"all-there": {ID: "all-there", Paths: []string{"/srv/old"}, State: "done", Final: true, AlreadyThere: 5, AlreadyThereBytes: 50,
				Walk: agent.WireWalk{Files: 5, Bytes: 50, Done: true}},
			"walking": {ID: "walking", Paths: []string{"/srv/big"}, State: agent.JobStateWalking,
				Walk: agent.WireWalk{Files: 1200, Bytes: 3 << 20}},
			"with-part": {ID: "with-part", Paths: []string{"/srv/new"}, State: agent.JobStateSending, Parts: 1, PartFID: "p1"},
		}}
	d := agentDriver(t, fa, Options{StartDir: t.TempDir()}, 120)
	if n := len(d.m.uploads.uploads); n != 2 {
		t.Fatalf("the UI tracks %d uploads on attaching, want the two jobs without parts", n)
	}
	if d.m.screen != screenUpload {
		t.Fatalf("screen %v after attaching, want the Upload screen", d.m.screen)
	}
	d.requireView("Upload 1 · nothing left to send · 100% · 0 of 0 files sent · 5 already there", "done",
		"Upload 2 ·", "walking: 1,200 files")
}
