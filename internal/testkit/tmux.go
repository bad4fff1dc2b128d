package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Term is a terminal in a private tmux server (tmux -L NAME), showing
// whatever command it was started with, driven with keys as a person
// would. Every Term has a server of its own, so tests that use terminals
// may run in parallel.
type Term struct {
	t      testing.TB
	socket string
}

// termWait is how long WaitFor and WaitUntil wait for the screen.
const termWait = 90 * time.Second

// terms numbers the tmux servers of this process.
var terms atomic.Int64

// NewTerm runs the shell command cmd in a detached tmux session of width x
// height on a tmux server of its own, killed when the test ends (after
// logging the screen if the test failed).
func NewTerm(t testing.TB, width, height int, cmd string) *Term {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("this test drives a terminal in tmux: apt-get install tmux (.ci/run does)")
	}
	tm := &Term{t: t, socket: fmt.Sprintf("hoist-test-%d-%d", os.Getpid(), terms.Add(1))}
	tm.Tmux("new-session", "-d", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), cmd)
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

// try runs tmux on the terminal's server; -u because the UI draws UTF-8
// (progress bars, chunk maps, ✓) whatever the locale.
func (tm *Term) try(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-u", "-L", tm.socket}, args...)...).CombinedOutput()
	return string(out), err
}

// Tmux runs a tmux command on the terminal's server and returns its
// output, failing the test if it fails.
func (tm *Term) Tmux(args ...string) string {
	tm.t.Helper()
	out, err := tm.try(args...)
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Keys presses keys, by tmux's key names ("Space", "Enter", "BSpace", "j").
func (tm *Term) Keys(keys ...string) {
	tm.t.Helper()
	tm.Tmux(append([]string{"send-keys"}, keys...)...)
}

// Text types s literally.
func (tm *Term) Text(s string) {
	tm.t.Helper()
	tm.Tmux("send-keys", "-l", s)
}

// Screen returns the text the terminal shows.
func (tm *Term) Screen() string {
	tm.t.Helper()
	return tm.Tmux("capture-pane", "-p")
}

// WaitUntil polls the screen until ok accepts it, and returns it; the test
// fails if that takes more than 90 seconds.
func (tm *Term) WaitUntil(what string, ok func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(termWait)
	for {
		s := tm.Screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the screen did not show %s within %v:\n%s", what, termWait, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitFor polls the screen until it shows every one of texts, and returns
// it.
func (tm *Term) WaitFor(texts ...string) string {
	tm.t.Helper()
	return tm.WaitUntil(fmt.Sprintf("%q", texts), func(s string) bool {
		for _, text := range texts {
			if !strings.Contains(s, text) {
				return false
			}
		}
		return true
	})
}
