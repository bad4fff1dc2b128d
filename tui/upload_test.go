package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/hoist-dev/hoist/transfer/client"
)

// startTwoFiles queues notes.txt and beach.jpg as upload 1 and starts it.
func (d *driver) startTwoFiles() string {
	d.t.Helper()
	d.keys("enter", "down", "space", "backspace", "down", "enter", "down", "space", "u", "enter")
	if d.m.screen != screenUpload {
		d.t.Fatal("the upload did not start")
	}
	return testFID(1).String()
}

func TestUploadScreenFollowsTheEngine(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid := d.startTwoFiles()
	script := retryScript(fid)
	d.events(script[:len(script)-1]...)
	d.requireView("30/48 chunks · 62% · ↑ sending", "4 in flight · 1 retry · 128 KiB/s · ETA 9s",
		"1.9 MiB of 3.0 MiB (62%) · 128 KiB/s · ETA 9s")

	// The connection drops: no bytes move, so no rate and no ETA.
	d.events(script[len(script)-1])
	d.requireView(
		"1/1 chunks · 100% · ✓ verified",
		"30/48 chunks · 62% · ↻ backing off",
		"░░░░  1 retry\n",
		"██████████████████████████████▒▒▒▒!·············",
		"↻ backing off · next try in 4s (attempt 2) · last error: read tcp",
	)
	d.rejectView("KiB/s", "ETA", "in flight ·")
	if d.m.uploads.running() != 1 {
		t.Fatal("a backing-off upload does not count as running")
	}

	// The engine reconnects and finishes.
	at := fixedNow.Add(3 * time.Second)
	done := retryScript(fid)[4].(*client.ProgressEvent)
	final := *done
	final.At, final.State = at, client.StateDone
	final.Files = slices.Clone(done.Files)
	final.Files[1].AckedChunks, final.Files[1].AckedBytes = 48, 3<<20
	final.Files[1].InFlight, final.Files[1].State, final.Files[1].SHA256 = 0, client.FileVerified, "ab12"
	final.Files[1].Map = chunkMap(48, 48, 0, 0)
	d.events(
		&client.SessionEvent{FID: fid, At: at, State: client.StateSending, Attempt: 2},
		&final,
		&client.SessionEvent{FID: fid, At: at, State: client.StateDone, Attempt: 2},
	)
	d.requireView("48/48 chunks · 100% · ✓ verified", "1 retry · sha256 ab12", "upload 1 · ✓ done", "0 of 1 upload running")
	d.rejectView("backing off", "next try")
	if d.m.uploads.running() != 0 {
		t.Fatal("a done upload still counts as running")
	}

	d.keys("l")
	d.requireView("✓ beach.jpg verified: sha256 ab12", "✓ notes.txt verified", "! beach.jpg chunk 24 resent: corrupt: crc32c mismatch",
		"! upload 1 backing off until 15:09:30", "upload 1 done: every file verified")
	d.keys("l")
	d.rejectView("Event log")
}

func TestFocusFollowsTheFileGoingUpUntilMoved(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid := d.startTwoFiles()
	d.requireView("Chunks of notes.txt")
	d.events(retryScript(fid)...) // notes.txt verified, beach.jpg going up
	d.requireView("> beach.jpg", "Chunks of beach.jpg (48)")
	d.keys("up")
	d.requireView("> notes.txt", "Chunks of notes.txt (1)")
	d.events(retryScript(fid)[4])
	d.requireView("> notes.txt")
}

func TestUploadShowsFailuresWithTheServersReason(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid := d.startTwoFiles()
	quota := errors.New("quota: storing 3.0 MiB would exceed the quota of 1.0 MiB")
	d.events(
		&client.SessionEvent{FID: fid, At: fixedNow, State: client.StateFailed, Attempt: 1, Err: quota},
	)
	d.requireView("✗ failed: quota: storing 3.0 MiB", "upload 1 · ✗ failed · last error: quota")
	d.keys("p")
	d.requireView("error: nothing to pause")
	if calls := d.up.callLog(); len(calls) != 0 {
		t.Fatalf("engine calls for a failed upload: %q", calls)
	}
}

func TestEventsForOtherUploadsAreIgnored(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.startTwoFiles()
	d.events(&client.SessionEvent{FID: "not-ours", At: fixedNow, State: client.StateFailed, Err: errors.New("boom")})
	d.rejectView("boom", "failed")
}

func TestStartRefusedByTheEngine(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.up.startErr = errors.New("beach.jpg: permission denied")
	d.startTwoFiles()
	d.requireView("✗ not started", "error: beach.jpg: permission denied")
	if d.m.uploads.running() != 0 {
		t.Fatal("an upload that never started counts as running")
	}
}

func TestPauseResumeAndCancel(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid := d.startTwoFiles()
	d.events(&client.SessionEvent{FID: fid, At: fixedNow, State: client.StateSending, Attempt: 1})

	d.keys("p")
	d.events(&client.SessionEvent{FID: fid, At: fixedNow, State: client.StatePaused, Attempt: 1})
	d.requireView("‖ paused")
	d.keys("p")

	d.keys("c")
	d.requireView("Cancel upload 1 (notes.txt, beach.jpg)?")
	d.keys("n")
	d.rejectView("Cancel upload 1")
	d.keys("c", "y")
	d.requireView("upload 1 canceled")

	want := []string{"pause " + fid, "resume " + fid, "cancel " + fid}
	if got := d.up.callLog(); !slices.Equal(got, want) {
		t.Fatalf("engine calls = %q, want %q", got, want)
	}
}

