package e2e

// End-to-end tests of the terminal UI attached to the background agent.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/transfer/agent"
)

// agentTUICommand runs the UI in dir with a clean environment that shares
// a's runtime and state directories, so that every such UI attaches to the
// same agent; it reports the UI's exit status and keeps the terminal open.
func agentTUICommand(t *testing.T, a agentEnv, dir string, args ...string) string {
	t.Helper()
	quoted := make([]string, len(args))
	for i, arg := range args {
		quoted[i] = shellQuote(arg)
	}
	return fmt.Sprintf("cd %s && env -i PATH=%s HOME=%s XDG_STATE_HOME=%s XDG_RUNTIME_DIR=%s %s TERM=screen-256color %s %s; echo TUI-EXIT=$?; sleep 600",
		shellQuote(dir), shellQuote(os.Getenv("PATH")), shellQuote(t.TempDir()), shellQuote(a.state), shellQuote(a.runtime), agentIdleTimeout,
		shellQuote(hoistBinary()), strings.Join(quoted, " "))
}

// progressRE is the upload screen's summary: "1.5 MiB of 8.0 MiB (18%)".
var progressRE = regexp.MustCompile(`[\d.]+ \w*B of [\d.]+ \w*B \(\d+%\)`)

func TestTwoTUIsAttachedToTheAgentSeeTheSameUpload(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	root := t.TempDir()
	srv := startServer(t, root, "--chaos", "delay=1:20ms")
	work := t.TempDir()
	report, beach := twoDirectories(t, work, 8<<20)
	args := []string{"--agent", "always", "--server", srv.URL, "--token-file", writeToken(t, root),
		"--chunk-size", "16KiB", "--window-chunks", "4"}

	one := testkit.NewTerm(t, 100, 30, agentTUICommand(t, a, work, args...))
	pickTwoFilesAndTag(t, one)
	one.WaitFor("↑ sending", "Chunks of")

	// The second UI attaches to the upload the first one started: it is
	// shown at once, live, with its chunk map.
	two := testkit.NewTerm(t, 100, 30, agentTUICommand(t, a, t.TempDir(), args...))
	two.WaitFor("upload 1", "↑ sending", "beach.bin", "Chunks of")

	// Pausing in one shows paused in both, at the same progress.
	one.Keys("p")
	var shown string
	one.WaitUntil("paused with its progress", func(s string) bool {
		shown = progressRE.FindString(s)
		return strings.Contains(s, "‖ paused") && shown != ""
	})
	two.WaitUntil("paused at "+shown, func(s string) bool {
		return strings.Contains(s, "‖ paused") && progressRE.FindString(s) == shown
	})
	// Settled: the first still shows what the second shows.
	one.WaitUntil("still "+shown, func(s string) bool { return progressRE.FindString(s) == shown })

	// Resumed from the second, both see it go on.
	two.Keys("p")
	one.WaitFor("↑ sending")

	// The first UI quits, leaving the upload to the agent (the default).
	one.Keys("q")
	one.WaitFor("in the hoist agent and will go on", "Quit and leave them running?")
	one.Keys("Enter")
	one.WaitFor("TUI-EXIT=0")

	// The second sees it to the end.
	waitForBothVerified(t, two)
	checkArrived(t, root, report, beach)
	quit(t, two)
	if _, err := os.Stat(filepath.Join(a.state, "hoist", "uploads")); err != nil {
		t.Fatalf("the agent kept no journal: %v", err)
	}
}

// childNamed returns the pid of the child of pid whose command is name.
func childNamed(t *testing.T, pid int, name string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(b)) {
		comm, err := os.ReadFile("/proc/" + f + "/comm")
		if err == nil && strings.TrimSpace(string(comm)) == name {
			var child int
			fmt.Sscan(f, &child)
			return child
		}
	}
	t.Fatalf("process %d has no child %s (children %q)", pid, name, b)
	return 0
}

