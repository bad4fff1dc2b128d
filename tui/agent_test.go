package tui

import (
	"slices"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/client"
)

// fakeAgent is a fake uploader whose uploads run in an agent: they outlive
// the UI, and it describes uploads the UI did not start.
type fakeAgent struct {
	*fakeUploader
	known map[string]Upload
	lost  error
}

func (f *fakeAgent) Detached() bool { return true }

func (f *fakeAgent) Lost() error { return f.lost }

func (f *fakeAgent) Describe(fid string) (Upload, bool, bool) {
	up, ok := f.known[fid]
	return up, true, ok
}

const agentFID = "6b1c1a9e-0000-4000-8000-000000000001"

// attachedDriver is a UI attached to an agent that runs one upload of
// big.bin, replayed: a snapshot, then the session state.
func attachedDriver(t *testing.T) (*driver, *fakeAgent) {
	t.Helper()
	fa := &fakeAgent{fakeUploader: newFakeUploader(t), known: map[string]Upload{
		agentFID: {Files: []File{{Path: "/data/big.bin", Name: "big.bin", Size: 4 << 20}}, Tags: []string{"night"}},
	}}
	d := &driver{t: t, m: New(Options{StartDir: t.TempDir()}, fa), up: fa.fakeUploader}
	d.m.tickEvery = time.Millisecond
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	d.run(d.m.browse.init())
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
