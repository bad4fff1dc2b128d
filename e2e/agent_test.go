package e2e

// End-to-end tests of the background agent: `hoist send --detach`, `hoist
// status`, `hoist send --wait`, an agent killed mid-upload, and another
// user knocking on its socket.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/transfer/agent"
)

// agentEnv is a private runtime and state directory for one test's agent;
// the agent is killed at the end of the test if it still runs.
type agentEnv struct {
	runtime string
	state   string
}

func newAgentEnv(t *testing.T) agentEnv {
	t.Helper()
	a := agentEnv{runtime: t.TempDir(), state: t.TempDir()}
	t.Cleanup(func() {
		// The log tells also why an agent that is gone left.
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(a.state, "hoist", "agent.log")); err == nil {
				t.Logf("agent log:\n%s", log)
			}
		}
		a.kill(t)
	})
	return a
}

// agentIdleTimeout is the agent's idle timeout in these tests: long enough
// that a loaded CI machine never idles the agent out between two commands of
// one test (each test's agent is killed at its end anyway).
const agentIdleTimeout = "HOIST_AGENT_IDLE_TIMEOUT=2m"

// env is the environment of hoist commands that use this agent.
func (a agentEnv) env() []string {
	return []string{"XDG_RUNTIME_DIR=" + a.runtime, "XDG_STATE_HOME=" + a.state, agentIdleTimeout}
}

// dir is where the agent's socket and lock file are.
func (a agentEnv) dir() string { return filepath.Join(a.runtime, "hoist") }

