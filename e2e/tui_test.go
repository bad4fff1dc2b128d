package main

// End-to-end tests of the terminal UI: the real hoist binary in a real
// terminal (tmux), driven with keys like a user, against a real `hoist
// serve` process, and once through a real `ssh -t` session.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tuiTerm is a terminal in a private tmux server (tmux -L NAME), showing the
// hoist UI or whatever command it was started with.
type tuiTerm struct {
	t      *testing.T
	socket string
}

var tuiTerms atomic.Int64

// newTUITerm runs the shell command cmd in a detached tmux session of
// width x height on a tmux server of its own, killed when the test ends.
func newTUITerm(t *testing.T, width, height int, cmd string) *tuiTerm {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("these tests drive the UI in tmux: apt-get install tmux (.ci/run does)")
	}
	tm := &tuiTerm{t: t, socket: fmt.Sprintf("hoist-e2e-%d-%d", os.Getpid(), tuiTerms.Add(1))}
	tm.tmux("new-session", "-d", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), cmd)
	t.Cleanup(func() {
		if t.Failed() {
			if out, err := tm.try("capture-pane", "-p"); err == nil {
				t.Logf("the terminal at the end:\n%s", out)
			}
		}
		tm.try("kill-server")
	})
	return tm
}

// try runs tmux on the test's server; -u because the UI draws UTF-8 (progress
// bars, chunk maps, ✓) whatever the locale.
func (tm *tuiTerm) try(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-u", "-L", tm.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (tm *tuiTerm) tmux(args ...string) string {
	tm.t.Helper()
	out, err := tm.try(args...)
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// keys presses keys, by tmux's key names ("Space", "Enter", "BSpace", "j").
func (tm *tuiTerm) keys(keys ...string) {
	tm.t.Helper()
	tm.tmux(append([]string{"send-keys"}, keys...)...)
}

// text types text literally.
func (tm *tuiTerm) text(s string) {
	tm.t.Helper()
	tm.tmux("send-keys", "-l", s)
}

func (tm *tuiTerm) screen() string {
	tm.t.Helper()
	return tm.tmux("capture-pane", "-p")
}

// waitUntil polls the screen until ok accepts it, and returns it.
func (tm *tuiTerm) waitUntil(what string, ok func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		s := tm.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the screen did not show %s within 90s:\n%s", what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls the screen until it shows every one of texts.
func (tm *tuiTerm) waitFor(texts ...string) string {
	tm.t.Helper()
	return tm.waitUntil(fmt.Sprintf("%q", texts), func(s string) bool {
		for _, text := range texts {
			if !strings.Contains(s, text) {
				return false
			}
		}
		return true
	})
}

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
		shellQuote(hoistBinary(t)), strings.Join(quoted, " "))
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
func pickTwoFilesAndTag(tm *tuiTerm) {
	tm.t.Helper()
	tm.waitFor("docs/", "photos/")
	tm.keys("Enter") // into docs
	tm.waitFor("report.txt")
	tm.keys("Space")
	tm.waitFor("[x] report.txt", "1 file selected")
	tm.keys("BSpace") // back up; the selection stays
	tm.waitFor("[-] docs/")
	tm.keys("j", "Enter") // into photos
	tm.waitFor("beach.bin")
	tm.keys("Space")
	tm.waitFor("[x] beach.bin", "2 files selected")
	tm.keys("t")
	tm.waitFor("Tags for the selection (2 files")
	tm.text("holiday")
	tm.keys("Enter")
	tm.waitFor("<holiday>")
	tm.text("2024")
	tm.keys("Enter")
	tm.waitFor("<2024>")
	tm.keys("Escape") // alone: ESC and a key at once would read as alt+key
	tm.waitFor("tags: holiday, 2024")
	tm.keys("u")
	tm.waitFor("Upload 1 · 2 files", "tags: holiday, 2024")
	tm.keys("Enter")
}

// checkArrived checks with `hoist ls` that both files are on the server,
// whole, with both tags.
func checkArrived(t *testing.T, root string, report, beach []byte) {
	t.Helper()
	out := runHoist(t, "ls", "--root", root, "--user", "alice")
	tags := map[string]string{} // name: the TAGS column
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) >= 5 {
			tags[f[0]] = f[4]
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
func waitForBothVerified(tm *tuiTerm) {
	tm.t.Helper()
	s := tm.waitFor("upload 1 · ✓ done")
	if n := strings.Count(s, "verified"); n != 2 {
		tm.t.Fatalf("%d files verified on screen, want 2:\n%s", n, s)
	}
}

func quit(tm *tuiTerm) {
	tm.t.Helper()
	tm.keys("q")
	tm.waitFor("TUI-EXIT=0")
}

func TestTUIUploadsTwoFilesWithTheirTags(t *testing.T) {
	root := t.TempDir()
	srv := startServer(t, root)
	work := t.TempDir()
	report, beach := twoDirectories(t, work, 300<<10)

	tm := newTUITerm(t, 100, 30, tuiCommand(t, work, "--server", srv.URL, "--token-file", writeToken(t, root), "--chunk-size", "16KiB"))
	pickTwoFilesAndTag(tm)
	waitForBothVerified(tm)
	checkArrived(t, root, report, beach)
	quit(tm)
}

// chunksRE reads a file row's acknowledged and total chunks.
var chunksRE = regexp.MustCompile(`beach\.bin +(\d+)/(\d+) chunks`)

func TestTUIShowsTheBackoffWhileTheServerIsDownAndFinishes(t *testing.T) {
	root := t.TempDir()
	// Every Ok is held back a little, so the upload is still running when
	// the server dies.
	srv := startServer(t, root, "--chaos", "delay=1:10ms")
	work := t.TempDir()
	report, beach := twoDirectories(t, work, 3<<20)

	tm := newTUITerm(t, 100, 30, tuiCommand(t, work, "--server", srv.URL, "--token-file", writeToken(t, root),
		"--chunk-size", "16KiB", "--window-chunks", "2", "--retry-base", "300ms", "--retry-cap", "1s"))
	pickTwoFilesAndTag(tm)
	tm.waitUntil("beach.bin part way", func(s string) bool {
		m := chunksRE.FindStringSubmatch(s)
		return m != nil && m[1] != "0" && m[1] != m[2]
	})
	srv.Kill()
	s := tm.waitFor("backing off", "next try in", "last error:")
	t.Logf("while the server is down:\n%s", s)
	srv.Restart()

	waitForBothVerified(tm)
	tm.keys("l")
	tm.waitFor("Event log", "done: every file verified")
	// The backoff is in the log, though resends logged after it may have
	// pushed it above the visible part: scroll back to find it.
	for page := 0; !strings.Contains(tm.screen(), "backing off until"); page++ {
		if page == 10 {
			t.Fatalf("the event log does not record the backoff:\n%s", tm.screen())
		}
		tm.keys("PPage")
		time.Sleep(200 * time.Millisecond)
	}
	checkArrived(t, root, report, beach)
	quit(tm)
}

func TestTUIOverSSH(t *testing.T) {
	root := t.TempDir()
	srv := startServer(t, root)
	sshd := startSSHD(t)
	work := t.TempDir()
	report, beach := twoDirectories(t, work, 300<<10)

	// The UI runs on the "remote" side of a real ssh -t session, as users
	// run it on the machine that holds their files.
	remote := tuiCommand(t, work, "--server", srv.URL, "--token-file", writeToken(t, root), "--chunk-size", "16KiB")
	remote = strings.TrimSuffix(remote, "; sleep 600")
	cmd := fmt.Sprintf("%s -t -p %d %s@127.0.0.1 %s; sleep 600", sshd.clientCommand(), sshd.port, sshd.user, shellQuote(remote))
	tm := newTUITerm(t, 100, 30, cmd)

	pickTwoFilesAndTag(tm)
	waitForBothVerified(tm)
	checkArrived(t, root, report, beach)
	quit(tm)
	if !strings.Contains(sshd.log.String(), "Accepted publickey for "+sshd.user) {
		t.Fatalf("sshd did not log the login:\n%s", sshd.log.String())
	}
}

// TestTUIHonoursNoColor reads the terminal's cells with their attributes:
// colours by default, none at all with NO_COLOR.
func TestTUIHonoursNoColor(t *testing.T) {
	work := t.TempDir()
	twoDirectories(t, work, 1<<10)
	args := []string{"--server", "tcp://127.0.0.1:9", "--token", "unused-until-an-upload-starts"}
	for _, noColor := range []bool{false, true} {
		cmd := tuiCommand(t, work, args...)
		if noColor {
			cmd = strings.Replace(cmd, " TERM=screen-256color ", " TERM=screen-256color NO_COLOR=1 ", 1)
		}
		tm := newTUITerm(t, 100, 30, cmd)
		tm.waitFor("docs/", "photos/")
		cells := tm.tmux("capture-pane", "-p", "-e")
		coloured := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-7]|38;5;[0-9]+)[;m]`).MatchString(cells)
		switch {
		case noColor && strings.Contains(cells, "\x1b["):
			t.Errorf("NO_COLOR=1: the screen has attributes:\n%q", cells)
		case !noColor && !coloured:
			t.Errorf("by default the screen has no colours (so the NO_COLOR check proves nothing):\n%q", cells)
		}
		tm.keys("q")
		tm.waitFor("TUI-EXIT=0")
	}
}
