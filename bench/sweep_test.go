package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/hoist-dev/hoist/internal/units"
)

// benchSweepSizes are the chunk sizes the sweep compares: from 256 KiB to
// the largest a client asks for (client.MaxChunkSize, also the server's
// default maximum).
var benchSweepSizes = []int{256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20}

// benchSweepReferences are runs of other programs interleaved with the
// sweep's, so that the spread of their rounds shows how much of hoist's is
// the machine's: the raw TCP copy, the checked copy (floor_test.go) and
// tusd with its final fsync.
var benchSweepReferences = []benchScenario{
	{"raw", benchRunRaw(0)},
	{"raw-checked", benchRunChecked},
	{"tusd-sync", benchRunTusd(true)},
}

// benchSweepScenarios is one durable upload of the big file per chunk size,
// the same with the baseline binary when there is one, and the references.
func benchSweepScenarios(sizes []int) []benchScenario {
	out := slices.Clone(benchSweepReferences)
	for _, baseline := range []bool{false, true} {
		for _, cs := range sizes {
			name := benchSweepName(cs)
			if baseline {
				name = "base-" + name
			}
			out = append(out, benchScenario{
				name: name,
				run:  benchRunHoist(benchSend{paths: benchBig, baseline: baseline, chunkSize: cs}),
			})
		}
	}
	return out
}

func benchSweepName(cs int) string { return "hoist-chunk-" + units.FormatSize(uint64(cs)) }

// BenchmarkChunkSizes uploads the big file with each chunk size in turn,
// HOIST_BENCH_SWEEP_ROUNDS rounds (default 5) interleaved, and prints each
// size's median rate and the spread of its rounds: issue 15 wants the
// sizes within 15% of each other and any size's rounds within 10%.
//
//	go test -run '^$' -bench ChunkSizes -benchtime 1x -timeout 60m ./bench/
func BenchmarkChunkSizes(b *testing.B) {
	cfg, err := benchFullConfig()
	if err != nil {
		b.Fatal(err)
	}
	cfg.Rounds = 5
	if v := os.Getenv("HOIST_BENCH_SWEEP_ROUNDS"); v != "" {
		if cfg.Rounds, err = strconv.Atoi(v); err != nil || cfg.Rounds < 1 {
			b.Fatalf("HOIST_BENCH_SWEEP_ROUNDS=%q: want a positive integer", v)
		}
	}
	cfg.Files = 0 // no tree needed
	for b.Loop() {
		rep := benchRunScenarios(b, cfg, benchSweepScenarios(benchSweepSizes))
		rep.printSweep(os.Stdout, benchSweepSizes)
	}
}

// TestBenchSweepSmoke runs the sweep once on small sizes at its two ends.
func TestBenchSweepSmoke(t *testing.T) {
	cfg := benchSmokeConfig()
	cfg.Files = 0
	sizes := []int{256 << 10, 1 << 20}
	rep := benchRunScenarios(t, cfg, benchSweepScenarios(sizes))
	var out strings.Builder
	rep.printSweep(&out, sizes)
	t.Log("\n" + out.String())
	for _, cs := range sizes {
		if len(rep.runs[benchSweepName(cs)]) != 1 || !strings.Contains(out.String(), benchSweepName(cs)) {
			t.Errorf("%s did not run or is not in the report", benchSweepName(cs))
		}
	}
	for _, ref := range []string{"raw", "raw-checked"} {
		if len(rep.runs[ref]) != 1 || !strings.Contains(out.String(), ref+" ") {
			t.Errorf("%s did not run as one of the sweep's references, or is not in the report", ref)
		}
	}
}

// printSweep prints the sweep's table: per size the median, the rounds'
// spread ((max-min)/median) and every round, the same for the references;
// then the spread of the medians across sizes.
func (r *benchReport) printSweep(w io.Writer, sizes []int) {
	fmt.Fprintf(w, "\nhoist chunk-size sweep: %s file, durable, %d round(s) interleaved, %s; load %s -> %s\n",
		units.FormatSize(uint64(r.cfg.Size)), r.cfg.Rounds, r.cfg.orderText(), r.load[0], r.load[1])
	fmt.Fprintf(w, "CPUs: %s\n", r.cpus)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "chunk size\tmedian MB/s\tspread of rounds\ttarget\tmet\trounds (MB/s; CPU client+server s/GB)")
	var medians []float64
	type sweepRun struct {
		name string
		cs   int
	}
	var names []sweepRun
	for _, prefix := range []string{"", "base-"} {
		for _, cs := range sizes {
			names = append(names, sweepRun{prefix + benchSweepName(cs), cs})
		}
	}
	for _, ref := range benchSweepReferences {
		names = append(names, sweepRun{name: ref.name})
	}
	for _, sr := range names {
		name, cs := sr.name, sr.cs
		runs := r.runs[name]
		if len(runs) == 0 {
			continue
		}
		var rounds []string
		var xs []float64
		for _, run := range runs {
			xs = append(xs, run.MBps())
			gb := float64(run.Bytes) / 1e9
			round := fmt.Sprintf("%.0f", run.MBps())
			if run.Client != nil && run.Server != nil {
				round += fmt.Sprintf(" (%.2f+%.2f)", run.Client.CPU.Seconds()/gb, run.Server.CPU.Seconds()/gb)
			}
			rounds = append(rounds, round)
			if cs != 0 && run.ChunkSize != cs {
				rounds[len(rounds)-1] += fmt.Sprintf(" [chunk %d!]", run.ChunkSize)
			}
		}
		med := benchMedian(xs)
		spread := (slices.Max(xs) - slices.Min(xs)) / med
		target, met := "< 10%", benchMet(spread < 0.1)
		switch {
		case cs == 0:
			target, met = "reference", ""
		case !strings.HasPrefix(name, "base-"):
			medians = append(medians, med)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.0f%%\t%s\t%s\t%s\n", name, med, 100*spread, target, met, strings.Join(rounds, "  "))
	}
	tw.Flush()
	if len(medians) > 1 {
		across := (slices.Max(medians) - slices.Min(medians)) / slices.Max(medians)
		fmt.Fprintf(w, "medians across sizes: slowest %.1f, fastest %.1f MB/s, %.0f%% apart (target within 15%%: %s)\n",
			slices.Min(medians), slices.Max(medians), 100*across, benchMet(across <= 0.15))
	}
}

