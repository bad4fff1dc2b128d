package e2e

// End-to-end tests of `hoist send` as a real process against a real
// `hoist serve` process (and, for ssh://, a real sshd: testkit.StartSSHD).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// sendEvent is one line of `hoist send --json`, all event types in one.
type sendEvent struct {
	Type    string `json:"type"`
	FID     string `json:"fid"`
	State   string `json:"state"`
	Attempt int    `json:"attempt"`
	Error   string `json:"error"`
	// chunk
	File   int    `json:"file"`
	Index  uint64 `json:"index"`
	Size   int    `json:"size"`
	Action string `json:"action"`
	Reason string `json:"reason"`
	// progress
	WireBytes          uint64 `json:"wire_bytes"`
	DroppedChunkEvents uint64 `json:"dropped_chunk_events"`
	Files              []struct {
		Size       uint64 `json:"size"`
		AckedBytes uint64 `json:"acked_bytes"`
		State      string `json:"state"`
		SHA256     string `json:"sha256"`
	} `json:"files"`
}

// firstFID is the fid of the first event about an upload (a job's own
// events, walking for one, name none).
func firstFID(evs []sendEvent) string {
	for _, ev := range evs {
		if ev.FID != "" {
			return ev.FID
		}
	}
	return ""
}

type chunkKey struct {
	file  int
	index uint64
}

// sendProc is a running `hoist send --json`, its events parsed as they come.
type sendProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *testkit.SyncBuffer
	done   chan struct{} // stdout fully read
	exited chan struct{}
	err    error

	mu      sync.Mutex
	events  []sendEvent
	changed chan struct{}
}

func startSend(t *testing.T, env []string, args ...string) *sendProc {
	t.Helper()
	cmd := exec.Command(hoistBinary(), append([]string{"send", "--json"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &sendProc{t: t, cmd: cmd, stderr: &testkit.SyncBuffer{}, done: make(chan struct{}), exited: make(chan struct{}), changed: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev sendEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				continue // a line cut by SIGKILL
			}
			p.mu.Lock()
			p.events = append(p.events, ev)
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
	}()
	go func() {
		<-p.done
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("hoist send stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// waitFor waits until cond holds for the events so far.
func (p *sendProc) waitFor(what string, cond func([]sendEvent) bool) {
	p.t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		p.mu.Lock()
		ok, changed := cond(p.events), p.changed
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-p.exited:
			p.t.Fatalf("hoist send exited (%v) while waiting for %s\nstderr:\n%s", p.err, what, p.stderr.String())
		case <-deadline:
			p.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// wait waits for the process to exit and returns its error.
func (p *sendProc) wait() error {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(2 * time.Minute):
		p.t.Fatal("hoist send did not finish within two minutes")
		return nil
	}
}

func (p *sendProc) snapshot() []sendEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]sendEvent(nil), p.events...)
}

// ackedBytes is the acknowledged bytes in the latest progress event.
func ackedBytes(evs []sendEvent) uint64 {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == "progress" {
			var n uint64
			for _, f := range evs[i].Files {
				n += f.AckedBytes
			}
			return n
		}
	}
	return 0
}

func countState(evs []sendEvent, state string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == "session" && ev.State == state {
			n++
		}
	}
	return n
}

// chunks returns the chunks with the given action.
func chunks(evs []sendEvent, action string) map[chunkKey]int {
	m := map[chunkKey]int{}
	for _, ev := range evs {
		if ev.Type == "chunk" && ev.Action == action {
			m[chunkKey{ev.File, ev.Index}]++
		}
	}
	return m
}

// checkEvents asserts what every event sequence must satisfy: progress
// never goes back, never exceeds the size, no chunk event was dropped, and
// a done upload ends with every file verified at its full size.
func checkEvents(t *testing.T, evs []sendEvent) {
	t.Helper()
	var acked []uint64
	var wire uint64
	for i, ev := range evs {
		switch ev.Type {
		case "progress":
			if ev.DroppedChunkEvents != 0 {
				t.Errorf("event %d: %d chunk events dropped", i, ev.DroppedChunkEvents)
			}
			if ev.WireBytes < wire {
				t.Errorf("event %d: wire bytes went back", i)
			}
			wire = ev.WireBytes
			if acked == nil {
				acked = make([]uint64, len(ev.Files))
			}
			for k, f := range ev.Files {
				if f.AckedBytes > f.Size || f.AckedBytes < acked[k] {
					t.Errorf("event %d: file %d acknowledged %d of %d bytes, %d before", i, k, f.AckedBytes, f.Size, acked[k])
				}
				acked[k] = f.AckedBytes
			}
		case "session":
			if ev.State != "done" {
				continue
			}
			for k := len(evs[:i]) - 1; k >= 0; k-- {
				if evs[k].Type != "progress" {
					continue
				}
				for n, f := range evs[k].Files {
					if f.State != "verified" || f.AckedBytes != f.Size || len(f.SHA256) != 64 {
						t.Errorf("done, but file %d is %s with %d of %d bytes", n, f.State, f.AckedBytes, f.Size)
					}
				}
				break
			}
		}
	}
}

