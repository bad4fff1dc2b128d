// Package bench is the performance harness of issues 6 and 15: the real
// hoist binary (built once per run by TestMain) against baselines — a raw
// TCP copy, scp through a private sshd, tusd fed by curl (with and without
// one final fsync) — on one machine. One command runs it at full size and
// prints every figure with its target, CPU per GB of each side next to each
// other:
//
//	go test -run '^$' -bench Upload -benchtime 1x -timeout 60m ./bench/
//
// HOIST_BENCH_SIZE (default 1GiB), HOIST_BENCH_ROUNDS (default 3: figures
// are medians, ratios the median of per-round ratios), HOIST_BENCH_LINK_SIZE,
// HOIST_BENCH_LITERAL_SIZE, HOIST_BENCH_FILES (the many-small-files tree,
// default 100,000 files of 4 KiB; a tree of its first 1,000 runs too) and
// HOIST_BENCH_ONLY (a regexp of run names) adjust it. Sizes are read by
// config.ParseSize: 256MiB is 256×2^20 bytes, 256MB is 256×10^6.
// HOIST_BENCH_BASELINE names another hoist binary (an older build) to run
// as well, for before/after ratios from the same run. HOIST_BENCH_SEED
// (default 1; 0 keeps the listed order) shuffles the runs of every round,
// and HOIST_BENCH_PIN=1 gives each side of every run CPUs of its own (see
// benchSides). tusd runs when a tusd
// binary is on PATH or in $(go env GOPATH)/bin (go install
// github.com/tus/tusd/v2/cmd/tusd@v2.9.1); the report says when it is not.
//
// Three more benchmarks print their own tables:
//
//	-bench ChunkSizes  durable uploads from 256 KiB chunks to the largest, HOIST_BENCH_SWEEP_ROUNDS (5) rounds each
//	-bench BigStore    a server holding HOIST_BENCH_STORE_FILES (1,000,000) files against an empty one
//	-bench BrowseLargeDirectory ./tui/   the TUI opening and filtering 100,000 entries
//
// TestBenchSmoke, TestBenchSweepSmoke and TestBenchBigStoreSmoke run the same
// code on small sizes under `go test ./...`, proving it works; only the
// benchmarks' figures mean anything, and nothing here asserts a speed.
package bench