// kill kills the agent with SIGKILL if it runs and waits until it is gone;
// it reports whether it killed one.
func (a agentEnv) kill(t *testing.T) bool {
	t.Helper()
	pid := agent.ReadPID(a.dir())
	if pid <= 0 {
		return false
	}
	// Only this test's agent: its command line names the binary under test.
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil ||
		!strings.HasPrefix(string(cmdline), hoistBinary()+"\x00agent") {
		return false
	}
	if syscall.Kill(pid, syscall.SIGKILL) != nil {
		return false
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("agent %d still runs 10s after SIGKILL", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// status runs `hoist status --json`.
func (a agentEnv) status(t *testing.T) statusJSON {
	t.Helper()
	out, errOut, err := tryHoist(t, a.env(), "status", "--json")
	if err != nil {
		t.Fatalf("hoist status --json: %v\n%s", err, errOut)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("hoist status --json printed %q: %v", out, err)
	}
	return st
}

type statusJSON struct {
	Agent *struct {
		PID int `json:"pid"`
	} `json:"agent"`
	Jobs    []agent.JobInfo    `json:"jobs"`
	Uploads []agent.UploadInfo `json:"uploads"`
}

func TestSendDetachStatusAndWait(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	root := t.TempDir()
	hoist.InitRoot(t, root)
	tokenFile := writeToken(t, root)
	path, data := randomFile(t, t.TempDir(), "detached.bin", 2<<20, 7)
	// No server listens on the port yet, so the upload cannot end before
	// the test has looked at it: --detach must return while it retries.
	port := testkit.FreePort(t)
	server := fmt.Sprintf("tcp://127.0.0.1:%d", port)

	out, errOut, err := tryHoist(t, a.env(), append([]string{"send", "--detach"}, append(sendFlags(server, tokenFile), path)...)...)
	if err != nil {
		t.Fatalf("hoist send --detach: %v\n%s", err, errOut)
	}
	fid := strings.TrimSpace(out)
	if len(fid) != 8 {
		t.Fatalf("hoist send --detach printed %q, want a short fid", out)
	}

	st := a.status(t)
	if st.Agent == nil || st.Agent.PID <= 0 || len(st.Uploads) != 1 {
		t.Fatalf("hoist status --json: %+v, want one upload of a running agent", st)
	}
	up := st.Uploads[0]
	if !strings.HasPrefix(up.FID, fid) || up.Final || up.TotalBytes != uint64(len(data)) || up.Server != server {
		t.Fatalf("status lists %+v; want upload %s of %d bytes to %s, not ended", up, fid, len(data), server)
	}

	hoist.StartServerArgs(t, root, []string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--root", root})
	out, errOut, err = tryHoist(t, a.env(), "send", "--wait", fid)
	if err != nil {
		t.Fatalf("hoist send --wait %s: %v\nstdout %q\nstderr:\n%s", fid, err, out, errOut)
	}
	if !strings.Contains(out, fid+" verified") {
		t.Fatalf("hoist send --wait printed %q", out)
	}
	if got := storedFile(t, root, "alice", "detached.bin"); string(got) != string(data) {
		t.Fatal("stored file differs from the local one")
	}
	st = a.status(t)
	if len(st.Uploads) != 1 || st.Uploads[0].State != "done" || !st.Uploads[0].Final || st.Uploads[0].AckedBytes != uint64(len(data)) {
		t.Fatalf("after --wait, status lists %+v; want the upload done", st.Uploads)
	}
	// An upload that failed makes --wait fail.
	if _, _, err := tryHoist(t, a.env(), "send", "--wait", "ffffffff"); err == nil {
		t.Fatal("hoist send --wait of an unknown fid succeeded")
	}
}

// follower is a running `hoist status --follow --json`.
type follower struct {
	mu      sync.Mutex
	msgs    []agent.Message
	changed chan struct{}
	cmd     *exec.Cmd
	done    chan struct{}
}

func startFollow(t *testing.T, env []string) *follower {
	t.Helper()
	cmd := exec.Command(hoistBinary(), "status", "--follow", "--json")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	f := &follower{cmd: cmd, changed: make(chan struct{}), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(f.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var m agent.Message
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			f.mu.Lock()
			f.msgs = append(f.msgs, m)
			close(f.changed)
			f.changed = make(chan struct{})
			f.mu.Unlock()
		}
		io.Copy(io.Discard, out)
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-f.done
	})
	return f
}

// waitFor waits until cond holds for the messages so far.
func (f *follower) waitFor(t *testing.T, what string, cond func([]agent.Message) bool) {
	t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		f.mu.Lock()
		ok, changed := cond(f.msgs), f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-f.done:
			t.Fatalf("hoist status --follow ended while waiting for %s", what)
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (f *follower) snapshot() []agent.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]agent.Message(nil), f.msgs...)
}

// agentAcked is the chunks the follower saw acknowledged, and the
// acknowledged bytes of the latest progress event.
func agentAcked(msgs []agent.Message) (map[chunkKey]int, uint64) {
	acked := map[chunkKey]int{}
	var bytes uint64
	for _, m := range msgs {
		ev := m.Event
		switch {
		case ev == nil:
		case ev.Type == "chunk" && ev.Action == 1:
			acked[chunkKey{ev.File, ev.Index}]++
		case ev.Type == "progress":
			bytes = 0
			for _, f := range ev.Files {
				bytes += f.AckedBytes
			}
		}
	}
	return acked, bytes
}

func TestAgentKilledMidUploadResumesFromTheJournal(t *testing.T) {
	// Serial: the agent must die between a third of the upload and its end.
	a := newAgentEnv(t)
	root := t.TempDir()
	srv := startServer(t, root, "--chaos", "delay=1:3ms")
	tokenFile := writeToken(t, root)
	path, data := randomFile(t, t.TempDir(), "big.bin", 6<<20, 8)

	out, errOut, err := tryHoist(t, a.env(), append([]string{"send", "--detach"}, append(sendFlags(srv.URL, tokenFile), path)...)...)
	if err != nil {
		t.Fatalf("hoist send --detach: %v\n%s", err, errOut)
	}
	fid := strings.TrimSpace(out)
	f := startFollow(t, a.env())
	f.waitFor(t, "a third acknowledged", func(msgs []agent.Message) bool {
		_, b := agentAcked(msgs)
		return b >= uint64(len(data))/3
	})
	if !a.kill(t) {
		t.Fatal("no agent to kill")
	}
	select {
	case <-f.done: // the agent's end ends the follower
	case <-time.After(30 * time.Second):
		t.Fatal("hoist status --follow went on after the agent was killed")
	}
	acked, held := agentAcked(f.snapshot())

	second := startSend(t, a.env(), "--resume", "--token-file", tokenFile)
	if err := second.wait(); err != nil {
		t.Fatalf("hoist send --resume: %v\nstderr:\n%s", err, second.stderr.String())
	}
	run := second.snapshot()
	checkEvents(t, run)
	if countState(run, "done") != 1 || !strings.HasPrefix(run[0].FID, fid) {
		t.Fatalf("resume did not finish upload %s: %d done events, first event of %s", fid, countState(run, "done"), run[0].FID)
	}
	sent := chunks(run, "sent")
	for k := range chunks(run, "resent") {
		sent[k]++
	}
	for k := range acked {
		if sent[k] > 0 {
			t.Fatalf("chunk %+v, acknowledged to the agent before it was killed, was sent again", k)
		}
	}
	total := (len(data) + 16<<10 - 1) / (16 << 10)
	heldChunks := int(held / (16 << 10))
	t.Logf("agent killed with %d of %d chunks acknowledged; the resume sent %d", heldChunks, total, len(sent))
	if len(sent) > total-heldChunks {
		t.Fatalf("the resume sent %d chunks, but the server held %d of %d", len(sent), heldChunks, total)
	}
	if got := storedFile(t, root, "alice", "big.bin"); string(got) != string(data) {
		t.Fatal("stored file differs from the local one")
	}
}

// asNobody runs hoist with args as the user nobody, with env.
func asNobody(t *testing.T, bin string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// openUp makes dir and every directory above it traversable by others.
func openUp(t *testing.T, dir string) {
	t.Helper()
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAgentRefusesAnotherUser(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Fatal("this test runs a client as nobody, which needs root")
	}
	a := newAgentEnv(t)
	// nobody's copy of the binary: the test's own is in a private directory.
	binDir := t.TempDir()
	bin := filepath.Join(binDir, "hoist")
	b, err := os.ReadFile(hoistBinary())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	openUp(t, binDir)
	openUp(t, a.runtime)

	// The owner starts the agent (no upload: status does not start one, so
	// a detached send against nothing does).
	_, _, _ = tryHoist(t, a.env(), "send", "--detach", "--server", "127.0.0.1:1", "--token", "x", "--retry-attempts", "0", bin)
	st := a.status(t)
	if st.Agent == nil {
		t.Fatal("the agent did not start")
	}
	env := []string{"XDG_RUNTIME_DIR=" + a.runtime, "XDG_STATE_HOME=/nonexistent"}

	// Layer one: the socket's directory is the owner's alone.
	fi, err := os.Stat(a.dir())
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("agent directory: %v, %v; want mode 0700", fi, err)
	}
	out, err := asNobody(t, bin, env, "status", "--json")
	if err == nil || !strings.Contains(out, "permission denied") {
		t.Fatalf("nobody's hoist status through a 0700 directory: %v\n%s\nwant permission denied", err, out)
	}

	// Layer two: with the files opened up, the agent itself refuses the
	// peer by its credentials.
	if err := os.Chmod(a.dir(), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(agent.SocketPath(a.dir()), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status", "--json"}, {"send", "--wait", st.Uploads[0].FID}} {
		out, err = asNobody(t, bin, env, args...)
		if err == nil || !strings.Contains(out, "refused: this hoist agent serves uid 0 only, and you are uid 65534") {
			t.Fatalf("nobody's hoist %s: %v\n%s\nwant the agent's refusal", strings.Join(args, " "), err, out)
		}
		if strings.Contains(out, "uploads") || strings.Contains(out, st.Uploads[0].FID) {
			t.Fatalf("nobody learnt about the owner's uploads:\n%s", out)
		}
	}
	// The owner still gets through.
	if st := a.status(t); st.Agent == nil || len(st.Uploads) != 1 {
		t.Fatalf("the owner's status after the refusals: %+v", st)
	}
}

// TestSendDetachDirectoryGoesUpInParts: a directory handed to the agent is
// a job, sent in parts of the server's files-per-upload limit with its
// paths, as `hoist send` without --detach sends it; --wait takes the job's
// id, and status lists each part with its job. Before, the agent sent a
// tree as one upload, and a server refused one over its limit.
func TestSendDetachDirectoryGoesUpInParts(t *testing.T) {
	t.Parallel()
	a := newAgentEnv(t)
	root := t.TempDir()
	hoist.InitRoot(t, root)
	tokenFile := writeToken(t, root)
	port := testkit.FreePort(t)
	server := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	hoist.StartServerArgs(t, root, []string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--root", root, "--max-files", "2"})

	dir := filepath.Join(t.TempDir(), "reports")
	want := map[string][]byte{}
	for i := range 5 {
		sub := filepath.Join(dir, fmt.Sprintf("q%d", i%2))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		_, data := randomFile(t, sub, fmt.Sprintf("r%d.csv", i), 3000+i, uint64(i))
		want[fmt.Sprintf("reports/q%d/r%d.csv", i%2, i)] = data
	}
	out, errOut, err := tryHoist(t, a.env(), append([]string{"send", "--detach"}, append(sendFlags(server, tokenFile), dir)...)...)
	if err != nil {
		t.Fatalf("hoist send --detach %s: %v\n%s", dir, err, errOut)
	}
	job := strings.TrimSpace(out)
	if len(job) != 8 {
		t.Fatalf("hoist send --detach printed %q, want a short job id", out)
	}
	out, errOut, err = tryHoist(t, a.env(), "send", "--wait", job)
	if err != nil || !strings.Contains(out, job+" verified") {
		t.Fatalf("hoist send --wait %s: %v\nstdout %q\nstderr:\n%s", job, err, out, errOut)
	}
	for name, data := range want {
		if got := storedFile(t, root, "alice", name); string(got) != string(data) {
			t.Fatalf("%s: stored content differs from the local file", name)
		}
	}
	st := a.status(t)
	if st.Agent == nil {
		t.Fatal("hoist status found no agent after hoist send --wait")
	}
	files := 0
	for i, up := range st.Uploads {
		if !strings.HasPrefix(up.Job, job) || up.Part != i+1 || up.State != "done" {
			t.Fatalf("status lists %+v as upload %d; want part %d of job %s, done", up, i+1, i+1, job)
		}
		files += len(up.Files)
	}
	if len(st.Uploads) != 3 || files != 5 {
		t.Fatalf("status lists %d parts with %d files, want 3 parts with 5", len(st.Uploads), files)
	}
	if len(st.Jobs) != 1 || !strings.HasPrefix(st.Jobs[0].ID, job) || st.Jobs[0].State != "done" ||
		st.Jobs[0].Parts != 3 || st.Jobs[0].Walk.Files != 5 {
		t.Fatalf("status lists jobs %+v, want job %s done, 3 parts, 5 files walked", st.Jobs, job)
	}
	text, errOut, err := tryHoist(t, a.env(), "status")
	if err != nil || !strings.Contains(text, "1 job(s)") || !strings.Contains(text, "job "+job+"  done") ||
		!strings.Contains(text, "5 file(s) found") || !strings.Contains(text, "3 part(s)") {
		t.Fatalf("hoist status: %v\n%s%s\nwant the job's line: done, 5 files found, 3 parts", err, text, errOut)
	}
	// The same directory again: every file is already there, nothing is sent.
	out, errOut, err = tryHoist(t, a.env(), append([]string{"send", "--detach"}, append(sendFlags(server, tokenFile), dir)...)...)
	if err != nil {
		t.Fatalf("hoist send --detach again: %v\n%s", err, errOut)
	}
	again := strings.TrimSpace(out)
	if out, errOut, err := tryHoist(t, a.env(), "send", "--wait", again); err != nil {
		t.Fatalf("hoist send --wait %s: %v\n%s%s", again, err, out, errOut)
	}
	st = a.status(t)
	if len(st.Uploads) != 3 {
		t.Fatalf("a second send of the same directory started %d more upload(s), want none", len(st.Uploads)-3)
	}
	if len(st.Jobs) != 2 || st.Jobs[1].State != "done" || st.Jobs[1].Parts != 0 || st.Jobs[1].AlreadyThere != 5 {
		t.Fatalf("status lists jobs %+v, want a second job done with no part and 5 files already there", st.Jobs)
	}
}

// hoist status --follow tells a job's story as it happens: its parts as
// they start and its end, and with --json every message as a JSON line.
func TestStatusFollowShowsAJobToItsEnd(t *testing.T) {
	t.Parallel()
	f := newDetachFixture(t, "logs", 4, 512<<10)
	a := f.a
	// A first upload starts the agent, so that status has one to follow.
	one, _ := randomFile(t, t.TempDir(), "first.bin", 1000, 9)
	first := f.sendDetach(t, one)
	if _, errOut, err := tryHoist(t, a.env(), "send", "--wait", first); err != nil {
		t.Fatalf("hoist send --wait: %v\n%s", err, errOut)
	}

	// Both are following (they printed the agent's state) before the job
	// starts.
	text := followStatus(t, a, "--follow")
	text.waitFor(t, "hoist agent (pid ")
	jsonLines := followStatus(t, a, "--follow", "--json")
	jsonLines.waitFor(t, `"upload":{"fid":"`+first)
	job := f.sendDetach(t, f.dir)
	text.waitFor(t, "job "+job+"  walking")
	text.waitFor(t, "job "+job+"  part 1 started: upload ")
	text.waitFor(t, "job "+job+"  part 2 started: upload ")
	text.waitFor(t, "job "+job+"  done  4 file(s) found, 2 part(s), 0 already there")
	jsonLines.waitFor(t, `"job_started":{"id":"`+job)
	jsonLines.waitFor(t, `"type":"job"`)
}

// detachFixture is an agent, a server that takes at most 2 files per
// upload and delays every chunk a little, and a directory of random files
// to send to it.
type detachFixture struct {
	a         agentEnv
	srv       *testkit.Server
	tokenFile string
	dir       string
}

// newDetachFixture starts the server and writes n files of size bytes in
// a new directory called name.
func newDetachFixture(t *testing.T, name string, n, size int) detachFixture {
	t.Helper()
	root := t.TempDir()
	f := detachFixture{a: newAgentEnv(t), srv: startServer(t, root, "--max-files", "2", "--chaos", "delay=1:5ms"),
		tokenFile: writeToken(t, root), dir: filepath.Join(t.TempDir(), name)}
	if err := os.Mkdir(f.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		randomFile(t, f.dir, fmt.Sprintf("f%d.bin", i), size, uint64(i))
	}
	return f
}

// sendDetach hands path to the agent and returns the short id printed.
func (f detachFixture) sendDetach(t *testing.T, path string) string {
	t.Helper()
	out, errOut, err := tryHoist(t, f.a.env(), append(append([]string{"send", "--detach"}, sendFlags(f.srv.URL, f.tokenFile)...), path)...)
	if err != nil {
		t.Fatalf("hoist send --detach %s: %v\n%s", path, err, errOut)
	}
	return strings.TrimSpace(out)
}

// followed is a running `hoist status --follow` whose lines are read as
// they come.
type followed struct {
	lines chan string
}

func followStatus(t *testing.T, a agentEnv, args ...string) *followed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, hoistBinary(), append([]string{"status"}, args...)...)
	cmd.Env = append(os.Environ(), a.env()...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f := &followed{lines: make(chan string, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(f.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			f.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		for range f.lines { // drain, so the reader ends
		}
		<-done
		cmd.Wait()
	})
	return f
}

// waitFor reads lines until one contains want.
func (f *followed) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	var seen []string
	for {
		select {
		case line, ok := <-f.lines:
			if !ok {
				t.Fatalf("hoist status --follow ended before printing %q:\n%s", want, strings.Join(seen, "\n"))
			}
			if strings.Contains(line, want) {
				return
			}
			seen = append(seen, line)
		case <-deadline:
			t.Fatalf("hoist status --follow did not print %q within 60s:\n%s", want, strings.Join(seen, "\n"))
		}
	}
}
