package e2e

// End-to-end tests of the terminal UI attached to the background agent.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/internal/testkit"
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
	return fmt.Sprintf("cd %s && env -i PATH=%s HOME=%s XDG_STATE_HOME=%s XDG_RUNTIME_DIR=%s HOIST_AGENT_IDLE_TIMEOUT=3s TERM=screen-256color %s %s; echo TUI-EXIT=$?; sleep 600",
		shellQuote(dir), shellQuote(os.Getenv("PATH")), shellQuote(t.TempDir()), shellQuote(a.state), shellQuote(a.runtime),
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
