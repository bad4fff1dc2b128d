package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// benchTUIRows and benchTUICols size the terminal the TUI runs in.
const benchTUIRows, benchTUICols = 30, 100

// benchRunTUI uploads the big file through the terminal UI: the real binary
// on a pseudo-terminal, driven with keystrokes like a person (select all,
// queue, start), against a fresh `hoist serve`. The time runs from the key
// that starts the upload to the server publishing the file; TermBytes
// counts what the UI wrote to the terminal meanwhile.
func benchRunTUI(ctx context.Context, tb testing.TB, e *benchEnv, out string) (benchRun, error) {
	// A directory holding only the big file, so that "select all" picks it.
	dir := filepath.Join(out, "pick")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return benchRun{}, err
	}
	if err := os.Link(e.big, filepath.Join(dir, filepath.Base(e.big))); err != nil {
		return benchRun{}, err
	}
	root := filepath.Join(out, "root")
	var srv *testkit.Server
	e.sides.startServer(tb, func() { srv = hoist.StartServer(tb, root) })
	defer srv.Kill()
	tokenFile := filepath.Join(out, "bench.jwt")
	if err := os.WriteFile(tokenFile, []byte(hoist.MintToken(tb, root, benchUser)), 0o600); err != nil {
		return benchRun{}, err
	}
	before, err := benchProcNow(srv.Pid())
	if err != nil {
		return benchRun{}, err
	}

	cmd := exec.CommandContext(ctx, hoist.Path, "--server", srv.URL, "--token-file", tokenFile, "--start-dir", dir)
	cmd.Env = append(benchClientEnv(e), "TERM=xterm-256color", "COLORTERM=truecolor")
	var term *benchPTY
	err = e.sides.onClient(func() (err error) {
		term, err = benchStartPTY(cmd, benchTUIRows, benchTUICols)
		return err
	})
	if err != nil {
		return benchRun{}, err
	}
	rss := benchWatchRSS(cmd.Process.Pid)
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = term.wait()
		}
		rss.end()
	}()
	name := filepath.Base(e.big)
	if err := term.waitFor(name, time.Minute); err != nil {
		return benchRun{}, err
	}
	// Select everything shown, queue it as one upload: the review screen
	// says so.
	if err := term.send("a"); err != nil {
		return benchRun{}, err
	}
	if err := term.send("u"); err != nil {
		return benchRun{}, err
	}
	if err := term.waitFor("queued upload", time.Minute); err != nil {
		return benchRun{}, err
	}

	if err := e.warm(); err != nil {
		return benchRun{}, err
	}
	stored := filepath.Join(root, "users", benchUser, name)
	written := term.written.Load()
	start := time.Now()
	if err := term.send("\r"); err != nil {
		return benchRun{}, err
	}
	if err := benchWaitFile(ctx, stored, e.cfg.Size, 10*time.Minute); err != nil {
		return benchRun{}, fmt.Errorf("%w\nthe terminal showed:\n%s", err, term.tail())
	}
	run := benchRun{Bytes: e.cfg.Size, Files: 1, Elapsed: time.Since(start), TermBytes: term.written.Load() - written}
	after, err := benchProcNow(srv.Pid())
	if err != nil {
		return run, err
	}
	run.Server = &benchProc{PeakRSS: after.PeakRSS, CPU: after.CPU - before.CPU}

	// Let the UI show the verified file, then quit.
	if err := term.waitFor("verified", time.Minute); err != nil {
		return run, err
	}
	if err := term.quit(); err != nil {
		return run, err
	}
	client := benchProcFromState(cmd.ProcessState, rss.end())
	run.Client = &client
	if err := srv.Terminate(); err != nil {
		return run, fmt.Errorf("hoist serve did not stop cleanly: %w\n%s", err, srv.Stderr())
	}
	return run, benchSameFiles(e.big, stored)
}

// benchWaitFile waits until path exists with size bytes.
func benchWaitFile(ctx context.Context, path string, size int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if fi, err := os.Stat(path); err == nil && fi.Size() == size {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear with %d bytes within %v", path, size, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// waitFor waits until the program has written text (outside escape
// sequences, as far as one write goes) since it started.
func (p *benchPTY) waitFor(text string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.seen(), text) {
		select {
		case <-p.done:
			return fmt.Errorf("the program exited before showing %q:\n%s", text, p.tail())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%q did not show within %v:\n%s", text, timeout, p.tail())
		}
	}
	return nil
}

// quit presses q (and y, should the UI ask), and waits for the program to
// end.
func (p *benchPTY) quit() error {
	for _, k := range []string{"q", "y"} {
		if err := p.send(k); err != nil && !errors.Is(err, os.ErrClosed) {
			return err
		}
		select {
		case <-p.done:
			return p.wait()
		case <-time.After(5 * time.Second):
		}
	}
	return fmt.Errorf("the UI did not quit:\n%s", p.tail())
}
