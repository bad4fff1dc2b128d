package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// benchSend is one hoist upload of the harness: which input, and how the
// server and `hoist send` are configured.
type benchSend struct {
	paths       func(e *benchEnv) []string
	serverFlags []string
	sendFlags   []string
	// link, when set, is the emulated link between client and server.
	link *benchLink
	// clients is how many `hoist send` processes upload the same paths at
	// once, each as its own upload on its own connection (0 means 1).
	clients int
	// baseline runs the binary HOIST_BENCH_BASELINE names (an older
	// build, for before/after ratios in one run) on both sides.
	baseline bool
	// chunkSize, when set, makes the client ask for exactly this chunk
	// size. --chunk-size alone is only the largest the client asks for: on
	// a server it has not measured (every run here starts one on a new
	// port) it asks for 256 KiB, so the harness tells it, through the link
	// book in its state directory, that the link is fast.
	chunkSize int
}

// benchBig, benchTree, ... pick a scenario's input.
func benchBig(e *benchEnv) []string      { return []string{e.big} }
func benchTree(e *benchEnv) []string     { return []string{e.tree} }
func benchTree1k(e *benchEnv) []string   { return []string{e.tree1k} }
func benchLinkFile(e *benchEnv) []string { return []string{e.link} }
func benchLiteral(e *benchEnv) []string  { return []string{e.literal} }
func benchQuarter(e *benchEnv) []string  { return []string{e.quarter} }

// benchUser is the user the harness uploads as.
const benchUser = "bench"

// benchRunHoist returns a scenario that starts a fresh `hoist serve` process
// with its data directory in out, uploads with the `hoist send` binary,
// measures both processes, stops the server and checks what it stored.
func benchRunHoist(cfg benchSend) func(context.Context, testing.TB, *benchEnv, string) (benchRun, error) {
	return func(ctx context.Context, tb testing.TB, e *benchEnv, out string) (benchRun, error) {
		bin := hoist
		if cfg.baseline {
			bin = testkit.Hoist{Path: e.cfg.Baseline}
		}
		var srv *testkit.Server
		e.sides.startServer(tb, func() { srv = bin.StartServer(tb, out, cfg.serverFlags...) })
		defer srv.Kill()
		tokenFile := filepath.Join(out, "bench.jwt")
		if err := os.WriteFile(tokenFile, []byte(bin.MintToken(tb, out, benchUser)), 0o600); err != nil {
			return benchRun{}, err
		}
		url := srv.URL
		if cfg.link != nil {
			proxy, err := benchStartLink(srv.Addr, *cfg.link)
			if err != nil {
				return benchRun{}, err
			}
			defer proxy.Stop()
			url = "tcp://" + proxy.Listen
		}
		paths := cfg.paths(e)
		clients := max(cfg.clients, 1)
		flags := cfg.sendFlags
		if cfg.chunkSize > 0 {
			flags = append(slices.Clone(flags), "--chunk-size", strconv.Itoa(cfg.chunkSize))
		}
		if err := benchSetLinkBook(e, url, cfg.chunkSize > 0); err != nil {
			return benchRun{}, err
		}
		if err := e.warm(); err != nil {
			return benchRun{}, err
		}
		run, err := benchSendFiles(ctx, e, bin.Path, srv.Pid(), url, tokenFile, flags, paths, clients)
		if err != nil {
			return benchRun{}, fmt.Errorf("%w\nhoist serve stderr:\n%s", err, srv.Stderr())
		}
		if m := benchChunkSizeRE.FindStringSubmatch(srv.Stderr()); m != nil {
			run.ChunkSize, _ = strconv.Atoi(m[1])
		}
		if err := srv.Terminate(); err != nil {
			return benchRun{}, fmt.Errorf("hoist serve did not stop cleanly: %w\n%s", err, srv.Stderr())
		}
		var all []string
		for range clients {
			all = append(all, paths...)
		}
		return run, benchCheckStored(out, all)
	}
}

