package bench

// The harness: its configuration, the scenarios, and the runs of each
// round. The report is in report_test.go.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/testkit"
)

// benchConfig sizes one run of the harness.
type benchConfig struct {
	Size        int64 // the big file
	LinkSize    int64 // the file sent through the 50 MB/s, 25 ms link
	LiteralSize int64 // the file sent in the literal 1 KiB one-at-a-time mode
	Files       int   // files in the many-small-files upload
	FileSize    int   // bytes in each of them
	Rounds      int   // repetitions; figures are medians
	Only        *regexp.Regexp
	// Baseline is another hoist binary (HOIST_BENCH_BASELINE), run as well
	// for before/after ratios measured in the same run.
	Baseline string
	// Seed (HOIST_BENCH_SEED) shuffles the order of the runs in every
	// round; 0 keeps the order they are listed in. In a fixed order each
	// run follows the same one round after round and inherits what it
	// leaves behind (writeback, discards, a host that has just been busy),
	// so a run's place in the round cannot be told from what it measures.
	Seed uint64
	// Pin (HOIST_BENCH_PIN=1) gives each side of every run CPUs of its
	// own (see benchSides).
	Pin bool
}

// benchFullConfig is the benchmark's configuration: issue 6's sizes unless the
// environment says otherwise.
func benchFullConfig() (benchConfig, error) {
	c := benchConfig{Size: 1 << 30, LiteralSize: 4 << 20, Files: 100_000, FileSize: 4 << 10, Rounds: 3, Seed: 1}
	var err error
	if v := os.Getenv("HOIST_BENCH_FILES"); v != "" {
		if c.Files, err = strconv.Atoi(v); err != nil || c.Files < 1 {
			return c, fmt.Errorf("HOIST_BENCH_FILES=%q: want a positive integer", v)
		}
	}
	if c.Size, err = benchEnvSize("HOIST_BENCH_SIZE", c.Size); err != nil {
		return c, err
	}
	if c.LinkSize, err = benchEnvSize("HOIST_BENCH_LINK_SIZE", c.Size); err != nil {
		return c, err
	}
	if c.LiteralSize, err = benchEnvSize("HOIST_BENCH_LITERAL_SIZE", min(c.LiteralSize, c.Size)); err != nil {
		return c, err
	}
	if v := os.Getenv("HOIST_BENCH_ROUNDS"); v != "" {
		if c.Rounds, err = strconv.Atoi(v); err != nil || c.Rounds < 1 {
			return c, fmt.Errorf("HOIST_BENCH_ROUNDS=%q: want a positive integer", v)
		}
	}
	if v := os.Getenv("HOIST_BENCH_SEED"); v != "" {
		if c.Seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return c, fmt.Errorf("HOIST_BENCH_SEED=%q: want a non-negative integer (0 keeps the listed order)", v)
		}
	}
	if c.Pin, err = benchPinFromEnv(); err != nil {
		return c, err
	}
	c.Baseline = os.Getenv("HOIST_BENCH_BASELINE")
	if v := os.Getenv("HOIST_BENCH_ONLY"); v != "" {
		if c.Only, err = regexp.Compile(v); err != nil {
			return c, fmt.Errorf("HOIST_BENCH_ONLY: %w", err)
		}
	}
	return c, nil
}

// benchSmokeConfig is small enough for every `go test` run.
func benchSmokeConfig() benchConfig {
	return benchConfig{Size: 2 << 20, LinkSize: 512 << 10, LiteralSize: 16 << 10, Files: 20, FileSize: 4 << 10, Rounds: 1, Seed: 1}
}

// benchEnvSize reads a positive byte size such as 1GiB, 256MiB or 4096 (as
// config.ParseSize reads it: 1GB is 10^9 bytes) from the environment.
func benchEnvSize(name string, def int64) (int64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := config.ParseSize(v)
	if err == nil && n <= 0 {
		err = errors.New("want more than 0 bytes")
	}
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", name, v, err)
	}
	return n, nil
}

