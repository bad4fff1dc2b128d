package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sandbox is a home of hoist's own for one test: HOME and the XDG
// directories under a temporary directory, and no HOIST_* variables but
// those a test sets.
type sandbox struct {
	t    *testing.T
	home string
	vars map[string]string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	home := t.TempDir()
	return &sandbox{t: t, home: home, vars: map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"XDG_DATA_HOME":   filepath.Join(home, "data"),
		"XDG_STATE_HOME":  filepath.Join(home, "state"),
	}}
}

// writeConfig writes the default config file of the sandbox.
func (s *sandbox) writeConfig(text string) {
	s.t.Helper()
	path := filepath.Join(s.vars["XDG_CONFIG_HOME"], "hoist", "config.toml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

// env returns an Env writing to stdout and stderr.
func (s *sandbox) env(stdout, stderr *syncBuffer) Env {
	s.t.Helper()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { devNull.Close() })
	return Env{
		Stdin: devNull, Stdout: stdout, Stderr: stderr,
		Getenv: func(k string) string { return s.vars[k] },
		Build:  Build{Version: "1.2.3", Commit: "abc", Date: "2026-01-01"},
	}
}

// result is what one run of hoist left.
type result struct {
	stdout, stderr string
	code           int
}

// run runs hoist with args in-process, bounded by a minute.
func (s *sandbox) run(args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr syncBuffer
	code := Run(ctx, s.env(&stdout, &stderr), args)
	return result{stdout.String(), stderr.String(), code}
}

// mustRun runs hoist and fails the test unless it exits 0.
func (s *sandbox) mustRun(args ...string) string {
	s.t.Helper()
	r := s.run(args...)
	if r.code != 0 {
		s.t.Fatalf("hoist %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// syncBuffer is a bytes.Buffer that goroutines (a server's listeners, its
// logger) may write to at once, and that tells when a line starting with
// prefix has arrived (see await).
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	waiters []waiter
}

type waiter struct {
	prefix string
	found  chan string
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	b.notify()
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// notify hands every waiter whose line has arrived the rest of that line.
func (b *syncBuffer) notify() {
	kept := b.waiters[:0]
	for _, w := range b.waiters {
		if rest, ok := lineAfter(b.buf.String(), w.prefix); ok {
			w.found <- rest
			continue
		}
		kept = append(kept, w)
	}
	b.waiters = kept
}

// lineAfter finds a complete line of text starting with prefix and returns
// the rest of it.
func lineAfter(text, prefix string) (string, bool) {
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, "\n") {
			return strings.TrimSuffix(line[len(prefix):], "\n"), true
		}
	}
	return "", false
}

// await returns the rest of the first line starting with prefix, waiting
// for it until the deadline; it fails the test after that.
func (b *syncBuffer) await(t *testing.T, prefix string, within time.Duration) string {
	t.Helper()
	found := make(chan string, 1)
	b.mu.Lock()
	b.waiters = append(b.waiters, waiter{prefix, found})
	b.notify()
	b.mu.Unlock()
	select {
	case rest := <-found:
		return rest
	case <-time.After(within):
		t.Fatalf("no line %q within %s; output so far:\n%s", prefix, within, b.String())
		return ""
	}
}
