package e2e

// Helpers shared by the end-to-end tests; the machinery behind them is in
// internal/testkit.
//
//	p := startServer(t, t.TempDir())           // hoist serve --listen 127.0.0.1:0 --root DIR
//	tok := mintToken(t, p.Root, "alice")       // hoist token --root DIR --sub alice
//	p.Addr, p.URL                              // "127.0.0.1:PORT", "tcp://127.0.0.1:PORT"
//	p.Kill(); p.Restart()                      // SIGKILL, then the same command again on the same port
//	p.Terminate()                              // SIGTERM and wait: graceful shutdown
//	out := runHoist(t, "ls", "--root", p.Root) // any subcommand, fails the test on error

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// hoist is the binary under test, built by TestMain.
var hoist testkit.Hoist

// TestMain builds the binary once for the whole run, removes it at the end,
// and fails the run if any goroutine the tests started outlived them.
func TestMain(m *testing.M) {
	h, remove, err := testkit.Build(testkit.RaceEnabled)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hoist = h
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		remove()
		os.Exit(code)
	}))
}

// hoistBinary is the path of the binary under test.
func hoistBinary() string { return hoist.Path }

// runHoist runs the binary with args and returns its stdout, failing the
// test if it exits with an error.
func runHoist(t testing.TB, args ...string) string {
	t.Helper()
	return hoist.Run(t, args...)
}

// tryHoist runs the binary with args, extra environment variables env
// ("K=V"), and returns stdout, stderr and the exit error.
func tryHoist(t testing.TB, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return hoist.Try(t, env, args...)
}

// mintToken returns a token for sub signed with the key of the server
// whose data directory is root.
func mintToken(t testing.TB, root, sub string, extra ...string) string {
	t.Helper()
	return hoist.MintToken(t, root, sub, extra...)
}

// startServer starts `hoist serve --listen 127.0.0.1:0 --root root` plus
// extra flags, killed at the test's end.
func startServer(t testing.TB, root string, extra ...string) *testkit.Server {
	t.Helper()
	return hoist.StartServer(t, root, extra...)
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string { return testkit.ShellQuote(s) }