// BenchmarkUpload is the benchmark of issue 6: every run at full size,
// repeated, then the table of figures and targets on standard output.
func BenchmarkUpload(b *testing.B) {
	cfg, err := benchFullConfig()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep := benchRunAll(b, cfg)
		rep.print(os.Stdout)
	}
}

// TestBenchSmoke runs the whole harness on small sizes: every run must
// complete, store intact copies and show up in the report.
func TestBenchSmoke(t *testing.T) {
	rep := benchRunAll(t, benchSmokeConfig())
	var out strings.Builder
	rep.print(&out)
	t.Log("\n" + out.String())
	// Every run of the harness happened and checked its copy (scp runs only
	// where an sshd can run).
	for _, s := range benchScenarios() {
		if strings.HasPrefix(s.name, "scp") && rep.noSSH != "" || strings.HasPrefix(s.name, "tusd") && rep.noTusd != "" || strings.HasPrefix(s.name, "base-") {
			continue
		}
		if len(rep.runs[s.name]) != 1 {
			t.Errorf("%s: %d runs, want 1", s.name, len(rep.runs[s.name]))
		}
	}
	// A default run meets its server as a first upload does.
	for _, name := range []string{"hoist", "hoist-json"} {
		for _, run := range rep.runs[name] {
			if run.ChunkSize != benchUnmeasuredChunkSize {
				t.Errorf("%s ran with %d-byte chunks, want the unmeasured server's 256 KiB", name, run.ChunkSize)
			}
		}
	}
	for _, row := range []string{"raw TCP copy", "hoist durable", "hoist JSON/base64", "client peak RSS", "CPU per GB", "checked copy", "TUI rendering cost", "TUI terminal output"} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("the report has no %q row", row)
		}
	}
}

// benchEnv is what every run of a round shares: the input files and, where it
// can run, an sshd.
type benchEnv struct {
	cfg     benchConfig
	dir     string
	big     string // random file of cfg.Size bytes
	link    string // random file of cfg.LinkSize bytes
	quarter string // random file of cfg.Size/4 bytes, for concurrent clients
	literal string // random file of cfg.LiteralSize bytes
	tree    string // directory of cfg.Files files of cfg.FileSize bytes
	tree1k  string // directory of the first min(cfg.Files, 1000) of them
	sshd    *testkit.SSHD
	noSSH   string      // why there is no sshd
	tusd    string      // the tusd binary
	noTusd  string      // why there is none
	sides   *benchSides // each side's CPUs; nil when they share them all
}

// benchRun is the outcome of one timed run.
type benchRun struct {
	Bytes   int64
	Files   int
	Elapsed time.Duration
	// Client and Server are the processes' costs, when they were measured.
	Client, Server *benchProc
	// TermBytes counts what a TUI wrote to its terminal.
	TermBytes int64
	// ChunkSize is the chunk size of a hoist run's (first) upload, from
	// the server's log.
	ChunkSize int
}

// side is the cost of the run's client or server process, nil when it
// was not measured.
func (r benchRun) side(client bool) *benchProc {
	if client {
		return r.Client
	}
	return r.Server
}

// MBps is the run's rate in MB (10^6 bytes) per second.
func (r benchRun) MBps() float64 { return float64(r.Bytes) / 1e6 / r.Elapsed.Seconds() }

// FilesPerSec is the run's rate in files per second.
func (r benchRun) FilesPerSec() float64 { return float64(r.Files) / r.Elapsed.Seconds() }

// benchManyFiles is how many files make a run one of many small files. Such
// a run's copy is kept until the benchmark ends: this VM's ext4 (mounted
// without a journal) skips inodes deleted in the last minute, or more, when
// it allocates new ones, so 100,000 files created right after 100,000 were
// deleted take four to five times the kernel time (a plain program here:
// 12 s of CPU, then 52-58 s; hoist's server 19 s, then 71 s). Deleting one
// tree would charge whichever tree run came next.
const benchManyFiles = 10

// benchScenario is one kind of run. run writes its copy under out (a fresh
// directory, removed afterwards, or at the end for many small files) and
// checks it arrived intact.
type benchScenario struct {
	name string
	run  func(ctx context.Context, tb testing.TB, e *benchEnv, out string) (benchRun, error)
}

