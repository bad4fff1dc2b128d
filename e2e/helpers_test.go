package main

// Helpers for end-to-end tests of the real binary (files named e2e_*_test.go).
// They are shared by every engineer; keep them general.
//
//	bin := hoistBinary(t)                    // built once per `go test` run
//	p := startServer(t, t.TempDir())         // hoist serve --listen 127.0.0.1:0 --root DIR
//	tok := mintToken(t, p.Root, "alice")     // hoist token --root DIR --sub alice
//	p.Addr, p.URL                            // "127.0.0.1:PORT", "tcp://127.0.0.1:PORT"
//	p.Kill(); p.Restart()                    // SIGKILL, then the same command again on the same port
//	p.Terminate()                            // SIGTERM and wait: graceful shutdown
//	out := runHoist(t, "ls", "--root", p.Root) // any subcommand, fails the test on error
//
// Servers still running when a test ends are killed at cleanup; their
// stderr is logged if the test failed.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// TestMain removes the binary built for this run and fails the run if any
// goroutine the tests started outlived them. Toxiproxy's own background
// goroutines (v2.5.0 leaves some behind after a proxy stops) are not ours.
func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	if code == 0 {
		if err := goleak.Find(
			goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).read"),
			goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run"),
		); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// hoistBinary returns the path of the hoist binary built from this
// checkout with `go build`, once per test run (with -race when the tests
// run with it, so the binary's own races are caught too).
func hoistBinary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "hoist-e2e-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "hoist")
		args := []string{"build", "-o", build.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, ".")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// runHoist runs the binary with args and returns its stdout, failing the
// test if it exits with an error.
func runHoist(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := tryHoist(t, nil, args...)
	if err != nil {
		t.Fatalf("hoist %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// tryHoist runs the binary with args, extra environment variables env
// ("K=V"), and returns stdout, stderr and the exit error.
func tryHoist(t testing.TB, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, hoistBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// mintToken returns a token for sub signed with the key of the server
// whose data directory is root (`hoist token`), valid for a day. extra
// flags (--iss, --aud, --ttl, --signing-key) are passed on.
func mintToken(t testing.TB, root, sub string, extra ...string) string {
	t.Helper()
	args := append([]string{"token", "--root", root, "--sub", sub}, extra...)
	return strings.TrimSpace(runHoist(t, args...))
}

// serverProc is a running `hoist serve` process.
type serverProc struct {
	t    testing.TB
	args []string // after "serve", with --listen pinned to Addr on restarts
	// Root is the data directory; Addr the TCP address ("127.0.0.1:PORT")
	// and URL the same as tcp://ADDR. Unix is the unix:// URL if the server
	// was given --unix.
	Root string
	Addr string
	URL  string
	Unix string

	mu     sync.Mutex
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error
}

// startServer starts `hoist serve --listen 127.0.0.1:0 --root root` plus
// extra flags, and waits until it announces its listeners. It is killed
// at cleanup if still running.
func startServer(t testing.TB, root string, extra ...string) *serverProc {
	t.Helper()
	p := &serverProc{t: t, Root: root}
	p.args = append([]string{"--listen", "127.0.0.1:0", "--root", root}, extra...)
	p.start()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("hoist serve stderr:\n%s", p.Stderr())
		}
	})
	return p
}

var listeningRE = regexp.MustCompile(`^hoist: listening on (tcp|tls|unix)://(.+)$`)

func (p *serverProc) start() {
	p.t.Helper()
	cmd := exec.Command(hoistBinary(p.t), append([]string{"serve"}, p.args...)...)
	pr, pw := io.Pipe()
	buf := &syncBuffer{}
	cmd.Stderr = io.MultiWriter(buf, pw)
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("starting hoist serve: %v", err)
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.stderr, p.exited, p.err = cmd, buf, exited, nil
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		pw.Close()
		close(exited)
	}()
	// Read announcements until every listener is up: one TCP line per
	// --listen, one unix line for --unix.
	want := strings.Count(strings.Join(p.args, " "), "--listen") + strings.Count(strings.Join(p.args, " "), "--unix")
	found := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		n := 0
		for sc.Scan() {
			m := listeningRE.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			switch m[1] {
			case "unix":
				p.Unix = "unix://" + m[2]
			default:
				if p.Addr == "" {
					p.Addr, p.URL = m[2], m[1]+"://"+m[2]
				}
			}
			if n++; n == want {
				found <- nil
				io.Copy(io.Discard, pr) // keep the pipe drained
				return
			}
		}
		found <- fmt.Errorf("hoist serve exited before listening")
	}()
	select {
	case err := <-found:
		if err != nil {
			<-exited
			p.t.Fatalf("%v: %v\nstderr:\n%s", err, p.exitErr(), buf.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		p.t.Fatalf("hoist serve did not announce its listeners within a minute\nstderr:\n%s", buf.String())
	}
}

// Kill sends SIGKILL (no graceful shutdown) and waits for the process to
// die. Killing a stopped server does nothing.
func (p *serverProc) Kill() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	select {
	case <-exited:
		return
	default:
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// Terminate sends SIGTERM and waits (up to a minute) for the graceful
// shutdown; it returns the exit error (nil for a clean exit).
func (p *serverProc) Terminate() error {
	p.t.Helper()
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(time.Minute):
		p.t.Fatalf("hoist serve did not stop within a minute of SIGTERM\nstderr:\n%s", p.Stderr())
	}
	return p.exitErr()
}

// Restart starts the server again with the same flags, on the same TCP
// port, after it was killed or terminated.
func (p *serverProc) Restart() {
	p.t.Helper()
	p.Kill()
	for i, a := range p.args {
		if a == "--listen" && i+1 < len(p.args) && p.args[i+1] == "127.0.0.1:0" && p.Addr != "" {
			p.args[i+1] = p.Addr
			break
		}
	}
	p.start()
}

// Stderr is everything the current process wrote to stderr so far.
func (p *serverProc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Pid is the process id of the running server.
func (p *serverProc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

func (p *serverProc) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
