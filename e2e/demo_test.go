package e2e

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/internal/units"
)

// demoProc is a running `hoist demo --no-ui`.
type demoProc struct {
	cmd    *exec.Cmd
	lines  chan string // its stdout, a line at a time; closed at its end
	URL    string      // the server it announced
	Token  string      // the token file it announced, relative to its directory
	stdout strings.Builder
}

var (
	demoListeningRE = regexp.MustCompile(`^hoist demo: server for user "demo" listening on (tcp://127\.0\.0\.1:\d+)$`)
	demoTokenRE     = regexp.MustCompile(`^  token: (.+)$`)
)

// startDemo runs `hoist demo --no-ui` with extra flags in dir, with its own
// HOME, and waits until it says it is ready.
func startDemo(t *testing.T, dir, home string, extra ...string) *demoProc {
	t.Helper()
	cmd := exec.Command(hoistBinary(), append([]string{"demo", "--no-ui"}, extra...)...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testkit.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &demoProc{cmd: cmd, lines: make(chan string, 64)}
	go func() { // ends when the demo closes its stdout, at exit
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		for range p.lines {
		}
		cmd.Wait()
		if t.Failed() {
			t.Logf("hoist demo stdout:\n%s\nstderr:\n%s", p.stdout.String(), stderr.String())
		}
	})
	timeout := time.After(time.Minute)
	for ready := false; !ready; {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("hoist demo ended before it was ready:\n%s\nstderr:\n%s", p.stdout.String(), stderr.String())
			}
			p.stdout.WriteString(line + "\n")
			if m := demoListeningRE.FindStringSubmatch(line); m != nil {
				p.URL = m[1]
			}
			if m := demoTokenRE.FindStringSubmatch(line); m != nil {
				p.Token = m[1]
			}
			ready = line == "Press ctrl+c to stop."
		case <-timeout:
			t.Fatalf("hoist demo not ready within a minute:\n%s\nstderr:\n%s", p.stdout.String(), stderr.String())
		}
	}
	if p.URL == "" || p.Token == "" {
		t.Fatalf("hoist demo did not announce its address and token file:\n%s", p.stdout.String())
	}
	return p
}

// interrupt stops the demo as ctrl+c does and returns all it printed.
func (p *demoProc) interrupt(t *testing.T) string {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(time.Minute)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				if err := p.cmd.Wait(); err != nil {
					t.Fatalf("hoist demo after ctrl+c: %v\n%s", err, p.stdout.String())
				}
				return p.stdout.String()
			}
			p.stdout.WriteString(line + "\n")
		case <-timeout:
			t.Fatalf("hoist demo still running a minute after ctrl+c:\n%s", p.stdout.String())
		}
	}
}

// TestDemo starts the demo as a script would, uploads a file to it with
// hoist send, stops it, and checks what it prints on the way out: where the
// files are, the command that lists them, and the listing.
func TestDemo(t *testing.T) {
	t.Parallel()
	work, home := t.TempDir(), t.TempDir()
	demo := startDemo(t, work, home)
	if demo.Token != filepath.Join("hoist-demo-data", "demo-token") {
		t.Errorf("token file %q, want it in ./hoist-demo-data", demo.Token)
	}
	wantSend := "hoist send --server " + demo.URL + " --token-file " + demo.Token + " FILE..."
	if !strings.Contains(demo.stdout.String(), wantSend) {
		t.Errorf("the demo does not show how to upload (%q):\n%s", wantSend, demo.stdout.String())
	}

	data := make([]byte, 300<<10)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(work, "holiday.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	send := exec.Command(hoistBinary(), "send", "--server", demo.URL, "--token-file", demo.Token, "--tag", "trip", "--chunk-size", "64KiB", "holiday.bin")
	send.Dir = work
	send.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	if out, err := send.CombinedOutput(); err != nil {
		t.Fatalf("hoist send: %v\n%s", err, out)
	}

	out := demo.interrupt(t)
	sum := sha256.Sum256(data)
	root := filepath.Join(work, "hoist-demo-data")
	for _, want := range []string{
		"The uploaded files are in\n  " + filepath.Join(root, "users", "demo") + "/\n",
		"List them with:\n  hoist ls --root hoist-demo-data\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's goodbye lacks %q:\n%s", want, out)
		}
	}
	listing := regexp.MustCompile(`(?m)^holiday\.bin +demo +` + regexp.QuoteMeta(units.FormatSize(uint64(len(data)))) + ` +` + hex.EncodeToString(sum[:6]) + ` +trip +\d{4}-`)
	if !listing.MatchString(out) {
		t.Errorf("the demo's listing does not show holiday.bin with its size, sha256 and tag:\n%s", out)
	}
	stored, err := os.ReadFile(filepath.Join(root, "users", "demo", "holiday.bin"))
	if err != nil || sha256.Sum256(stored) != sum {
		t.Errorf("stored file differs from the one sent (%v)", err)
	}

	// The command it printed works, from where the demo ran.
	ls := exec.Command(hoistBinary(), "ls", "--root", "hoist-demo-data")
	ls.Dir = work
	lsOut, err := ls.CombinedOutput()
	if err != nil || !listing.Match(lsOut) {
		t.Errorf("hoist ls --root hoist-demo-data: %v\n%s", err, lsOut)
	}
}