func benchScenarios() []benchScenario {
	return []benchScenario{
		{"raw", benchRunRaw(0)},
		{"raw-checked", benchRunChecked},
		{"hoist", benchRunHoist(benchSend{paths: benchBig})},
		{"hoist-tui", benchRunTUI},
		{"hoist-json", benchRunHoist(benchSend{paths: benchBig, serverFlags: []string{"--disable-raw-transfer"}})},
		{"scp", benchRunSCP(false)},
		{"tusd", benchRunTusd(false)},
		{"tusd-sync", benchRunTusd(true)},
		{"raw-fsync-4MiB", benchRunRaw(4 << 20)},
		{"hoist-tree", benchRunHoist(benchSend{paths: benchTree})},
		{"hoist-tree-1k", benchRunHoist(benchSend{paths: benchTree1k})},
		{"scp-tree", benchRunSCP(true)},
		{"hoist-1k", benchRunHoist(benchSend{paths: benchLiteral, sendFlags: []string{"--chunk-size", "1024", "--window-chunks", "1"}})},
		{"hoist-link", benchRunHoist(benchSend{paths: benchLinkFile, link: &benchLinkShort})},
		{"hoist-lfn-100ms", benchRunHoist(benchSend{paths: benchLinkFile, link: &benchLinkLong})},
		{"hoist-lfn-200ms", benchRunHoist(benchSend{paths: benchLinkFile, link: &benchLinkLonger})},
		{"raw-lfn-100ms", benchRunRawVia(0, &benchLinkLong)},
		{"raw-lfn-200ms", benchRunRawVia(0, &benchLinkLonger)},
		{"hoist-4-clients", benchRunHoist(benchSend{paths: benchQuarter, clients: 4})},
		{"base-hoist", benchRunHoist(benchSend{paths: benchBig, baseline: true})},
		{"base-hoist-json", benchRunHoist(benchSend{paths: benchBig, baseline: true, serverFlags: []string{"--disable-raw-transfer"}})},
	}
}

// benchRunAll prepares the inputs and runs every scenario cfg.Rounds times,
// interleaved so that the machine's noise hits them all alike.
func benchRunAll(tb testing.TB, cfg benchConfig) *benchReport {
	return benchRunScenarios(tb, cfg, benchScenarios())
}

// benchRunScenarios prepares the inputs and runs scenarios cfg.Rounds times,
// interleaved.
func benchRunScenarios(tb testing.TB, cfg benchConfig, scenarios []benchScenario) *benchReport {
	ctx := tb.Context()
	e := benchPrepare(tb, cfg)
	rep := &benchReport{cfg: cfg, runs: map[string][]benchRun{}, noSSH: e.noSSH, noTusd: e.noTusd, cpus: e.sides.text()}
	rep.load[0] = benchLoad()
	defer func() { rep.load[1] = benchLoad() }()
	var runnable []benchScenario
	for _, s := range scenarios {
		if (cfg.Only == nil || cfg.Only.MatchString(s.name)) && e.can(s.name) {
			runnable = append(runnable, s)
			rep.order = append(rep.order, s.name)
		}
	}
	// The copies of many small files are deleted only once every run is
	// over (see benchManyFiles).
	var kept []string
	defer func() {
		for _, dir := range kept {
			if err := os.RemoveAll(dir); err != nil {
				tb.Error(err)
			}
		}
	}()
	for round := range cfg.Rounds {
		for _, i := range benchRoundOrder(len(runnable), round, cfg.Seed) {
			s := runnable[i]
			out := filepath.Join(e.dir, fmt.Sprintf("out-%s-%d", s.name, round+1))
			if err := os.Mkdir(out, 0o755); err != nil {
				tb.Fatal(err)
			}
			r, err := s.run(ctx, tb, e, out)
			if err != nil {
				tb.Fatalf("round %d, %s: %v", round+1, s.name, err)
			}
			if r.Files >= benchManyFiles {
				kept = append(kept, out)
			} else if err := os.RemoveAll(out); err != nil {
				tb.Fatal(err)
			}
			// Let the disk settle: the next run should not pay for this
			// one's writeback and discards.
			if err := benchSyncFS(e.dir); err != nil {
				tb.Fatal(err)
			}
			rep.runs[s.name] = append(rep.runs[s.name], r)
		}
	}
	return rep
}

