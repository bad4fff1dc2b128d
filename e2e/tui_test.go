package e2e

// End-to-end tests of the terminal UI: the real hoist binary in a real
// terminal (tmux), driven with keys like a user, against a real `hoist
// serve` process, and once through a real `ssh -t` session.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// tuiCommand is the shell command that runs the UI in dir with a clean
// environment (no config file, a private journal), then reports its exit
// status and keeps the terminal open to read it.
func tuiCommand(t *testing.T, dir string, args ...string) string {
	t.Helper()
	home := t.TempDir()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return fmt.Sprintf("cd %s && env -i PATH=%s HOME=%s XDG_STATE_HOME=%s TERM=screen-256color %s %s; echo TUI-EXIT=$?; sleep 600",
		shellQuote(dir), shellQuote(os.Getenv("PATH")), shellQuote(home), shellQuote(filepath.Join(home, "state")),
		shellQuote(hoistBinary()), strings.Join(quoted, " "))
}

// twoDirectories makes dir/docs/report.txt and dir/photos/beach.bin.
func twoDirectories(t *testing.T, dir string, photoSize int) (report, beach []byte) {
	t.Helper()
	for _, d := range []string{"docs", "photos"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, report = randomFile(t, filepath.Join(dir, "docs"), "report.txt", 40<<10, 11)
	_, beach = randomFile(t, filepath.Join(dir, "photos"), "beach.bin", photoSize, 12)
	return report, beach
}

// pickTwoFilesAndTag selects docs/report.txt and photos/beach.bin, tags the
// selection "holiday" and "2024", queues it and starts it, as a user types.
func pickTwoFilesAndTag(t *testing.T, tm *testkit.Term) {
	t.Helper()
	tm.WaitFor("docs/", "photos/")
	tm.Keys("Enter") // into docs
	tm.WaitFor("report.txt")
	tm.Keys("Space")
	tm.WaitFor("[x] report.txt", "1 file selected")
	tm.Keys("BSpace") // back up; the selection stays
	tm.WaitFor("[-] docs/")
	tm.Keys("j", "Enter") // into photos
	tm.WaitFor("beach.bin")
	tm.Keys("Space")
	tm.WaitFor("[x] beach.bin", "2 files selected")
	tm.Keys("t")
	tm.WaitFor("Tags for the selection (2 files")
	tm.Text("holiday")
	tm.Keys("Enter")
	tm.WaitFor("<holiday>")
	tm.Text("2024")
	tm.Keys("Enter")
	tm.WaitFor("<2024>")
	tm.Keys("Escape") // alone: ESC and a key at once would read as alt+key
	tm.WaitFor("tags: holiday, 2024")
	tm.Keys("u")
	tm.WaitFor("Upload 1 · 2 files", "tags: holiday, 2024")
	tm.Keys("Enter")
}

// checkArrived checks with `hoist ls` that both files are on the server,
// whole, with both tags.
func checkArrived(t *testing.T, root string, report, beach []byte) {
	t.Helper()
	out := runHoist(t, "ls", "--root", root, "--user", "alice")
	tags := map[string]string{} // name: the TAGS column
	for line := range strings.Lines(out) {
		// NAME USER SIZE (a number and its unit) SHA256 TAGS COMPLETED
		if f := strings.Fields(line); len(f) >= 6 {
			tags[f[0]] = f[5]
		}
	}
	for _, name := range []string{"report.txt", "beach.bin"} {
		got := strings.Split(tags[name], ",")
		slices.Sort(got)
		if !slices.Equal(got, []string{"2024", "holiday"}) {
			t.Errorf("hoist ls shows %s with tags %q, want 2024 and holiday:\n%s", name, tags[name], out)
		}
	}
	for _, tag := range []string{"holiday", "2024"} {
		if n := strings.Count(runHoist(t, "ls", "--root", root, "--tag", tag), "alice"); n != 2 {
			t.Errorf("hoist ls --tag %s lists %d files, want 2", tag, n)
		}
	}
	if !bytes.Equal(storedFile(t, root, "alice", "report.txt"), report) || !bytes.Equal(storedFile(t, root, "alice", "beach.bin"), beach) {
		t.Error("a stored file differs from the local one")
	}
}

// quit presses q on a finished upload screen and checks the UI exits 0.
// waitForBothVerified waits for upload 1 to be done, with both files that
// pickTwoFilesAndTag queued shown as verified.
func waitForBothVerified(t *testing.T, tm *testkit.Term) {
	t.Helper()
	s := tm.WaitFor("upload 1 · ✓ done")
	if n := strings.Count(s, "verified"); n != 2 {
		t.Fatalf("%d files verified on screen, want 2:\n%s", n, s)
	}
}

func quit(t *testing.T, tm *testkit.Term) {
	t.Helper()
	tm.Keys("q")
	tm.WaitFor("TUI-EXIT=0")
}

func TestTUIUploadsTwoFilesWithTheirTags(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root)
	work := t.TempDir()
	report, beach := twoDirectories(t, work, 300<<10)

	tm := testkit.NewTerm(t, 100, 30, tuiCommand(t, work, "--server", srv.URL, "--token-file", writeToken(t, root), "--chunk-size", "16KiB"))
	pickTwoFilesAndTag(t, tm)
	waitForBothVerified(t, tm)
	checkArrived(t, root, report, beach)
	quit(t, tm)
}

