package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// A directory picked in the TUI goes up as one job, split into parts the
// server takes (2,500 files, at most 1,000 per upload), with the paths
// kept; the UI shows the job's parts and answers keys while it runs.
func TestTUIUploadsATreeInParts(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root, "--max-files", "1000")
	work := t.TempDir()
	const files = 2500
	for i := range files {
		dir := filepath.Join(work, "tree", fmt.Sprintf("d%02d", i%25))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.txt", i)), []byte(fmt.Sprint("file ", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	tm := testkit.NewTerm(t, 110, 30, tuiCommand(t, work, "--server", srv.URL, "--token-file", writeToken(t, root)))
	tm.WaitFor("tree/")
	tm.Keys("Space") // the whole directory
	tm.WaitFor("2500 sel")
	tm.Keys("u")
	tm.WaitFor("Upload 1")
	tm.Keys("Enter")
	tm.WaitFor("part ")
	// The UI answers keys while the job runs: help opens and closes.
	tm.Keys("?")
	tm.WaitFor("esc close help")
	tm.Keys("?")
	tm.WaitFor("upload 1 · ✓ done")
	tm.Keys("g") // to the job's own line, at the top
	tm.WaitFor("part 3")
	out := runHoist(t, "ls", "--root", root, "--user", "alice")
	if n := strings.Count(out, "tree/d"); n != files {
		t.Fatalf("the server lists %d files under tree/, want %d:\n%.2000s", n, files, out)
	}
	if !strings.Contains(out, "tree/d07/f0007.txt") {
		t.Fatalf("the paths were not kept:\n%.2000s", out)
	}
	quit(t, tm)
}
