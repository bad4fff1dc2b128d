// Package testkit runs the real hoist binary for the end-to-end tests
// (package e2e) and the benchmark harness (package bench): it builds the
// binary once per test run, runs its commands, starts `hoist serve`
// processes, a private sshd and tmux terminals, and finds free ports.
//
// A test package builds the binary in its TestMain and keeps the Hoist:
//
//	hoist, remove, err := testkit.Build(testkit.RaceEnabled)
//	...
//	p := hoist.StartServer(t, t.TempDir())     // hoist serve --listen 127.0.0.1:0 --root DIR
//	tok := hoist.MintToken(t, p.Root, "alice") // hoist token --root DIR --sub alice
//	out := hoist.Run(t, "ls", "--root", p.Root)
package testkit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hoistPackage is what Build compiles.
const hoistPackage = "github.com/hoist-dev/hoist"

// Hoist is a hoist binary built for the tests.
type Hoist struct {
	// Path is the binary's absolute path.
	Path string
}

// Build compiles the hoist command of this checkout into a new temporary
// directory, with -race when race is true (so that the binary's own races
// are caught as well) and the extra go build flags (such as -ldflags), and
// returns it with a function that removes the directory. Call it once per
// test run, from TestMain.
func Build(race bool, extra ...string) (h Hoist, remove func(), err error) {
	dir, err := os.MkdirTemp("", "hoist-test-bin-")
	if err != nil {
		return Hoist{}, nil, fmt.Errorf("making a directory for the hoist binary: %w", err)
	}
	remove = func() { os.RemoveAll(dir) }
	path := filepath.Join(dir, "hoist")
	args := []string{"build", "-o", path}
	if race {
		args = append(args, "-race")
	}
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", append(args, hoistPackage)...).CombinedOutput()
	if err != nil {
		remove()
		return Hoist{}, nil, fmt.Errorf("go build %s: %w (fix the build first)\n%s", hoistPackage, err, out)
	}
	return Hoist{Path: path}, remove, nil
}

// Run runs the binary with args and returns its stdout, failing the test
// if it exits with an error.
func (h Hoist) Run(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := h.Try(t, nil, args...)
	if err != nil {
		t.Fatalf("hoist %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// Try runs the binary with args and the extra environment variables env
// ("K=V", added to the test's own), and returns its stdout, stderr and exit
// error. It gives up after two minutes.
func (h Hoist) Try(t testing.TB, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Path, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// MintToken returns a token for sub signed with the key of the server
// whose data directory is root (`hoist token`), valid for a day. extra
// flags (--iss, --aud, --ttl, --signing-key) are passed on.
func (h Hoist) MintToken(t testing.TB, root, sub string, extra ...string) string {
	t.Helper()
	args := append([]string{"token", "--root", root, "--sub", sub}, extra...)
	return strings.TrimSpace(h.Run(t, args...))
}

// InitRoot makes root a server data directory, as the first `hoist serve`
// does, without leaving a server running: `hoist serve --stdio` with an
// empty stdin creates the directory and its token secret, then exits. Use
// it before MintToken when no server has run on root yet.
func (h Hoist) InitRoot(t testing.TB, root string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Path, "serve", "--stdio", "--root", root)
	cmd.Stdin = strings.NewReader("")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hoist serve --stdio --root %s with nothing on stdin: %v\n%s", root, err, out)
	}
}

// ShellQuote quotes s for a POSIX shell if it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
