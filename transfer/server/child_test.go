package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/server"
)

// Some tests need a server in a process of its own: one with a small
// descriptor limit, or one whose peak memory is measured. The test binary
// re-executes itself with childEnv set; TestMain then runs runChild
// instead of the tests. The child serves on loopback, prints "ADDR
// host:port", serves until its stdin closes, then prints "HWM kB" (its
// peak resident set, VmHWM) and exits. If Serve returns early it prints
// "SERVE-ENDED reason" and exits 3.
const (
	childEnv       = "HOIST_SERVER_TEST_CHILD"
	childRootEnv   = "HOIST_SERVER_TEST_CHILD_ROOT"
	childNofileEnv = "HOIST_SERVER_TEST_CHILD_NOFILE"
	childLimitsEnv = "HOIST_SERVER_TEST_CHILD_LIMITS"
)

// runChild is the child's main; it returns the exit code.
func runChild() int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "child: "+format+"\n", args...)
		return 2
	}
	if n := os.Getenv(childNofileEnv); n != "" {
		lim, err := strconv.ParseUint(n, 10, 64)
		if err != nil {
			return fail("%v", err)
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
			return fail("setrlimit: %v", err)
		}
	}
	var limits server.Limits
	if err := json.Unmarshal([]byte(os.Getenv(childLimitsEnv)), &limits); err != nil {
		return fail("limits: %v", err)
	}
	root := os.Getenv(childRootEnv)
	secret, err := auth.ReadSecret(filepath.Join(root, auth.DefaultSecretFile))
	if err != nil {
		return fail("%v", err)
	}
	v, err := auth.NewVerifier(secret, auth.VerifyOptions{})
	if err != nil {
		return fail("%v", err)
	}
	srv, err := server.New(server.Options{Root: root, Verifier: v, Limits: limits})
	if err != nil {
		return fail("%v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("%v", err)
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	stdin := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stdin) }()
	code := 0
	select {
	case err := <-served:
		fmt.Printf("SERVE-ENDED %v\n", err)
		code = 3
	case <-stdin:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	fmt.Printf("HWM %d\n", peakRSSkB())
	return code
}

// peakRSSkB reads this process's peak resident set size (VmHWM) in kB.
func peakRSSkB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// childServer is a server running in a child process.
type childServer struct {
	t      *testing.T
	addr   string
	secret []byte
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	done   chan struct{}
}

// startChild runs a server in a child process with limits and, if nofile
// is not 0, a descriptor limit of nofile.
func startChild(t *testing.T, limits server.Limits, nofile int) *childServer {
	t.Helper()
	root := t.TempDir()
	secret, err := auth.LoadOrCreateSecret(filepath.Join(root, auth.DefaultSecretFile))
	if err != nil {
		t.Fatal(err)
	}
	lj, err := json.Marshal(limits)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childRootEnv+"="+root, childLimitsEnv+"="+string(lj))
	if nofile > 0 {
		cmd.Env = append(cmd.Env, childNofileEnv+"="+strconv.Itoa(nofile))
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &childServer{t: t, secret: secret, cmd: cmd, stdin: stdin, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-c.done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-c.done
		}
		cmd.Wait()
	})
	line, ok := c.next(30 * time.Second)
	addr, found := strings.CutPrefix(line, "ADDR ")
	if !ok || !found {
		t.Fatalf("child server did not start: %q", line)
	}
	c.addr = addr
	return c
}

// next returns the child's next line of output.
func (c *childServer) next(wait time.Duration) (string, bool) {
	select {
	case l, ok := <-c.lines:
		return l, ok
	case <-time.After(wait):
		return "", false
	}
}

// token mints a token for user.
func (c *childServer) token(user string) string {
	c.t.Helper()
	tok, err := auth.Mint(c.secret, auth.Claims{Subject: user, TTL: time.Hour})
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

// stop ends the child and returns its peak resident set in kB. It fails
// the test if the child's Serve ended early.
func (c *childServer) stop() int64 {
	c.t.Helper()
	c.stdin.Close()
	var hwm int64 = -1
	for {
		line, ok := c.next(30 * time.Second)
		if !ok {
			break
		}
		if reason, ok := strings.CutPrefix(line, "SERVE-ENDED "); ok {
			c.t.Errorf("the server stopped serving: %s", reason)
		}
		if v, ok := strings.CutPrefix(line, "HWM "); ok {
			hwm, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return hwm
}
