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
