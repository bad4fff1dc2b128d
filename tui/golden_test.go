package tui

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
)

// These tests run the whole UI in a bubbletea program (teatest) at a fixed
// terminal size, with the ASCII colour profile, a fixed clock, fixed upload
// ids and a fixture tree with fixed mtimes, and compare the final screen
// with testdata/<test>.golden. Update them with: go test ./tui/... -update

// ui is a running program under test.
type ui struct {
	t    *testing.T
	tm   *teatest.TestModel
	up   *fakeUploader
	out  bytes.Buffer
	mark int
}

func startUI(t *testing.T, opts Options, width, height int, setup ...func(*fakeUploader)) *ui {
	t.Helper()
	up := newFakeUploader(t)
	for _, f := range setup {
		f(up)
	}
	m := New(opts, up)
	t.Cleanup(m.Close)
	u := &ui{t: t, up: up, tm: teatest.NewTestModel(t, m, teatest.WithInitialTermSize(width, height))}
	t.Cleanup(func() { _ = u.tm.Quit() })
	return u
}

// drain moves what the program wrote so far into u.out.
func (u *ui) drain() {
	if _, err := io.Copy(&u.out, u.tm.Output()); err != nil {
		u.t.Fatal(err)
	}
}

// keys presses keys (see keyMsgs). What they cause is looked for in output
// written after them.
func (u *ui) keys(keys ...string) {
	u.drain()
	u.mark = u.out.Len()
	for _, k := range keys {
		for _, msg := range keyMsgs(k) {
			u.tm.Send(msg)
		}
	}
}

// send sends a message, like keys.
func (u *ui) send(msg tea.Msg) {
	u.drain()
	u.mark = u.out.Len()
	u.tm.Send(msg)
}

