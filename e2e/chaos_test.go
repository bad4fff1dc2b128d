package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/transfer/chaos"
	"github.com/hoist-dev/hoist/transfer/client"
)

// chaosTally is what an engine's events said about the faults it met.
type chaosTally struct {
	authBusy, busy, lost, corruptResends int
	lostBecause                          []string
	droppedChunkEvents                   uint64
}

// tallyChaos reads events until upload fid reaches a final state.
func tallyChaos(events <-chan client.Event, fid string) chaosTally {
	var tl chaosTally
	for ev := range events {
		if ev.UploadFID() != fid {
			continue
		}
		switch e := ev.(type) {
		case *client.SessionEvent:
			if e.State == client.StateBackingOff {
				switch msg := fmt.Sprint(e.Err); {
				case strings.Contains(msg, chaos.ReasonAuthBusy):
					tl.authBusy++
				case strings.Contains(msg, chaos.ReasonBusy):
					tl.busy++
				case strings.Contains(msg, chaos.ReasonCorrupt):
					// One chunk rejected several times in a row ends the
					// session; its corrupt answers are counted as resends.
				default:
					tl.lost++
					tl.lostBecause = append(tl.lostBecause, msg)
				}
			}
			if e.State.Final() {
				return tl
			}
		case *client.ChunkEvent:
			if e.Action == client.ChunkResent && strings.Contains(e.Reason, chaos.ReasonCorrupt) {
				tl.corruptResends++
			}
		case *client.ProgressEvent:
			tl.droppedChunkEvents = e.DroppedChunkEvents
		}
	}
	return tl
}

// chaosCountsRE matches the line `hoist serve --chaos` logs when it stops.
var chaosCountsRE = regexp.MustCompile(`CHAOS MODE: faults injected" counts="([^"]*)"`)

// parseChaosCounts reads "auth-busy=1 busy=2 ..." back into counts by kind.
func parseChaosCounts(t *testing.T, stderr string) map[string]int {
	t.Helper()
	m := chaosCountsRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("hoist serve logged no fault counts at exit:\n%s", stderr)
	}
	counts := make(map[string]int)
	for _, kv := range strings.Fields(m[1]) {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("bad count %q in %q", kv, m[1])
		}
		counts[k] = n
	}
	return counts
}

