package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/google/uuid"
	"github.com/muesli/termenv"
	"go.uber.org/goleak"

	"github.com/hoist-dev/hoist/transfer/client"
)

func TestMain(m *testing.M) {
	// Goldens must not depend on the machine: no colours, UTC.
	lipgloss.SetColorProfile(termenv.Ascii)
	time.Local = time.UTC
	goleak.VerifyTestMain(m,
		// teatest waits for SIGINT in a goroutine that never ends.
		goleak.IgnoreTopFunction("github.com/charmbracelet/x/exp/teatest.NewTestModel.func2"),
		goleak.IgnoreTopFunction("os/signal.signal_recv"),
	)
}

// fixedNow is the clock of every test.
var fixedNow = time.Date(2025, time.March, 14, 15, 9, 26, 0, time.UTC)

// fakeUploader is a scripted stand-in for the transfer engine: goldens need
// events that arrive exactly as the test says. The real engine is driven by
// the tmux end-to-end tests in the repository root.
type fakeUploader struct {
	events chan client.Event

	mu         sync.Mutex
	started    []Upload
	calls      []string
	unfinished []Unfinished
	startErr   error
	cancelErr  error
	closeOnce  sync.Once

	trees []Tree
	// remote is what List and Lookup answer: the user's files on the
	// server, in path order; listErr fails List.
	remote  []client.RemoteFile
	listErr error
	rate    int64
	// listGate, when set, holds List back until it closes.
	listGate chan struct{}
	// lookups records Lookup's arguments.
	lookups [][]string
}

var _ Uploader = (*fakeUploader)(nil)

func newFakeUploader(t testing.TB) *fakeUploader {
	f := &fakeUploader{events: make(chan client.Event, 1024)}
	t.Cleanup(f.close)
	return f
}

func (f *fakeUploader) Start(u Upload) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, u)
	return u.FID.String(), f.startErr
}

func (f *fakeUploader) Events() <-chan client.Event { return f.events }

func (f *fakeUploader) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return nil
}

func (f *fakeUploader) Pause(fid string) error  { return f.record("pause " + fid) }
func (f *fakeUploader) Resume(fid string) error { return f.record("resume " + fid) }
func (f *fakeUploader) Cancel(fid string) error {
	f.record("cancel " + fid)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cancelErr
}
func (f *fakeUploader) RetryNow(fid string) error {
	return f.record("retry-now " + fid)
}
func (f *fakeUploader) ResumeUnfinished(fid string) error {
	return f.record("resume-unfinished " + fid)
}

func (f *fakeUploader) Unfinished() ([]Unfinished, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.unfinished, nil
}

// testJobID is the n-th job id the fake hands out.
func testJobID(n int) string { return fmt.Sprintf("job-%d", n) }

func (f *fakeUploader) StartTree(t Tree) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trees = append(f.trees, t)
	return testJobID(len(f.trees)), f.startErr
}

func (f *fakeUploader) CancelJob(job string) error { return f.record("cancel-job " + job) }

func (f *fakeUploader) List(ctx context.Context, q client.ListQuery, each func(client.RemoteFile) error) error {
	f.mu.Lock()
	files, err, gate := append([]client.RemoteFile(nil), f.remote...), f.listErr, f.listGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err != nil {
		return err
	}
	for _, rf := range files {
		if !strings.HasPrefix(rf.Path, q.Prefix) || !hasAllTags(rf.Tags, q.Tags) {
			continue
		}
		if err := each(rf); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func hasAllTags(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func (f *fakeUploader) Lookup(_ context.Context, paths []string) (map[string]client.RemoteFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, paths)
	out := map[string]client.RemoteFile{}
	for _, p := range paths {
		for _, rf := range f.remote {
			if rf.Path == p {
				out[p] = rf
			}
		}
	}
	return out, nil
}

func (f *fakeUploader) Remove(_ context.Context, paths []string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "remove "+strings.Join(paths, ","))
	var removed []string
	kept := f.remote[:0:0]
	for _, rf := range f.remote {
		if slices.Contains(paths, rf.Path) {
			removed = append(removed, rf.Path)
			continue
		}
		kept = append(kept, rf)
	}
	f.remote = kept
	return removed, nil
}

func (f *fakeUploader) SetRateLimit(bps int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate = bps
	f.calls = append(f.calls, fmt.Sprintf("rate %d", bps))
	return nil
}

func (f *fakeUploader) RateLimit() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rate
}

func (f *fakeUploader) startedTrees() []Tree {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Tree(nil), f.trees...)
}

func (f *fakeUploader) emit(evs ...client.Event) {
	for _, ev := range evs {
		f.events <- ev
	}
}

func (f *fakeUploader) close() { f.closeOnce.Do(func() { close(f.events) }) }

func (f *fakeUploader) startedUploads() []Upload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Upload(nil), f.started...)
}

func (f *fakeUploader) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// testFID is the n-th upload id the tests hand out.
func testFID(n int) uuid.UUID {
	return uuid.MustParse("00000000-0000-4000-8000-" + strings.Repeat("0", 11) + string(rune('0'+n)))
}

// testOptions returns options rooted in home with a fixed clock and ids.
func testOptions(home string) Options {
	n := 0
	return Options{
		Server:   "tcp://127.0.0.1:7800",
		StartDir: home,
		Home:     home,
		Now:      func() time.Time { return fixedNow },
		NewFID: func() uuid.UUID {
			n++
			return testFID(n)
		},
		DefaultTags: []string{"hoist"},
	}
}

// treeFile is one file of the fixture tree.
type treeFile struct {
	path string
	size int64
	age  time.Duration
}

// fixtureTree is the directory tree the tests browse. Sizes are made with
// sparse files, mtimes are fixed relative to fixedNow.
var fixtureTree = []treeFile{
	{"docs/report.pdf", 123456, 48 * time.Hour},
	{"docs/notes.txt", 2048, 3 * time.Hour},
	{"docs/old/2019.txt", 512, 6 * 365 * 24 * time.Hour},
	{"photos/beach.jpg", 3 << 20, 30 * 24 * time.Hour},
	{"photos/cat.jpg", 1 << 20, 29 * 24 * time.Hour},
	{"photos/raw/IMG_0001.CR2", 25 << 20, 29 * 24 * time.Hour},
	{"readme.md", 1100, time.Hour},
	{"archive.tar", 5 << 20, 400 * 24 * time.Hour},
	{".bashrc", 300, 24 * time.Hour},
	{".cache/blob", 10, 24 * time.Hour},
}

// makeTree creates fixtureTree in a fresh directory and returns its path.
func makeTree(t testing.TB) string {
	t.Helper()
	return makeTreeIn(t, t.TempDir())
}

// makeTreeIn creates fixtureTree in root, which exists, and returns root.
func makeTreeIn(t testing.TB, root string) string {
	t.Helper()
	for _, f := range fixtureTree {
		p := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, f.size); err != nil {
			t.Fatal(err)
		}
		mt := fixedNow.Add(-f.age)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	// Directories last, once their contents stopped changing their mtimes.
	for _, d := range []string{"docs/old", "docs", "photos/raw", "photos", ".cache"} {
		mt := fixedNow.Add(-7 * 24 * time.Hour)
		if err := os.Chtimes(filepath.Join(root, d), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	return root
}