// chunksRE reads a file row's acknowledged and total chunks.
var chunksRE = regexp.MustCompile(`beach\.bin +(\d+)/(\d+) chunks`)

func TestTUIShowsTheBackoffWhileTheServerIsDownAndFinishes(t *testing.T) {
	// Serial: the screen, polled through tmux, must catch beach.bin part way (about
	// a second of upload) to kill the server then; a loaded CPU can miss it.
	root := t.TempDir()
	// Every Ok is held back a little, so the upload is still running when
	// the server dies.
	srv := startServer(t, root, "--chaos", "delay=1:10ms")
	work := t.TempDir()
	report, beach := twoDirectories(t, work, 3<<20)

	tm := testkit.NewTerm(t, 100, 30, tuiCommand(t, work, "--server", srv.URL, "--token-file", writeToken(t, root),
		"--chunk-size", "16KiB", "--window-chunks", "2", "--retry-base", "300ms", "--retry-cap", "1s"))
	pickTwoFilesAndTag(t, tm)
	tm.WaitUntil("beach.bin part way", func(s string) bool {
		m := chunksRE.FindStringSubmatch(s)
		return m != nil && m[1] != "0" && m[1] != m[2]
	})
	srv.Kill()
	s := tm.WaitFor("backing off", "next try in", "last error:")
	t.Logf("while the server is down:\n%s", s)
	srv.Restart()

	waitForBothVerified(t, tm)
	tm.Keys("l")
	tm.WaitFor("Event log", "done: every file verified")
	// The backoff is in the log, though resends logged after it may have
	// pushed it above the visible part: scroll back to find it.
	for page := 0; !strings.Contains(tm.Screen(), "backing off until"); page++ {
		if page == 10 {
			t.Fatalf("the event log does not record the backoff:\n%s", tm.Screen())
		}
		tm.Keys("PPage")
		time.Sleep(200 * time.Millisecond)
	}
	checkArrived(t, root, report, beach)
	quit(t, tm)
}

func TestTUIOverSSH(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root)
	sshd := testkit.StartSSHD(t)
	work := t.TempDir()
	report, beach := twoDirectories(t, work, 300<<10)

	// The UI runs on the "remote" side of a real ssh -t session, as users
	// run it on the machine that holds their files.
	remote := tuiCommand(t, work, "--server", srv.URL, "--token-file", writeToken(t, root), "--chunk-size", "16KiB")
	remote = strings.TrimSuffix(remote, "; sleep 600")
	cmd := fmt.Sprintf("%s -t -p %d %s@127.0.0.1 %s; sleep 600", sshd.ClientCommand(), sshd.Port, sshd.User, shellQuote(remote))
	tm := testkit.NewTerm(t, 100, 30, cmd)

	pickTwoFilesAndTag(t, tm)
	waitForBothVerified(t, tm)
	checkArrived(t, root, report, beach)
	quit(t, tm)
	if !strings.Contains(sshd.Log(), "Accepted publickey for "+sshd.User) {
		t.Fatalf("sshd did not log the login:\n%s", sshd.Log())
	}
}

// TestTUIHonoursNoColor reads the terminal's cells with their attributes:
// colours by default, none at all with NO_COLOR.
func TestTUIHonoursNoColor(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	twoDirectories(t, work, 1<<10)
	args := []string{"--server", "tcp://127.0.0.1:9", "--token", "unused-until-an-upload-starts"}
	for _, noColor := range []bool{false, true} {
		cmd := tuiCommand(t, work, args...)
		if noColor {
			cmd = strings.Replace(cmd, " TERM=screen-256color ", " TERM=screen-256color NO_COLOR=1 ", 1)
		}
		tm := testkit.NewTerm(t, 100, 30, cmd)
		tm.WaitFor("docs/", "photos/")
		cells := tm.Tmux("capture-pane", "-p", "-e")
		coloured := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-7]|38;5;[0-9]+)[;m]`).MatchString(cells)
		switch {
		case noColor && strings.Contains(cells, "\x1b["):
			t.Errorf("NO_COLOR=1: the screen has attributes:\n%q", cells)
		case !noColor && !coloured:
			t.Errorf("by default the screen has no colours (so the NO_COLOR check proves nothing):\n%q", cells)
		}
		tm.Keys("q")
		tm.WaitFor("TUI-EXIT=0")
	}
}