// writeRandomFile writes size pseudo-random bytes and returns the sha256.
func writeRandomFile(t *testing.T, path string, size int64, seed byte) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.NewChaCha8([32]byte{seed}), size); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestServeChaos runs the real `hoist serve --chaos` and uploads through
// it: the upload completes, `hoist ls` shows every file with the local
// sha256, it warned loudly at start, and the counts it logs at exit are
// what the client met.
func TestServeChaos(t *testing.T) {
	// Serial: the counts the server injected must equal what the client met, and a
	// response held up by a loaded CPU past the read timeout would count as lost.
	const spec = "auth-busy=0.3,busy=0.03,corrupt=0.06,drop=0.03,stall=0.015:10s,delay=0.05:20ms,seed=7"
	p := startServer(t, t.TempDir(), "--chaos", spec)
	if !strings.Contains(p.Stderr(), "level=WARN msg=\"CHAOS MODE: this server fails on purpose") {
		t.Fatalf("hoist serve --chaos did not warn at start:\n%s", p.Stderr())
	}

	dir := t.TempDir()
	want := map[string]string{
		"one.bin": writeRandomFile(t, filepath.Join(dir, "one.bin"), 16<<20, 1),
		"two.bin": writeRandomFile(t, filepath.Join(dir, "two.bin"), 2<<20+5, 2),
	}
	eng, err := client.New(client.Options{
		Server:      p.URL,
		Token:       client.StaticToken(mintToken(t, p.Root, "carol")),
		ChunkSize:   128 << 10,
		Window:      client.Window{Chunks: 16, Bytes: 2 << 20},
		Retry:       client.RetryPolicy{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond},
		ReadTimeout: 3 * time.Second,
		JournalDir:  t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	fid, err := eng.Start(client.Spec{
		Files: []client.LocalFile{{Path: filepath.Join(dir, "one.bin"), Name: "one.bin"}, {Path: filepath.Join(dir, "two.bin"), Name: "two.bin"}},
		Tags:  []string{"chaos-e2e"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tallied := make(chan chaosTally, 1)
	go func() { tallied <- tallyChaos(eng.Events(), fid) }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := eng.Wait(ctx, fid); err != nil {
		t.Fatalf("upload through hoist serve --chaos failed: %v", err)
	}
	tl := <-tallied

	ls := runHoist(t, "ls", "--root", p.Root, "--user", "carol", "--json")
	listed := make(map[string]string)
	for _, line := range strings.Split(strings.TrimSpace(ls), "\n") {
		var f struct{ Name, SHA256 string }
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("hoist ls --json printed %q: %v", line, err)
		}
		listed[f.Name] = f.SHA256
	}
	if !maps.Equal(listed, want) {
		t.Errorf("hoist ls lists %v, want the local files' sha256 %v", listed, want)
	}
	if err := p.Terminate(); err != nil {
		t.Fatalf("hoist serve --chaos did not stop cleanly: %v", err)
	}
	got := parseChaosCounts(t, p.Stderr())
	t.Logf("hoist serve injected %v; client saw auth-busy=%d busy=%d lost=%d corrupt=%d", got, tl.authBusy, tl.busy, tl.lost, tl.corruptResends)
	if tl.droppedChunkEvents != 0 {
		t.Fatalf("the engine dropped %d chunk events: corrupt resends cannot be counted", tl.droppedChunkEvents)
	}
	for _, k := range []string{"auth-busy", "busy", "corrupt", "drop", "delay"} {
		if got[k] == 0 {
			t.Errorf("no %s fault was injected: the test does not exercise it", k)
		}
	}
	if got["auth-busy"] != tl.authBusy || got["busy"] != tl.busy || got["corrupt"] != tl.corruptResends || got["drop"]+got["stall"] != tl.lost {
		t.Errorf("hoist serve counted %v; the client saw auth-busy=%d busy=%d corrupt=%d drop+stall=%d (%q)",
			got, tl.authBusy, tl.busy, tl.corruptResends, tl.lost, tl.lostBecause)
	}
}

// TestSendSaysWhatChaosDid runs `hoist send` (plain lines: stdout is not a
// terminal) through `hoist serve --chaos` and checks that its output says,
// in words, which chunks were resent and why, and when the next try comes.
func TestSendSaysWhatChaosDid(t *testing.T) {
	t.Parallel()
	p := startServer(t, t.TempDir(), "--chaos", "auth-busy=0.3,busy=0.04,corrupt=0.1,drop=0.03,seed=11")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(mintToken(t, p.Root, "dave")), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data.bin")
	sum := writeRandomFile(t, path, 6<<20, 3)

	stdout, stderr, err := tryHoist(t, []string{"XDG_STATE_HOME=" + filepath.Join(dir, "state")},
		"send", "--server", p.URL, "--token-file", tokenFile, "--chunk-size", "65536",
		"--retry-base", "20ms", "--retry-cap", "200ms", "--tag", "chaos", path)
	if err != nil {
		t.Fatalf("hoist send through chaos: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if err := p.Terminate(); err != nil {
		t.Fatalf("hoist serve --chaos did not stop cleanly: %v", err)
	}
	got := parseChaosCounts(t, p.Stderr())
	t.Logf("hoist serve injected %v; hoist send said:\n%s", got, stdout)

	if !strings.Contains(stdout, "verified data.bin") || !strings.Contains(stdout, sum) {
		t.Errorf("hoist send did not report data.bin verified with sha256 %s", sum)
	}
	if got["corrupt"] == 0 || got["busy"]+got["auth-busy"] == 0 {
		t.Fatalf("the spec injected too little to check the words: %v", got)
	}
	if !regexp.MustCompile(`(?m)^  resent (chunk \d+|\d+ chunks) of data\.bin`).MatchString(stdout) {
		t.Error("hoist send never said which chunks it resent")
	}
	want := map[string]bool{
		"checksum rejected by server":         got["corrupt"] > 0,
		"server busy":                         got["busy"] > 0,
		"authentication refused: server busy": got["auth-busy"] > 0,
		"connection dropped":                  got["drop"] > 0,
		"; retrying in ":                      true,
	}
	for words, expected := range want {
		if expected && !strings.Contains(stdout, words) {
			t.Errorf("hoist send never said %q", words)
		}
	}
	if strings.ContainsFunc(stdout, func(r rune) bool { return r < ' ' && r != '\n' }) {
		t.Error("hoist send wrote control characters to a non-terminal")
	}
}

// demoChaos is the chaos the demo test asks for: the demo's own rates,
// drops raised from 2% to 4% of chunks, and no seed. A seed fixes the
// faults of each connection by its number, and which number the upload gets
// depends on how many connections the UI opened before it (the Browse
// screen's on-server marks use connections of their own): some numbers meet
// no drop at all. Unseeded, 96 chunks meet a drop or a busy answer in all
// but about one run in a thousand, provided the window is small (see
// demoWindow).
const demoChaos = "demo,drop=0.04"

// demoWindow is the UI's window in the demo test. A fault that ends the
// connection waits until the client has seen every corrupt answer before
// it (so none is lost with the connection); with the default window all 96
// chunks are in flight at once, a corrupt answer is almost always
// outstanding, and a fast machine finished the upload without any drop or
// busy answer, so without a backoff to show.
const demoWindow = "HOIST_WINDOW_CHUNKS=4"

// TestDemoChaosUI runs `hoist demo --chaos` in a terminal and uploads two
// files through the UI: the upload completes while the screen shows, in
// words, a chunk resent and a backoff before the next try.
func TestDemoChaosUI(t *testing.T) {
	// Serial: it watches the screen for states that come and go (a resend, a
	// backoff) while a 24 MiB upload runs; a loaded CPU makes it miss them.
	base := t.TempDir()
	work, home := filepath.Join(base, "work"), filepath.Join(base, "home")
	for _, d := range []string{work, home} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sums := map[string]string{
		"big.bin":   writeRandomFile(t, filepath.Join(work, "big.bin"), 24<<20, 4),
		"small.txt": writeRandomFile(t, filepath.Join(work, "small.txt"), 300<<10, 5),
	}
	cmd := fmt.Sprintf("cd %s && env -i PATH=%s HOME=%s TERM=screen %s %s demo --chaos=%s --data ../demo-data; echo DEMO-EXIT=$?; sleep 600",
		shellQuote(work), shellQuote(os.Getenv("PATH")), shellQuote(home), demoWindow, shellQuote(hoistBinary()), demoChaos)
	tm := testkit.NewTerm(t, 110, 34, cmd)

	tm.WaitFor("big.bin")
	tm.Keys("a") // select both files
	tm.WaitFor("2 files selected")
	tm.Keys("u")
	tm.WaitFor("1 upload, 2 files")
	tm.Keys("Enter")
	tm.WaitFor("Upload 1")
	tm.Keys("l") // the event log: reconnects, resends and why

	// Watch every screen until the upload is done, remembering what was
	// ever shown: lines scroll away, states come and go.
	var (
		resent  = regexp.MustCompile(`chunk \d+ resent: (checksum rejected by server|server busy|connection lost|no answer within)`)
		backoff = regexp.MustCompile(`backing off until \d\d:\d\d:\d\d: .*(server busy|connection dropped|no answer within)|next try in \d`)
		retries = regexp.MustCompile(`\b[1-9]\d* retr(y|ies)\b`)
		done    = "upload 1 done: every file verified"
	)
	var sawResent, sawBackoff, sawRetries string
	deadline := time.Now().Add(2 * time.Minute)
	for screen := ""; !strings.Contains(screen, done); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the upload did not finish within two minutes:\n%s", screen)
		}
		screen = tm.Screen()
		if m := resent.FindString(screen); m != "" && sawResent == "" {
			sawResent = m
		}
		if m := backoff.FindString(screen); m != "" && sawBackoff == "" {
			sawBackoff = m
		}
		if m := retries.FindString(screen); m != "" && sawRetries == "" {
			sawRetries = m
		}
	}
	final := tm.Screen()
	t.Logf("the screen showed %q, %q and %q; at the end:\n%s", sawResent, sawBackoff, sawRetries, final)
	if sawResent == "" || sawRetries == "" {
		t.Error("the screen never showed a resent chunk and why")
	}
	if sawBackoff == "" {
		t.Error("the screen never showed a backoff with its reason and the time of the next try")
	}
	// 24 MiB in the chaos demo's 256 KiB chunks.
	if !strings.Contains(final, "96/96 chunks") {
		t.Error("big.bin did not go up in the chaos demo's 256 KiB chunks (96/96 chunks)")
	}
	for name := range sums {
		if !regexp.MustCompile(regexp.QuoteMeta(name) + ` .*✓ verified`).MatchString(final) {
			t.Errorf("the screen does not show %s verified", name)
		}
	}

	tm.Keys("q")
	out := tm.WaitFor("DEMO-EXIT=")
	if !strings.Contains(out, "DEMO-EXIT=0") {
		t.Fatalf("hoist demo --chaos did not exit cleanly:\n%s", out)
	}
	// The goodbye counts what the screen showed: corrupt answers (the
	// resends) and faults that end a connection or refuse it (the backoff).
	m := regexp.MustCompile(`chaos injected auth-busy=(\d+) busy=(\d+) corrupt=(\d+) drop=(\d+) stall=(\d+)`).FindStringSubmatch(out)
	if m == nil || m[3] == "0" || m[1]+m[2]+m[4]+m[5] == "0000" {
		t.Errorf("the demo's goodbye does not report the corrupt answers and the refusals or drops it injected:\n%s", out)
	}
	for name, sum := range sums {
		stored, err := os.ReadFile(filepath.Join(base, "demo-data", "users", "demo", name))
		if got := sha256.Sum256(stored); err != nil || hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s stored differs from the file uploaded (%v)", name, err)
		}
	}
}