// orderText says in what order each round ran, for the report's heading.
func (c benchConfig) orderText() string {
	if c.Seed == 0 {
		return "in the listed order"
	}
	return fmt.Sprintf("order shuffled per round (HOIST_BENCH_SEED=%d)", c.Seed)
}

// benchRoundOrder is the order in which a round runs n scenarios: shuffled
// by seed and round, or as listed when seed is 0. The same seed gives the
// same orders, so a run can be repeated.
func benchRoundOrder(n, round int, seed uint64) []int {
	if seed == 0 {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	return rand.New(rand.NewPCG(seed, uint64(round))).Perm(n)
}

// can reports whether the run named name can run here: scp needs an sshd,
// tusd its binary.
func (e *benchEnv) can(name string) bool {
	switch {
	case strings.HasPrefix(name, "scp"):
		return e.sshd != nil
	case strings.HasPrefix(name, "tusd"):
		return e.tusd != ""
	case strings.HasPrefix(name, "base-"):
		return e.cfg.Baseline != ""
	}
	return true
}

func benchPrepare(tb testing.TB, cfg benchConfig) *benchEnv {
	e := &benchEnv{cfg: cfg, dir: tb.TempDir()}
	if cfg.Pin {
		sides, err := benchSplitCPUs()
		if err != nil {
			tb.Fatal(err)
		}
		e.sides = sides
	}
	e.big = filepath.Join(e.dir, "big.bin")
	e.link = filepath.Join(e.dir, "link.bin")
	e.literal = filepath.Join(e.dir, "literal.bin")
	e.quarter = filepath.Join(e.dir, "quarter.bin")
	e.tree = filepath.Join(e.dir, "tree")
	for i, f := range []struct {
		path string
		size int64
	}{{e.big, cfg.Size}, {e.link, cfg.LinkSize}, {e.literal, cfg.LiteralSize}, {e.quarter, cfg.Size / 4}} {
		if err := benchWriteRandom(f.path, f.size, uint64(i)); err != nil {
			tb.Fatal(err)
		}
	}
	e.tree1k = filepath.Join(e.dir, "tree1k")
	for _, dir := range []string{e.tree, e.tree1k} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	// Files go in directories of at most 1,000, as trees usually hold them.
	for i := range cfg.Files {
		sub := filepath.Join(e.tree, fmt.Sprintf("d%03d", i/1000))
		if i%1000 == 0 {
			if err := os.Mkdir(sub, 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		name := fmt.Sprintf("f%06d.bin", i)
		if err := benchWriteFile(filepath.Join(sub, name), int64(cfg.FileSize), uint64(100+i)); err != nil {
			tb.Fatal(err)
		}
		if i < 1000 {
			if err := os.Link(filepath.Join(sub, name), filepath.Join(e.tree1k, name)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := benchSyncFS(e.dir); err != nil {
		tb.Fatal(err)
	}
	if e.noSSH = testkit.SSHAvailable(); e.noSSH == "" {
		// sshd forks each session from itself: they run where it does.
		e.sides.startServer(tb, func() { e.sshd = testkit.StartSSHD(tb) })
	}
	e.tusd, e.noTusd = benchFindTusd()
	return e
}

// benchWriteRandom writes size pseudo-random (incompressible) bytes to path
// and syncs it.
func benchWriteRandom(path string, size int64, seed uint64) error {
	return benchWrite(path, size, seed, true)
}

// benchWriteFile is benchWriteRandom without the sync, for many small files.
func benchWriteFile(path string, size int64, seed uint64) error {
	return benchWrite(path, size, seed, false)
}

func benchWrite(path string, size int64, seed uint64, sync bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var key [32]byte
	key[0] = byte(seed)
	key[1] = byte(seed >> 8)
	_, err = io.CopyN(f, rand.NewChaCha8(key), size)
	if err == nil && sync {
		// On disk now, so that writing it back does not slow the first runs.
		err = f.Sync()
	}
	return benchCloseJoin(err, f)
}

func benchCloseJoin(err error, f *os.File) error {
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func benchRunRaw(syncEvery int64) func(context.Context, testing.TB, *benchEnv, string) (benchRun, error) {
	return benchRunRawVia(syncEvery, nil)
}

// benchRunRawVia is the raw copy of the big file, or with link of the link
// file through that emulated link: what plain TCP gets out of it.
func benchRunRawVia(syncEvery int64, link *benchLink) func(context.Context, testing.TB, *benchEnv, string) (benchRun, error) {
	return func(ctx context.Context, _ testing.TB, e *benchEnv, out string) (benchRun, error) {
		src, size := e.big, e.cfg.Size
		if link != nil {
			src, size = e.link, e.cfg.LinkSize
		}
		dst := filepath.Join(out, "big.bin")
		if err := e.warm(); err != nil {
			return benchRun{}, err
		}
		d, err := benchRawCopy(ctx, e.sides, src, dst, syncEvery, link)
		if err != nil {
			return benchRun{}, err
		}
		if err := benchSameFiles(src, dst); err != nil {
			return benchRun{}, err
		}
		return benchRun{Bytes: size, Files: 1, Elapsed: d}, nil
	}
}

func benchRunSCP(tree bool) func(context.Context, testing.TB, *benchEnv, string) (benchRun, error) {
	return func(ctx context.Context, _ testing.TB, e *benchEnv, out string) (benchRun, error) {
		if !tree {
			dst := filepath.Join(out, "big.bin")
			if err := e.warm(); err != nil {
				return benchRun{}, err
			}
			d, client, server, err := benchSCP(ctx, e.sides, e.sshd, e.big, dst, false)
			if err != nil {
				return benchRun{}, err
			}
			return benchRun{Bytes: e.cfg.Size, Files: 1, Elapsed: d, Client: client, Server: server}, benchSameFiles(e.big, dst)
		}
		dst := filepath.Join(out, "tree")
		if err := e.warm(); err != nil {
			return benchRun{}, err
		}
		d, client, server, err := benchSCP(ctx, e.sides, e.sshd, e.tree, dst, true)
		if err != nil {
			return benchRun{}, err
		}
		return benchRun{Bytes: int64(e.cfg.Files * e.cfg.FileSize), Files: e.cfg.Files, Elapsed: d, Client: client, Server: server}, benchSameTrees(e.tree, dst)
	}
}

// warm gets page cache ready for a run (benchWarmMemory): a little more than
// the largest file a run writes. Runs call it right before their timed part,
// after starting their processes, so that nothing lets the memory go cold
// again in between.
func (e *benchEnv) warm() error {
	// Twice: the first pass may fault cold memory back in; the second
	// leaves freshly freed, warm pages where the run will allocate.
	for range 2 {
		if err := benchWarmMemory(e.dir, e.cfg.Size+e.cfg.Size/4); err != nil {
			return err
		}
	}
	return nil
}

// benchWarmMemory writes n bytes to a file in dir and removes it, so that
// the run that follows finds that much page cache ready to reuse. These
// machines are virtual machines that hand free memory back to their host
// (virtio-balloon free page reporting): page cache built on memory left free
// for a few seconds costs over a second of CPU per GiB to fault back in,
// against a quarter of a second once warm. Without this, that cost would land
// on whichever run happens to come after a pause, not on the code measured.
func benchWarmMemory(dir string, n int64) error {
	f, err := os.CreateTemp(dir, "warm-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	buf := make([]byte, 1<<20)
	for w := int64(0); w < n && err == nil; w += int64(len(buf)) {
		_, err = f.Write(buf)
	}
	return benchCloseJoin(err, f)
}

// benchSyncFS flushes the file system that holds dir.
func benchSyncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// benchMedian returns the median of xs (the mean of the middle two for an
// even count), or 0 for none.
func benchMedian(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