// waitFor waits until the program draws text (after the last keys).
func (u *ui) waitFor(text string) {
	u.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		u.drain()
		if bytes.Contains(u.out.Bytes()[u.mark:], []byte(text)) {
			return
		}
		if time.Now().After(deadline) {
			u.t.Fatalf("screen never showed %q; output since the last keys:\n%s", text, u.out.Bytes()[u.mark:])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// finalView stops the program and returns its final screen.
func (u *ui) finalView() string {
	u.t.Helper()
	if err := u.tm.Quit(); err != nil {
		u.t.Fatal(err)
	}
	return u.tm.FinalModel(u.t, teatest.WithFinalTimeout(15*time.Second)).View()
}

// requireGolden compares the final screen with the test's golden file.
func (u *ui) requireGolden() {
	u.t.Helper()
	requireGoldenView(u.t, u.finalView())
}

// requireGoldenView compares view with the test's golden file.
func requireGoldenView(t *testing.T, view string) {
	t.Helper()
	golden.RequireEqual(t, []byte(view+"\n"))
}

// selectTwoFiles selects docs/notes.txt and photos/beach.jpg.
func (u *ui) selectTwoFiles() {
	u.t.Helper()
	u.waitFor("archive.tar")
	u.keys("enter")
	u.waitFor("~/docs")
	u.keys("down", "space")
	u.waitFor("1 file selected")
	u.keys("backspace")
	u.waitFor("[-] docs/")
	u.keys("down", "enter")
	u.waitFor("~/photos")
	u.keys("down", "space")
	u.waitFor("2 files selected")
}

// queueTwoFiles queues the files selectTwoFiles picks, tagged photos, as
// upload 1.
func (u *ui) queueTwoFiles() {
	u.t.Helper()
	u.selectTwoFiles()
	u.keys("t", "photos", "enter", "esc", "u")
	u.waitFor("Upload 1 · 2 files")
}

func TestGoldenBrowse(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.selectTwoFiles()
	u.keys("backspace")
	u.waitFor("[-] photos/")
	u.requireGolden()
}

func TestGoldenBrowseFilter(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.waitFor("archive.tar")
	u.keys(".")
	u.waitFor(".bashrc")
	// One letter at a time: the list filters in the background, and the
	// answers for "r" and "rc" could otherwise arrive in either order.
	u.keys("/", "r")
	u.waitFor("3 entries • 3 filtered")
	u.keys("c")
	u.waitFor("2 entries • 4 filtered")
	u.requireGolden()
}

func TestGoldenTags(t *testing.T) {
	opts := testOptions(makeTree(t))
	opts.TagHistoryFile = filepath.Join(t.TempDir(), "tags")
	if err := os.WriteFile(opts.TagHistoryFile, []byte("holiday\nwork\nhome-movies\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u := startUI(t, opts, 80, 24)
	u.selectTwoFiles()
	u.keys("t")
	u.waitFor("Tags for the selection (2 files, 3.0 MiB)")
	u.keys("photos", "enter")
	u.waitFor("<photos>")
	u.keys("ho")
	u.waitFor("holiday")
	u.requireGolden()
}

func TestGoldenTagsRefused(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.waitFor("archive.tar")
	u.keys("t")
	u.waitFor("Tags for the next upload")
	u.keys("bad,tag", "enter")
	u.waitFor("refused")
	u.requireGolden()
}

func TestGoldenReview(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.queueTwoFiles()
	u.keys("esc")
	u.waitFor("nothing selected")
	u.keys("G", "space", "t", "backspace", "notes", "enter", "esc", "u")
	u.waitFor("Upload 2 · 1 file")
	u.requireGolden()
}

// startRetry queues two files, starts them and plays retryScript.
func (u *ui) startRetry() {
	u.t.Helper()
	u.queueTwoFiles()
	u.keys("enter")
	u.waitFor("waiting")
	u.up.emit(retryScript(testFID(1).String())...)
	u.waitFor("backing off")
}

func TestGoldenUploadRetry(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.startRetry()
	u.keys("l")
	u.waitFor("resent: corrupt")
	u.requireGolden()
}

func TestGoldenHelp(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.waitFor("archive.tar")
	u.keys("?")
	u.waitFor("close help")
	u.requireGolden()
}

func TestGoldenNarrow(t *testing.T) {
	t.Run("browse", func(t *testing.T) {
		u := startUI(t, testOptions(makeTree(t)), 44, 12)
		u.waitFor("archive.tar")
		u.keys("down", "down", "space")
		u.waitFor("1 file selected")
		u.requireGolden()
	})
	t.Run("upload", func(t *testing.T) {
		u := startUI(t, testOptions(makeTree(t)), 80, 24)
		u.startRetry()
		u.send(tea.WindowSizeMsg{Width: 50, Height: 14})
		u.keys("l")
		u.waitFor("backing off until")
		u.requireGolden()
	})
}

func TestGoldenResume(t *testing.T) {
	home := makeTree(t)
	u := startUI(t, testOptions(home), 80, 24, func(f *fakeUploader) {
		f.unfinished = []Unfinished{{
			FID:     "6f1c2e9a-5b7d-4c3e-9f10-2a4b6c8d0e12",
			Server:  "tcp://127.0.0.1:7800",
			Files:   []File{{Path: filepath.Join(home, "archive.tar"), Name: "archive.tar", Size: 5 << 20}},
			Tags:    []string{"backup"},
			Started: fixedNow.Add(-26 * time.Hour),
		}}
	})
	u.waitFor("Unfinished uploads from an earlier run")
	u.requireGolden()
}

func TestGoldenQuitWhileUploading(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.startRetry()
	u.keys("q")
	u.waitFor("Quit hoist?")
	view := u.finalView()
	if !strings.Contains(view, "1 upload is still running") {
		t.Fatalf("quit did not warn about the running upload:\n%s", view)
	}
	requireGoldenView(t, view)
}

// TestTypeAheadWaitsForTheDirectory types a whole path through the tree at
// once, faster than directories load (as a paste or a fast typist over SSH
// does): every key must act on the directory it was meant for.
func TestTypeAheadWaitsForTheDirectory(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.keys("enter", "down", "space", "backspace", "down", "enter", "down", "space", "backspace", "down", "space", "u")
	u.waitFor("Upload 1 · 3 files")
	view := u.finalView()
	for _, want := range []string{"notes.txt", "beach.jpg", "archive.tar"} {
		if !strings.Contains(view, want) {
			t.Errorf("the queued upload lacks %s:\n%s", want, view)
		}
	}
}

// TestKeysReadTogetherActOneByOne sends keys the way a terminal delivers
// fast typing: several runes in one message.
func TestKeysReadTogetherActOneByOne(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 80, 24)
	u.waitFor("archive.tar")
	u.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jjj tphotos")})
	u.waitFor("add> photos")
	u.keys("enter", "esc", "u")
	u.waitFor("Upload 1 · 1 file · 1.1 KiB · tags: hoist, photos")
}

// TestGoldenHelpNarrow is the help at 60x15: no column cut, the sections
// reflowed into fewer columns, the rest a scroll away.
func TestGoldenHelpNarrow(t *testing.T) {
	u := startUI(t, testOptions(makeTree(t)), 60, 15)
	u.waitFor("archive.tar")
	u.keys("?")
	u.waitFor("↓ more")
	u.requireGolden()
}
