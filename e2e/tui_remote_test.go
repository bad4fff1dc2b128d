package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// TestTUIRemoteScreenShowsFilesJustSent sends two directories with `hoist
// send`, then opens the UI in tmux: its Remote screen lists both files
// under their paths with the tag, and Browse marks the local files as on
// the server.
func TestTUIRemoteScreenShowsFilesJustSent(t *testing.T) {
	t.Parallel()
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

	tm := testkit.NewTerm(t, 100, 30, tuiCommand(t, work, "--server", srv.URL, "--token-file", tok))
	tm.WaitFor("docs/", "photos/")
	tm.Keys("R")
	s := tm.WaitFor("[Remote]", "Your files on the server: 2 files", "▾ docs/", "▾ photos/", "report.txt", "beach.bin")
	if strings.Contains(s, "loading…") {
		t.Fatalf("the listing is done but the screen says loading:\n%s", s)
	}
	tm.Keys("j") // docs/report.txt
	tm.WaitFor("── docs/report.txt", "tags: trip", "sha256 ")

	tm.Keys("Escape")
	tm.WaitFor("[Browse")
	tm.Keys("Enter") // into docs
	tm.WaitFor("report.txt ✓ on server")
	quit(t, tm)
}

// TestTUISendsDirectoriesAsTreesAndSkipsWhatIsThere selects two
// directories in the UI: they go up as one job with their paths, which the
// Remote screen then lists; sending one again sends nothing, every file
// already there.
func TestTUISendsDirectoriesAsTreesAndSkipsWhatIsThere(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root)
	work := t.TempDir()
	twoDirectories(t, work, 200<<10)

	tm := testkit.NewTerm(t, 110, 30, tuiCommand(t, work, "--server", srv.URL, "--token-file", writeToken(t, root), "--chunk-size", "16KiB"))
	tm.WaitFor("docs/", "photos/")
	tm.Keys("Space") // docs, as a whole
	tm.WaitFor("[x] docs/")
	tm.Keys("Space") // photos
	tm.WaitFor("[x] photos/", "selected 1 file from photos")
	tm.Keys("u")
	tm.WaitFor("Upload 1 · 2 files")
	tm.Keys("Enter")
	tm.WaitFor("Upload 1 · part 1 of 1", "2 of 2 files sent", "✓ done")

	tm.Keys("R")
	tm.WaitFor("[Remote]", "Your files on the server: 2 files", "▾ docs/", "report.txt", "▾ photos/", "beach.bin")
	tm.Keys("Escape")
	tm.WaitFor("[Browse")
	tm.Keys("Space", "u")
	tm.WaitFor("Upload 1 · 1 file · 200 KiB") // the queue numbers afresh
	tm.Keys("Enter")
	tm.WaitFor("Upload 2 ·", "1 already there", "0 of 0 files sent")
	quit(t, tm)
}
