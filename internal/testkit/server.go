package testkit

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running `hoist serve` process. Servers still running when
// the test ends are killed at cleanup; their stderr is logged if the test
// failed.
type Server struct {
	t    testing.TB
	bin  string
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
	stderr *SyncBuffer
	exited chan struct{}
	err    error
}

// StartServer starts `hoist serve --listen 127.0.0.1:0 --root root` plus
// extra flags, and waits until it announces its listeners.
func (h Hoist) StartServer(t testing.TB, root string, extra ...string) *Server {
	t.Helper()
	return h.StartServerArgs(t, root, append([]string{"--listen", "127.0.0.1:0", "--root", root}, extra...))
}

// StartServerArgs starts `hoist serve` with exactly args, which name root
// as its data directory and one or more listeners, and waits until it
// announces every --listen and --unix listener.
func (h Hoist) StartServerArgs(t testing.TB, root string, args []string) *Server {
	t.Helper()
	p := &Server{t: t, bin: h.Path, Root: root, args: args}
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

func (p *Server) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, append([]string{"serve"}, p.args...)...)
	pr, pw := io.Pipe()
	buf := &SyncBuffer{}
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
	joined := strings.Join(p.args, " ")
	want := strings.Count(joined, "--listen") + strings.Count(joined, "--unix")
	found := make(chan error, 1)
	go func() { // ends when the process's stderr closes, at its exit
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
func (p *Server) Kill() {
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
func (p *Server) Terminate() error {
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
func (p *Server) Restart() {
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
func (p *Server) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Pid is the process id of the running server.
func (p *Server) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

func (p *Server) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
