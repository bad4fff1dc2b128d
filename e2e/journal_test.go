package e2e

// End-to-end tests of what `hoist send` does with uploads that end early:
// final errors that stop at once or after the retry budget, the journal of
// unfinished uploads (--list, --discard, --resume by fid prefix), the quota
// a discarded upload releases, and two processes racing for one upload.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// listedUpload is one line of `hoist send --list --json`.
type listedUpload struct {
	FID      string `json:"fid"`
	ShortFID string `json:"short_fid"`
	Server   string `json:"server"`
	Bytes    uint64 `json:"bytes"`
	HeldBy   int    `json:"held_by"`
	Files    []struct {
		Name string `json:"name"`
		Size uint64 `json:"size"`
	} `json:"files"`
}

// listUnfinished runs `hoist send --list --json` with env.
func listUnfinished(t *testing.T, env []string) []listedUpload {
	t.Helper()
	out, errOut, err := tryHoist(t, env, "send", "--list", "--json")
	if err != nil {
		t.Fatalf("hoist send --list --json: %v\n%s", err, errOut)
	}
	var uploads []listedUpload
	for line := range strings.Lines(out) {
		var u listedUpload
		if err := json.Unmarshal([]byte(line), &u); err != nil {
			t.Fatalf("hoist send --list --json: not a JSON line %q: %v", line, err)
		}
		uploads = append(uploads, u)
	}
	return uploads
}

// exitCode is the exit status err reports, -1 for a process that did not
// exit on its own, 0 for nil.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// firstFID is the fid of the first event of p.
func sentFID(t *testing.T, p *sendProc) string {
	t.Helper()
	for _, ev := range p.snapshot() {
		if ev.FID != "" {
			return ev.FID
		}
	}
	t.Fatal("hoist send printed no event with a fid")
	return ""
}

// killedUpload starts `hoist send` of path (size bytes) to srv, SIGKILLs
// it once the server acknowledged at least part bytes, and returns the
// upload's fid. srv should hold its Oks back (--chaos delay) so that the
// upload is still running at that point.
func killedUpload(t *testing.T, env []string, srv *testkit.Server, tokenFile, path string, part uint64) string {
	t.Helper()
	p := startSend(t, env, append(sendFlags(srv.URL, tokenFile), "--window-chunks", "1", path)...)
	p.waitFor(fmt.Sprintf("%d bytes acknowledged", part), func(evs []sendEvent) bool { return ackedBytes(evs) >= part })
	p.cmd.Process.Signal(syscall.SIGKILL)
	if err := p.wait(); exitCode(err) != -1 {
		t.Fatalf("hoist send ended (%v) before it was killed\nstderr:\n%s", err, p.stderr.String())
	}
	for _, ev := range p.snapshot() {
		if ev.Type == "session" && ev.State == "done" {
			t.Fatal("the upload finished before it was killed: slow the server down more")
		}
	}
	return sentFID(t, p)
}

func TestSendToAnUnknownHostFailsAtOnce(t *testing.T) {
	t.Parallel()
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	path, _ := randomFile(t, t.TempDir(), "f.bin", 1024, 11)
	start := time.Now()
	_, errOut, err := tryHoist(t, env, "send", "--server", "tcp://nonexistent.invalid:7800", "--token", "unused", path)
	took := time.Since(start)
	if exitCode(err) != 1 {
		t.Fatalf("hoist send to an unknown host: %v, want exit status 1\n%s", err, errOut)
	}
	if took > 30*time.Second {
		t.Errorf("hoist send took %v to give up on an unknown host, want under 30s", took)
	}
	for _, want := range []string{`unknown host "nonexistent.invalid"`, "what to do: The server's host name does not resolve"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "retrying") {
		t.Errorf("an unknown host was retried:\n%s", errOut)
	}
	if got := listUnfinished(t, env); len(got) != 0 {
		t.Errorf("an upload no server accepted is journaled: %+v", got)
	}
}