// TestDemoChaos checks that --chaos=SPEC reaches the server: the upload
// meets the faults, still completes, and the demo reports what it injected.
func TestDemoChaos(t *testing.T) {
	t.Parallel()
	work, home := t.TempDir(), t.TempDir()
	demo := startDemo(t, work, home, "--data", "chaotic", "--chaos=busy=0.3,seed=7")
	if !strings.Contains(demo.stdout.String(), "  chaos: busy=0.3,seed=7 (failing on purpose)\n") {
		t.Errorf("the demo does not say chaos is on:\n%s", demo.stdout.String())
	}
	data := make([]byte, 256<<10)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(work, "f.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	send := exec.Command(hoistBinary(), "send", "--server", demo.URL, "--token-file", demo.Token,
		"--chunk-size", "16KiB", "--retry-base", "10ms", "--retry-cap", "100ms", "f.bin")
	send.Dir = work
	send.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	if out, err := send.CombinedOutput(); err != nil {
		t.Fatalf("hoist send through chaos: %v\n%s", err, out)
	}
	out := demo.interrupt(t)
	m := regexp.MustCompile(`hoist demo: chaos injected .*\bbusy=(\d+)`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Errorf("the demo does not report busy answers injected:\n%s", out)
	}
	if !strings.Contains(out, "hoist ls --root chaotic\n") || !strings.Contains(out, "f.bin") {
		t.Errorf("the demo's goodbye lacks the listing of f.bin in ./chaotic:\n%s", out)
	}
}

func TestDemoFlags(t *testing.T) {
	t.Parallel()
	_, errOut, err := tryHoist(t, nil, "demo", "--chaos", "busy=0.5")
	if err == nil || !strings.Contains(errOut, `unexpected argument "busy=0.5" (a chaos spec goes after an equals sign: --chaos=busy=0.5)`) {
		t.Errorf("--chaos SPEC without '=': %v\n%s", err, errOut)
	}
	_, errOut, err = tryHoist(t, nil, "demo", "--chaos=busy=2")
	if err == nil || !strings.Contains(errOut, `chaos spec: term "busy=2": rate 2 is outside 0..1`) {
		t.Errorf("a bad chaos spec: %v\n%s", err, errOut)
	}
	// The usage may go to stdout or stderr, and name flags in either style
	// (-no-ui or --no-ui).
	out, errOut, err := tryHoist(t, nil, "demo", "--help")
	if help := out + errOut; err != nil || !strings.Contains(help, "Usage:") || !strings.Contains(help, "hoist demo") || !strings.Contains(help, "-no-ui") {
		t.Errorf("hoist demo --help: %v\n%s", err, help)
	}
}

// TestDemoUI runs `hoist demo` in a terminal and uses it as a newcomer
// would: select a file in the browser, queue it, start the upload, watch it
// verify, quit, and read where the file went.
func TestDemoUI(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	work, home := filepath.Join(base, "work"), filepath.Join(base, "home")
	for _, d := range []string{work, home} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := make([]byte, 200<<10)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(work, "holiday.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := fmt.Sprintf("cd %s && env -i PATH=%s HOME=%s TERM=screen %s demo --data ../demo-data; echo DEMO-EXIT=$?; sleep 600",
		shellQuote(work), shellQuote(os.Getenv("PATH")), shellQuote(home), shellQuote(hoistBinary()))
	tm := testkit.NewTerm(t, 160, 30, cmd)

	tm.WaitFor("holiday.bin")
	if s := tm.Screen(); !strings.Contains(s, "tcp://127.0.0.1:") {
		t.Errorf("the UI does not show the demo server:\n%s", s)
	}
	tm.Keys("Space")
	tm.WaitFor("[x] holiday.bin")
	tm.Keys("u")
	tm.WaitFor("1 upload, 1 file")
	tm.Keys("Enter")
	tm.WaitFor("verified")
	tm.Keys("q")
	out := tm.WaitFor("DEMO-EXIT=")

	sum := sha256.Sum256(data)
	root := filepath.Join(base, "demo-data")
	for _, want := range []string{
		"The uploaded files are in\n  " + filepath.Join(root, "users", "demo") + "/\n",
		"hoist ls --root ../demo-data",
		"DEMO-EXIT=0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("after quitting, the screen lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`holiday\.bin +demo +[\d.]+ [KMGTPE]?i?B +` + hex.EncodeToString(sum[:6])).MatchString(out) {
		t.Errorf("the demo's listing lacks holiday.bin with its sha256:\n%s", out)
	}
	if stored, err := os.ReadFile(filepath.Join(root, "users", "demo", "holiday.bin")); err != nil || sha256.Sum256(stored) != sum {
		t.Errorf("stored file differs from the one uploaded (%v)", err)
	}
}