func TestUploadOutlivesItsSSHSessionAndIsShownAgain(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	root := t.TempDir()
	srv := startServer(t, root)
	// A slow uplink: 200 MB take about 40 s.
	const size, rate = 200 << 20, 5 << 20
	link := startThrottle(t, srv.Addr, rate)
	sshd := testkit.StartSSHD(t)
	work := t.TempDir()
	report, beach := twoDirectories(t, work, size)

	// The UI runs on the "remote" side of a real ssh -t session with the
	// default agent = auto: over SSH (SSH_CONNECTION passed on) it hands
	// the uploads to the agent.
	remote := agentTUICommand(t, a, work, "--server", "tcp://"+link.Listen, "--token-file", writeToken(t, root))
	remote = strings.Replace(strings.TrimSuffix(remote, "; sleep 600"), "env -i ", `env -i SSH_CONNECTION="$SSH_CONNECTION" `, 1)
	cmd := fmt.Sprintf("%s -t -p %d %s@127.0.0.1 %s; sleep 600", sshd.ClientCommand(), sshd.Port, sshd.User, shellQuote(remote))

	one := testkit.NewTerm(t, 100, 30, cmd)
	pickTwoFilesAndTag(t, one)
	one.WaitUntil("beach.bin going up", func(s string) bool {
		return strings.Contains(s, "↑ sending") && link.Forwarded.Load() > 4<<20
	})
	agentPID := agent.ReadPID(a.dir())
	if agentPID <= 0 {
		t.Fatal("the UI over SSH did not start an agent")
	}

	// The ssh session drops: its client is killed.
	var panePID int
	fmt.Sscan(one.Tmux("display-message", "-p", "#{pane_pid}"), &panePID)
	sshPID := childNamed(t, panePID, "ssh")
	if err := syscall.Kill(sshPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	one.WaitFor("Killed") // the local shell reports ssh's end
	atKill := link.Forwarded.Load()
	if atKill >= size {
		t.Fatalf("the upload had already passed %d bytes when the session dropped", atKill)
	}

	// The server keeps receiving chunks.
	deadline := time.Now().Add(60 * time.Second)
	for link.Forwarded.Load() < atKill+8<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the server received %d bytes in the minute after the session dropped", link.Forwarded.Load()-atKill)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A new session shows the upload live, with its chunk map.
	two := testkit.NewTerm(t, 100, 30, cmd)
	two.WaitFor("upload 1", "↑ sending", "Chunks of beach.bin", "█ held")
	waitForBothVerified(t, two)
	checkArrived(t, root, report, beach)
	if got := agent.ReadPID(a.dir()); got != agentPID {
		t.Fatalf("the agent changed from pid %d to %d", agentPID, got)
	}
	if n := strings.Count(srv.Stderr(), "upload created"); n != 1 {
		t.Fatalf("the server created %d uploads, want 1: the upload was restarted", n)
	}
	t.Logf("session dropped at %d of %d bytes on the wire", atKill, size)
	quit(t, two)
}

// A directory sent with hoist send --detach is a job of the agent; a UI
// attached afterwards shows it as one upload with its parts, not one
// upload per part.
func TestTUIAttachedAfterSendDetachShowsTheJobAsOneUpload(t *testing.T) {
	t.Parallel()
	f := newDetachFixture(t, "reports", 5, 256<<10)
	job := f.sendDetach(t, f.dir)

	ui := testkit.NewTerm(t, 100, 30, agentTUICommand(t, f.a, filepath.Dir(f.dir), "--agent", "always", "--server", f.srv.URL, "--token-file", f.tokenFile))
	s := ui.WaitFor("Upload 1 · part 3 of 3", "5 of 5 files sent", "✓ done")
	if strings.Contains(s, "Upload 2") || strings.Contains(s, "upload 2") {
		t.Fatalf("the job's parts are shown as uploads of their own:\n%s", s)
	}
	if _, errOut, err := tryHoist(t, f.a.env(), "send", "--wait", job); err != nil {
		t.Fatalf("hoist send --wait %s: %v\n%s", job, err, errOut)
	}
	quit(t, ui)
}