// TestBenchRoundOrder: every round runs every scenario once; seed 0 keeps
// the listed order; a seed gives the same orders again, and over the
// sweep's five rounds no chunk size always follows the same run.
func TestBenchRoundOrder(t *testing.T) {
	n := len(benchSweepScenarios(benchSweepSizes))
	for round := range 5 {
		if got := benchRoundOrder(n, round, 0); !slices.Equal(got, benchRoundOrder(n, 0, 0)) || !slices.IsSorted(got) {
			t.Fatalf("seed 0, round %d: order %v, want the listed order", round, got)
		}
	}
	predecessors := map[int]map[int]bool{}
	for round := range 5 {
		order := benchRoundOrder(n, round, 1)
		if !slices.Equal(order, benchRoundOrder(n, round, 1)) {
			t.Fatalf("round %d: the same seed gave two orders", round)
		}
		if sorted := slices.Sorted(slices.Values(order)); len(sorted) != n || sorted[0] != 0 || sorted[n-1] != n-1 || len(slices.Compact(sorted)) != n {
			t.Fatalf("round %d: %v is not an order of %d runs", round, order, n)
		}
		for k := 1; k < n; k++ {
			if predecessors[order[k]] == nil {
				predecessors[order[k]] = map[int]bool{}
			}
			predecessors[order[k]][order[k-1]] = true
		}
	}
	for i := len(benchSweepReferences); i < n; i++ {
		if len(predecessors[i]) < 2 {
			t.Errorf("run %d follows the same run in every round: %v", i, predecessors[i])
		}
	}
}

// TestBenchSeedFromEnvironment: HOIST_BENCH_SEED sets the seed, and a bad
// value is refused with the variable named.
func TestBenchSeedFromEnvironment(t *testing.T) {
	t.Setenv("HOIST_BENCH_SEED", "0")
	if c, err := benchFullConfig(); err != nil || c.Seed != 0 {
		t.Fatalf("seed %d, err %v; want 0", c.Seed, err)
	}
	t.Setenv("HOIST_BENCH_SEED", "")
	if c, err := benchFullConfig(); err != nil || c.Seed != 1 {
		t.Fatalf("default seed %d, err %v; want 1", c.Seed, err)
	}
	t.Setenv("HOIST_BENCH_SEED", "abc")
	if _, err := benchFullConfig(); err == nil || !strings.Contains(err.Error(), "HOIST_BENCH_SEED") {
		t.Fatalf("err %v, want one naming HOIST_BENCH_SEED", err)
	}
}

// TestBenchKeepsManySmallFilesToTheEnd: a run's copy of one big file is
// deleted before the next run starts, a copy of many small files only
// after the last run, so that no run pays for another's deleted inodes.
func TestBenchKeepsManySmallFilesToTheEnd(t *testing.T) {
	var trees, bigs []string
	write := func(files int, outs *[]string) func(context.Context, testing.TB, *benchEnv, string) (benchRun, error) {
		return func(_ context.Context, _ testing.TB, _ *benchEnv, out string) (benchRun, error) {
			*outs = append(*outs, out)
			return benchRun{Files: files, Bytes: 1, Elapsed: time.Millisecond}, os.WriteFile(filepath.Join(out, "f"), nil, 0o644)
		}
	}
	exists := func(dir string) bool { _, err := os.Stat(dir); return err == nil }
	check := func(_ context.Context, _ testing.TB, _ *benchEnv, _ string) (benchRun, error) {
		for _, dir := range trees {
			if !exists(dir) {
				return benchRun{}, fmt.Errorf("the copy of many files in %s is gone before the benchmark ended", dir)
			}
		}
		for _, dir := range bigs {
			if exists(dir) {
				return benchRun{}, fmt.Errorf("the copy of one file in %s outlived its run", dir)
			}
		}
		return benchRun{Files: 1, Bytes: 1, Elapsed: time.Millisecond}, nil
	}
	cfg := benchSmokeConfig()
	cfg.Rounds = 3
	benchRunScenarios(t, cfg, []benchScenario{
		{"tree", write(benchManyFiles, &trees)},
		{"big", write(1, &bigs)},
		{"check", check},
	})
	if len(trees) != 3 || len(bigs) != 3 {
		t.Fatalf("ran the tree %d and the big file %d times, want 3 each", len(trees), len(bigs))
	}
	for _, dir := range append(trees, bigs...) {
		if exists(dir) {
			t.Errorf("%s is left after the benchmark", dir)
		}
	}
}