// randomFile writes n seeded pseudo-random bytes.
func randomFile(t *testing.T, dir, name string, n int, seed uint64) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// storedFile returns the content of the completed file name of user in
// the server's data directory, via `hoist ls --json`.
func storedFile(t *testing.T, root, user, name string) []byte {
	t.Helper()
	out := runHoist(t, "ls", "--root", root, "--user", user, "--json")
	for line := range strings.Lines(out) {
		var rec struct{ Name, Path, SHA256 string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("hoist ls --json: %v", err)
		}
		if rec.Name == name {
			b, err := os.ReadFile(filepath.Join(root, rec.Path))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("hoist ls shows no %q for %s:\n%s", name, user, out)
	return nil
}

func writeToken(t *testing.T, root string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(mintToken(t, root, "alice")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sendFlags are the flags every test upload uses: small chunks and a small
// window so that a few MB take many round trips, fast retries.
func sendFlags(server, tokenFile string) []string {
	return []string{"--server", server, "--token-file", tokenFile, "--chunk-size", "16KiB",
		"--window-chunks", "4", "--retry-base", "50ms", "--retry-cap", "500ms", "--read-timeout", "10s"}
}

func TestSendSurvivesServerKill(t *testing.T) {
	// Serial: the server must die between a quarter of the upload and its end,
	// a window of a fraction of a second that a loaded CPU can close.
	root := t.TempDir()
	// Every Ok is held back a little, so the upload is still running when
	// the server dies.
	srv := startServer(t, root, "--chaos", "delay=1:3ms")
	path, data := randomFile(t, t.TempDir(), "big.bin", 6<<20, 1)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	p := startSend(t, env, append(sendFlags(srv.URL, writeToken(t, root)), path)...)

	p.waitFor("a quarter acknowledged", func(evs []sendEvent) bool { return ackedBytes(evs) >= uint64(len(data))/4 })
	srv.Kill()
	p.waitFor("a reconnect attempt", func(evs []sendEvent) bool { return countState(evs, "backing off") > 0 })
	before := ackedBytes(p.snapshot())
	srv.Restart()
	if err := p.wait(); err != nil {
		t.Fatalf("hoist send: %v\nstderr:\n%s", err, p.stderr.String())
	}
	evs := p.snapshot()
	checkEvents(t, evs)
	if !bytes.Equal(storedFile(t, root, "alice", "big.bin"), data) {
		t.Fatal("stored file differs from the local one")
	}
	t.Logf("server killed with %d of %d bytes acknowledged; %d reconnect attempts; %d chunks resent",
		before, len(data), countState(evs, "backing off"), len(chunks(evs, "resent")))
}

func TestSendKilledThenResumeSendsOnlyWhatIsMissing(t *testing.T) {
	// Serial: the client must die between a third of the upload and its end, a
	// window of a fraction of a second that a loaded CPU can close.
	root := t.TempDir()
	srv := startServer(t, root, "--chaos", "delay=1:3ms")
	path, data := randomFile(t, t.TempDir(), "big.bin", 6<<20, 2)
	tokenFile := writeToken(t, root)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}

	first := startSend(t, env, append(sendFlags(srv.URL, tokenFile), path)...)
	first.waitFor("a third acknowledged", func(evs []sendEvent) bool { return ackedBytes(evs) >= uint64(len(data))/3 })
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.wait()
	run1 := first.snapshot()
	checkEvents(t, run1)
	acked := chunks(run1, "acknowledged")

	second := startSend(t, env, "--resume", "--token-file", tokenFile)
	if err := second.wait(); err != nil {
		t.Fatalf("hoist send --resume: %v\nstderr:\n%s", err, second.stderr.String())
	}
	run2 := second.snapshot()
	checkEvents(t, run2)
	if countState(run2, "done") != 1 {
		t.Fatalf("resume did not finish the upload: %d done events", countState(run2, "done"))
	}
	if started, resumed := firstFID(run1), firstFID(run2); started == "" || started != resumed {
		t.Fatalf("resumed fid %s, started %s", resumed, started)
	}
	sent := chunks(run2, "sent")
	for k := range chunks(run2, "resent") {
		sent[k]++
	}
	again := 0
	for k := range acked {
		if sent[k] > 0 {
			again++
		}
	}
	total := (len(data) + 16<<10 - 1) / (16 << 10)
	t.Logf("killed after %d of %d chunks were acknowledged; the resume sent %d chunks, %d of them acknowledged before",
		len(acked), total, len(sent), again)
	if again != 0 {
		t.Fatalf("%d acknowledged chunks were sent again", again)
	}
	// Chunks in flight when the client died may have reached the server
	// without their Ok being printed: at most one window (--window-chunks 4).
	if missing := total - len(acked) - len(sent); missing < 0 || missing > 4 {
		t.Fatalf("%d acknowledged + %d resumed chunks leave %d of %d unexplained", len(acked), len(sent), missing, total)
	}
	if !bytes.Equal(storedFile(t, root, "alice", "big.bin"), data) {
		t.Fatal("stored file differs from the local one")
	}
	if out, _, _ := tryHoist(t, env, "send", "--resume", "--token-file", tokenFile); strings.TrimSpace(out) != "" {
		t.Fatalf("a second resume found work: %q", out)
	}
}

func TestSendOverSSH(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	hoist.InitRoot(t, root)
	bin := hoistBinary()
	sshd := testkit.StartSSHD(t)
	path, data := randomFile(t, t.TempDir(), "via-ssh.bin", 3<<20, 3)
	// No hoist server is listening anywhere: the only way in is sshd
	// running `hoist serve --stdio` for this connection.
	p := startSend(t, []string{"XDG_STATE_HOME=" + t.TempDir()},
		"--server", fmt.Sprintf("ssh://%s@127.0.0.1:%d", sshd.User, sshd.Port),
		"--ssh-command", sshd.ClientCommand(),
		"--remote-command", bin+" serve --stdio --root "+root,
		"--token-file", writeToken(t, root), "--chunk-size", "64KiB", "--tag", "ssh", path)
	if err := p.wait(); err != nil {
		t.Fatalf("hoist send over ssh: %v\nstderr:\n%s\nsshd:\n%s", err, p.stderr.String(), sshd.Log())
	}
	evs := p.snapshot()
	checkEvents(t, evs)
	if countState(evs, "done") != 1 || len(chunks(evs, "acknowledged")) != 48 {
		t.Fatalf("%d done events, %d chunks acknowledged; want 1 and 48", countState(evs, "done"), len(chunks(evs, "acknowledged")))
	}
	if !bytes.Equal(storedFile(t, root, "alice", "via-ssh.bin"), data) {
		t.Fatal("stored file differs from the local one")
	}
	if !strings.Contains(sshd.Log(), "Accepted publickey for "+sshd.User) {
		t.Fatalf("sshd did not log the login:\n%s", sshd.Log())
	}
}

func TestSendOverSSHWithAWrongKeyStopsWithSSHsReason(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	hoist.InitRoot(t, root)
	sshd := testkit.StartSSHD(t)
	path, _ := randomFile(t, t.TempDir(), "f.bin", 10<<10, 4)
	stranger := filepath.Join(t.TempDir(), "stranger")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	ssh := strings.Replace(sshd.ClientCommand(), sshd.Key, stranger, 1)
	_, errOut, err := tryHoist(t, []string{"XDG_STATE_HOME=" + t.TempDir()}, "send",
		"--server", fmt.Sprintf("ssh://%s@127.0.0.1:%d", sshd.User, sshd.Port), "--ssh-command", ssh,
		"--token-file", writeToken(t, root), "--retry-attempts", "0", path)
	if err == nil || !strings.Contains(errOut, "Permission denied") {
		t.Fatalf("want a failure quoting ssh's reason; got %v\n%s", err, errOut)
	}
}

func TestSendQuotaFailsAtOnceWithTheReason(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root, "--quota", "1MiB")
	path, _ := randomFile(t, t.TempDir(), "big.bin", 2<<20, 4)
	out, errOut, err := tryHoist(t, []string{"XDG_STATE_HOME=" + t.TempDir()},
		append(append([]string{"send"}, sendFlags(srv.URL, writeToken(t, root))...), "--retry-attempts", "0", path)...)
	if err == nil {
		t.Fatalf("hoist send succeeded over quota:\n%s", out)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1", err)
	}
	if !strings.Contains(errOut, "quota") || strings.Contains(out, "retrying") {
		t.Fatalf("want the quota reason and no retry\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestSendPlainOutputAndDirectories(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root)
	dir := t.TempDir()
	randomFile(t, dir, "one.bin", 100<<10, 5)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	randomFile(t, filepath.Join(dir, "sub"), "two.bin", 200<<10, 6)
	randomFile(t, dir, "empty", 0, 7)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	flags := append([]string{"send"}, sendFlags(srv.URL, writeToken(t, root))...)
	out, errOut, err := tryHoist(t, env, append(flags, "--tag", "x", dir)...)
	if err != nil {
		t.Fatalf("hoist send: %v\n%s\n%s", err, out, errOut)
	}
	base := filepath.Base(dir) // a directory is sent under its base name, with its paths
	for _, want := range []string{"3 file(s)", "verified " + base + "/one.bin", "verified " + base + "/sub/two.bin", "verified " + base + "/empty", "done, 3 file(s) verified"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("plain output holds control characters:\n%q", out)
	}
	t.Logf("output:\n%s", out)

	// Two directories that would be sent under one name are refused
	// before anything is sent.
	other := t.TempDir()
	twin := filepath.Join(other, base)
	os.Mkdir(twin, 0o755)
	randomFile(t, twin, "one.bin", 10, 8)
	_, errOut, err = tryHoist(t, env, append(flags, dir, twin)...)
	if err == nil || !strings.Contains(errOut, `would both be sent as "`+base+`"`) {
		t.Fatalf("duplicate names: %v\n%s", err, errOut)
	}

	// A name the server would refuse is not sent and fails with the
	// reason, and no terminal escape from the name reaches the output.
	randomFile(t, other, "odd\x1b[31mname", 10, 9)
	out, errOut, err = tryHoist(t, env, append(flags, filepath.Join(other, "odd\x1b[31mname"))...)
	if err == nil || !strings.Contains(errOut, "control character") || strings.Contains(out+errOut, "\x1b") {
		t.Fatalf("odd name: %v\nstdout %q\nstderr %q", err, out, errOut)
	}
}

// TestSendDiscardForgetsAnUnfinishedUpload checks `hoist send --discard`: an
// upload the server accepted, whose server then died, gives up after the
// retry budget and stays in the journal for --resume until it is discarded
// (by a prefix of its fid), after which --resume finds nothing and
// discarding it again is an error.
func TestSendDiscardForgetsAnUnfinishedUpload(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	srv := startServer(t, root, "--chaos", "delay=1:20ms")
	tokenFile := writeToken(t, root)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	path, _ := randomFile(t, t.TempDir(), "kept.bin", 2<<20, 3)

	p := startSend(t, env, append(sendFlags(srv.URL, tokenFile), "--window-chunks", "1", "--retry-budget", "2s", path)...)
	p.waitFor("the first acknowledged chunk", func(evs []sendEvent) bool { return len(chunks(evs, "acknowledged")) > 0 })
	srv.Kill()
	if err := p.wait(); exitCode(err) != 1 {
		t.Fatalf("hoist send whose server died: %v, want exit status 1", err)
	}
	if errOut := p.stderr.String(); !strings.Contains(errOut, "giving up after") || !strings.Contains(errOut, "retry budget 2s") {
		t.Fatalf("hoist send did not say it spent its retry budget:\n%s", errOut)
	}
	fid := sentFID(t, p)
	if got := listUnfinished(t, env); len(got) != 1 || got[0].FID != fid {
		t.Fatalf("the accepted upload %s is not journaled: %+v", fid, got)
	}

	// The server is down: the upload is forgotten here, and the notice says
	// the server keeps the partial data.
	out, errOut, err := tryHoist(t, env, "send", "--discard", fid[:5], "--token-file", tokenFile)
	if err != nil || !strings.Contains(out, "discarded "+fid[:8]+" here") || !strings.Contains(errOut, "keeps the partial upload") {
		t.Fatalf("hoist send --discard %s: %v\nstdout: %s\nstderr: %s", fid[:5], err, out, errOut)
	}
	if out, errOut, err := tryHoist(t, env, "send", "--resume", "--token-file", tokenFile); err != nil || strings.TrimSpace(out) != "" ||
		!strings.Contains(errOut, "nothing to resume") {
		t.Fatalf("hoist send --resume after discard: %v, output %q, stderr %q; want nothing to do", err, out, errOut)
	}
	if _, errOut, err := tryHoist(t, env, "send", "--discard", fid); err == nil || !strings.Contains(errOut, "no upload's fid starts with") {
		t.Fatalf("discarding %s twice: %v; stderr: %s", fid, err, errOut)
	}
}