func TestSendToAClosedPortGivesUpAfterTheRetryBudget(t *testing.T) {
	t.Parallel()
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	path, _ := randomFile(t, t.TempDir(), "f.bin", 1024, 12)
	nobody := fmt.Sprintf("tcp://127.0.0.1:%d", testkit.FreePort(t))
	start := time.Now()
	_, errOut, err := tryHoist(t, env, "send", "--server", nobody, "--token", "unused",
		"--retry-base", "50ms", "--retry-cap", "200ms", "--retry-budget", "2s", path)
	took := time.Since(start)
	if exitCode(err) != 1 {
		t.Fatalf("hoist send to a closed port: %v, want exit status 1\n%s", err, errOut)
	}
	for _, want := range []string{"giving up after", "retry budget 2s", "connection refused", "what to do:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// It kept trying until the budget was spent, and no longer than that
	// plus a generous margin for a loaded machine.
	if took < 1500*time.Millisecond || took > 60*time.Second {
		t.Errorf("gave up after %v with a 2s retry budget", took)
	}
	if got := listUnfinished(t, env); len(got) != 0 {
		t.Errorf("an upload no server accepted is journaled: %+v", got)
	}
}

// TestSendDiscardReleasesTheQuota is issue 11's figure: a quota of 10 MiB,
// a send of 8 MiB killed half-way, `--discard` by a short prefix, and a new
// 8 MiB upload is accepted at once.
func TestSendDiscardReleasesTheQuota(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root, "--quota", "10MiB", "--chaos", "delay=1:20ms")
	tokenFile := writeToken(t, root)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	const size = 8 << 20
	path, _ := randomFile(t, t.TempDir(), "first.bin", size, 13)
	fid := killedUpload(t, env, srv, tokenFile, path, 1<<20)

	listed := listUnfinished(t, env)
	if len(listed) != 1 || listed[0].FID != fid || listed[0].ShortFID != fid[:8] || listed[0].Bytes != size ||
		listed[0].HeldBy != 0 || listed[0].Server != srv.URL || len(listed[0].Files) != 1 || listed[0].Files[0].Name != "first.bin" {
		t.Fatalf("hoist send --list --json after the kill: %+v, want %s of 8 MiB held by no process", listed, fid)
	}

	// The partial upload holds its 8 MiB: a second one does not fit.
	second, data := randomFile(t, t.TempDir(), "second.bin", size, 14)
	flags := append([]string{"send"}, sendFlags(srv.URL, tokenFile)...)
	flags = append(flags, "--chunk-size", "1MiB", "--window-chunks", "8")
	_, errOut, err := tryHoist(t, env, append(flags, second)...)
	if exitCode(err) != 1 || !strings.Contains(errOut, "quota") {
		t.Fatalf("a second 8 MiB upload next to the partial one: %v, want refused over quota\n%s", err, errOut)
	}

	out, errOut, err := tryHoist(t, env, "send", "--discard", fid[:6], "--token-file", tokenFile)
	if err != nil || !strings.Contains(out, "discarded "+fid[:8]+"; the server dropped its partial data") {
		t.Fatalf("hoist send --discard %s: %v\nstdout:\n%s\nstderr:\n%s", fid[:6], err, out, errOut)
	}
	if got := listUnfinished(t, env); len(got) != 0 {
		t.Fatalf("the discarded upload is still listed: %+v", got)
	}

	out, errOut, err = tryHoist(t, env, append(flags, "--retry-attempts", "1", second)...)
	if err != nil {
		t.Fatalf("a new 8 MiB upload after the discard: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if got := storedFile(t, root, "alice", "second.bin"); len(got) != len(data) {
		t.Fatalf("stored %d bytes of second.bin, want %d", len(got), len(data))
	}
}

// TestSendResumeRaceNamesTheHolder runs two `hoist send --resume FID` on one
// journaled upload at once: exactly one sends it, the other stops at once
// and names the first one's pid.
func TestSendResumeRaceNamesTheHolder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root, "--chaos", "delay=1:20ms")
	tokenFile := writeToken(t, root)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	path, data := randomFile(t, t.TempDir(), "raced.bin", 4<<20, 15)
	fid := killedUpload(t, env, srv, tokenFile, path, 256<<10)

	resume := []string{"--resume", fid[:8], "--token-file", tokenFile, "--window-chunks", "1"}
	a := startSend(t, env, resume...)
	b := startSend(t, env, resume...)
	errA, errB := a.wait(), b.wait()
	winner, loser, loserErr := a, b, errB
	if errA != nil {
		winner, loser, loserErr = b, a, errA
	}
	if exitCode(errA)+exitCode(errB) != 1 {
		t.Fatalf("want exactly one resume to succeed: exits %v and %v\nfirst stderr:\n%s\nsecond stderr:\n%s",
			errA, errB, a.stderr.String(), b.stderr.String())
	}
	if exitCode(loserErr) != 1 {
		t.Fatalf("the losing resume: %v, want exit status 1", loserErr)
	}
	want := fmt.Sprintf("is being sent by hoist process %d", winner.cmd.Process.Pid)
	if !strings.Contains(loser.stderr.String(), want) {
		t.Fatalf("the losing resume's stderr lacks %q:\n%s", want, loser.stderr.String())
	}
	if countState(winner.snapshot(), "done") != 1 || len(chunks(loser.snapshot(), "sent")) != 0 {
		t.Fatal("the winner did not finish, or the loser sent chunks")
	}
	if got := storedFile(t, root, "alice", "raced.bin"); len(got) != len(data) || string(got) != string(data) {
		t.Fatal("stored file differs from the local one")
	}
}
