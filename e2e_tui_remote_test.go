package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTUIRemoteScreenShowsFilesJustSent sends two directories with `hoist
// send`, then opens the UI in tmux: its Remote screen lists both files
// under their paths with the tag, and Browse marks the local files as on
// the server.
func TestTUIRemoteScreenShowsFilesJustSent(t *testing.T) {
	root := t.TempDir()
	srv := startServer(t, root)
	tok := writeToken(t, root)
	work := t.TempDir()
	twoDirectories(t, work, 64<<10)
	args := append(append([]string{"send"}, sendFlags(srv.URL, tok)...), "--tag", "trip",
		filepath.Join(work, "docs"), filepath.Join(work, "photos"))
	if out, errOut, err := tryHoist(t, []string{"XDG_STATE_HOME=" + t.TempDir()}, args...); err != nil {
		t.Fatalf("hoist send: %v\n%s\n%s", err, out, errOut)
	}

	tm := newTUITerm(t, 100, 30, tuiCommand(t, work, "--server", srv.URL, "--token-file", tok))
	tm.waitFor("docs/", "photos/")
	tm.keys("R")
	s := tm.waitFor("[Remote]", "Your files on the server: 2 files", "▾ docs/", "▾ photos/", "report.txt", "beach.bin")
	if strings.Contains(s, "loading…") {
		t.Fatalf("the listing is done but the screen says loading:\n%s", s)
	}
	tm.keys("j") // docs/report.txt
	tm.waitFor("── docs/report.txt", "tags: trip", "sha256 ")

	tm.keys("Escape")
	tm.waitFor("[Browse")
	tm.keys("Enter") // into docs
	tm.waitFor("report.txt ✓ on server")
	quit(tm)
}

// TestTUISendsDirectoriesAsTreesAndSkipsWhatIsThere selects two
// directories in the UI: they go up as one job with their paths, which the
// Remote screen then lists; sending one again sends nothing, every file
// already there.
func TestTUISendsDirectoriesAsTreesAndSkipsWhatIsThere(t *testing.T) {
	root := t.TempDir()
	srv := startServer(t, root)
	work := t.TempDir()
	twoDirectories(t, work, 200<<10)

	tm := newTUITerm(t, 110, 30, tuiCommand(t, work, "--server", srv.URL, "--token-file", writeToken(t, root), "--chunk-size", "16KiB"))
	tm.waitFor("docs/", "photos/")
	tm.keys("Space") // docs, as a whole
	tm.waitFor("[x] docs/")
	tm.keys("Space") // photos
	tm.waitFor("[x] photos/", "selected 1 file from photos")
	tm.keys("u")
	tm.waitFor("Upload 1 · 2 files")
	tm.keys("Enter")
	tm.waitFor("Upload 1 · part 1 of 1", "2 of 2 files sent", "✓ done")

	tm.keys("R")
	tm.waitFor("[Remote]", "Your files on the server: 2 files", "▾ docs/", "report.txt", "▾ photos/", "beach.bin")
	tm.keys("Escape")
	tm.waitFor("[Browse")
	tm.keys("Space", "u")
	tm.waitFor("Upload 1 · 1 file · 200 KiB") // the queue numbers afresh
	tm.keys("Enter")
	tm.waitFor("Upload 2 ·", "1 already there", "0 of 0 files sent")
	quit(tm)
}