// benchSendFiles runs `hoist send` in clients processes at once and returns
// the run, timed until the last one ends, with the costs of the client that
// peaked highest (CPU summed over all) and of the server (its CPU counted
// from just before the upload to its end).
func benchSendFiles(ctx context.Context, e *benchEnv, bin string, serverPID int, url, tokenFile string, flags, paths []string, clients int) (benchRun, error) {
	run := benchRun{}
	for _, p := range paths {
		n, size, err := benchCount(p)
		if err != nil {
			return run, err
		}
		run.Files += clients * n
		run.Bytes += int64(clients) * size
	}
	before, err := benchProcNow(serverPID)
	if err != nil {
		return run, err
	}
	args := append([]string{"send", "--server", url, "--token-file", tokenFile}, flags...)
	cmds := make([]*exec.Cmd, clients)
	stderrs := make([]strings.Builder, clients)
	for i := range cmds {
		own, err := benchClientPaths(e, paths, i, clients)
		if err != nil {
			return run, err
		}
		cmds[i] = exec.CommandContext(ctx, bin, append(args, own...)...)
		cmds[i].Env = benchClientEnv(e)
		cmds[i].Stderr = &stderrs[i]
	}
	start := time.Now()
	watches := make([]*benchRSSWatch, clients)
	for i, cmd := range cmds {
		if err := e.sides.onClient(cmd.Start); err != nil {
			for j, started := range cmds[:i] {
				_ = started.Process.Kill()
				_ = started.Wait()
				watches[j].end()
			}
			return run, err
		}
		watches[i] = benchWatchRSS(cmd.Process.Pid)
	}
	var errs []error
	client := benchProc{}
	for i, cmd := range cmds {
		err := cmd.Wait()
		peak := watches[i].end()
		if err != nil {
			errs = append(errs, fmt.Errorf("hoist %s: %w\n%s", strings.Join(args, " "), err, stderrs[i].String()))
			continue
		}
		c := benchProcFromState(cmd.ProcessState, peak)
		client.PeakRSS = max(client.PeakRSS, c.PeakRSS)
		client.CPU += c.CPU
	}
	run.Elapsed = time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return run, err
	}
	after, err := benchProcNow(serverPID)
	if err != nil {
		return run, err
	}
	run.Client = &client
	run.Server = &benchProc{PeakRSS: after.PeakRSS, CPU: after.CPU - before.CPU}
	return run, nil
}

// benchChunkSizeRE finds the chunk size of the first upload in a server's log.
var benchChunkSizeRE = regexp.MustCompile(`msg="upload created".* chunk_size=(\d+)`)

// benchSetLinkBook prepares the clients' link book (the engine's
// links.json under its state directory). With fast, it records a very fast
// link to server, so that the client asks for the chunk size --chunk-size
// names. Otherwise it empties the book: every run meets its server as a
// first upload does, even when the server's port is one an earlier run
// used and measured (which made one default run ask for 1 MiB chunks).
func benchSetLinkBook(e *benchEnv, server string, fast bool) error {
	dir := filepath.Join(e.dir, "state", "hoist", "uploads")
	if !fast {
		if err := os.Remove(filepath.Join(dir, "links.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	book := map[string]any{server: map[string]any{"bytes-per-second": 1e12, "measured": time.Now().UTC()}}
	b, err := json.Marshal(book)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "links.json"), b, 0o600)
}

// benchClientEnv isolates a client from the user's config file and journal.
func benchClientEnv(e *benchEnv) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOIST_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"XDG_CONFIG_HOME="+filepath.Join(e.dir, "config"),
		"XDG_STATE_HOME="+filepath.Join(e.dir, "state"),
	)
	if testkit.RaceEnabled && os.Getenv("GORACE") == "" {
		// A race-enabled binary otherwise sleeps a second at exit.
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return env
}

// benchCount returns the number of regular files under path and their bytes.
func benchCount(path string) (files int, size int64, err error) {
	err = filepath.Walk(path, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			files++
			size += fi.Size()
		}
		return err
	})
	return files, size, err
}

// benchClientPaths returns what client i of clients sends: paths itself
// for a single client; otherwise a link to each under a name of its own.
// Clients sending the same content under the same path would find it
// already on the server and skip it (hoist sends nothing twice), so each
// names its copy apart.
func benchClientPaths(e *benchEnv, paths []string, i, clients int) ([]string, error) {
	if clients <= 1 {
		return paths, nil
	}
	own := make([]string, len(paths))
	for j, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		own[j] = filepath.Join(e.dir, fmt.Sprintf("client%d-%s", i+1, filepath.Base(abs)))
		if err := os.Remove(own[j]); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		if err := os.Symlink(abs, own[j]); err != nil {
			return nil, err
		}
	}
	return own, nil
}

// benchCheckStored checks that the server with data directory root stored
// exactly the files under paths, for the bench user.
func benchCheckStored(root string, paths []string) error {
	want, err := benchTreeDigests(paths...)
	if err != nil {
		return err
	}
	stored := filepath.Join(root, "users", benchUser)
	got, err := benchTreeDigests(stored)
	if err != nil {
		return err
	}
	if !slices.Equal(want, got) {
		return fmt.Errorf("the server stored %d files in %s, want %d, or their contents differ", len(got), stored, len(want))
	}
	return nil
}

// TestBenchLinkBookStartsEmpty: a run that does not ask for a chunk size
// finds no link book, even after a run that seeded one.
func TestBenchLinkBookStartsEmpty(t *testing.T) {
	e := &benchEnv{dir: t.TempDir()}
	book := filepath.Join(e.dir, "state", "hoist", "uploads", "links.json")
	if err := benchSetLinkBook(e, "tcp://127.0.0.1:1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(book); err != nil {
		t.Fatalf("a seeded book should exist: %v", err)
	}
	for range 2 { // the second time there is nothing to remove
		if err := benchSetLinkBook(e, "tcp://127.0.0.1:1", false); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(book); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the book should be gone: %v", err)
		}
	}
}