// TestCancelWithThePartialKept cancels an upload whose server keeps the
// partial data: a notice, not an error.
func TestCancelWithThePartialKept(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid := d.startTwoFiles()
	d.events(&client.SessionEvent{FID: fid, At: fixedNow, State: client.StateSending, Attempt: 1})
	d.up.mu.Lock()
	d.up.cancelErr = fmt.Errorf("%w: the server is too old to drop partial uploads", client.ErrPartialKept)
	d.up.mu.Unlock()
	d.keys("c", "y")
	d.requireView("upload 1 canceled; the server keeps its partial data")
	d.rejectView("error")
}

// quits reports whether cmd, run, quits the program.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func (d *driver) press(k string) tea.Cmd {
	_, cmd := d.m.Update(keyMsgs(k)[0])
	return cmd
}

func TestQuitAsksWhileUploadsRun(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid := d.startTwoFiles()
	d.events(&client.SessionEvent{FID: fid, At: fixedNow, State: client.StateSending, Attempt: 1})

	if quits(d.press("q")) {
		t.Fatal("q quit without asking while an upload runs")
	}
	d.requireView("1 upload is still running", "Quit hoist?")
	if quits(d.press("n")) {
		t.Fatal("n quit")
	}
	d.rejectView("Quit hoist?")

	if quits(d.press("ctrl+c")) {
		t.Fatal("ctrl+c quit without asking")
	}
	if !quits(d.press("ctrl+c")) {
		t.Fatal("a second ctrl+c did not quit")
	}

	d2 := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid = d2.startTwoFiles()
	d2.events(&client.SessionEvent{FID: fid, At: fixedNow, State: client.StateDone})
	if !quits(d2.press("q")) {
		t.Fatal("q did not quit at once with every upload done")
	}
}

func TestQuitAsksWithUploadsQueued(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.keys("G", "space", "u")
	if quits(d.press("q")) {
		t.Fatal("q quit without asking with an upload queued")
	}
	d.requireView("1 queued upload was never started")
	if !quits(d.press("y")) {
		t.Fatal("y did not quit")
	}
}

func TestResumeOffer(t *testing.T) {
	opts := testOptions(makeTree(t))
	up := newFakeUploader(t)
	up.unfinished = []Unfinished{
		{FID: "fid-a", Server: "tcp://127.0.0.1:7800", Files: []File{{Path: "/x/a.bin", Name: "a.bin", Size: 10}}, Tags: []string{"a"}},
		{FID: "fid-b", Server: "tcp://127.0.0.1:7800", Files: []File{{Path: "/x/b.bin", Name: "b.bin", Size: 20}}},
	}
	d := newDriverWith(t, opts, up, 80, 24)
	if d.m.screen != screenResume {
		t.Fatal("unfinished uploads were not offered")
	}
	d.requireView("Unfinished uploads from an earlier run", "a.bin → tcp://127.0.0.1:7800 (fid fid-a)", "2 of 2 unfinished uploads picked")
	d.keys("down", "space", "enter")
	if got := d.up.callLog(); !slices.Equal(got, []string{"resume-unfinished fid-a"}) {
		t.Fatalf("engine calls = %q", got)
	}
	if d.m.screen != screenUpload {
		t.Fatal("resuming did not show the upload")
	}
	d.events(&client.ProgressEvent{FID: "fid-a", At: fixedNow, State: client.StateSending, Files: []client.FileProgress{
		{Index: 0, Name: "a.bin", Size: 10, ChunkSize: 4, Chunks: 3, AckedChunks: 2, AckedBytes: 8, State: client.FileSending,
			Map: chunkMap(3, 2, 1, 0)},
	}})
	d.requireView("a.bin", "2/3 chunks · 80%", "tags: a")
}

func TestResumeOfferCanWait(t *testing.T) {
	up := newFakeUploader(t)
	up.unfinished = []Unfinished{{FID: "fid-a", Files: []File{{Name: "a.bin", Size: 10}}}}
	d := newDriverWith(t, testOptions(makeTree(t)), up, 80, 24)
	d.keys("esc")
	if d.m.screen != screenBrowse {
		t.Fatal("esc did not leave the offer")
	}
	d.requireView("offered again next time")
	if calls := up.callLog(); len(calls) != 0 {
		t.Fatalf("engine calls = %q", calls)
	}
}

// TestEveryScreenFitsEverySize checks that at any size each screen fills
// exactly the terminal, no line wider than it: the UI degrades, it does not
// wrap or scroll the terminal.
func TestEveryScreenFitsEverySize(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	fid := d.startTwoFiles()
	d.events(retryScript(fid)...)
	d.keys("l")
	screens := map[string]func(){
		"browse": func() { d.m.screen = screenBrowse },
		"review": func() { d.m.screen = screenReview },
		"upload": func() { d.m.screen = screenUpload },
		"help":   func() { d.m.screen, d.m.showHelp = screenBrowse, true },
		"tags":   func() { d.m.showHelp = false; d.keys("t") },
	}
	for _, name := range []string{"browse", "review", "upload", "help", "tags"} {
		screens[name]()
		for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 15}, {59, 14}, {40, 10}, {30, 8}, {20, 5}, {12, 3}} {
			d.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			v := d.view()
			lines := strings.Split(v, "\n")
			if len(lines) > size[1] {
				t.Errorf("%s at %dx%d: %d lines", name, size[0], size[1], len(lines))
			}
			for _, l := range lines {
				if w := lipgloss.Width(l); w > size[0] {
					t.Errorf("%s at %dx%d: line of width %d: %q", name, size[0], size[1], w, l)
				}
			}
		}
	}
}
