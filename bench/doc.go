// Package bench is the performance harness of issue 6: the real hoist
// binary (built once per run by TestMain) against baselines — a raw TCP
// copy, scp through a private sshd — on one machine. One command runs it at
// full size and prints every figure with its target:
//
//	go test -run '^$' -bench Upload -benchtime 1x -timeout 60m ./bench/
//
// HOIST_BENCH_SIZE (default 1GiB), HOIST_BENCH_ROUNDS (default 3: figures
// are medians), HOIST_BENCH_LINK_SIZE, HOIST_BENCH_LITERAL_SIZE and
// HOIST_BENCH_ONLY (a regexp of run names) adjust it. Sizes are read by
// config.ParseSize: 256MiB is 256×2^20 bytes, 256MB is 256×10^6. TestBenchSmoke
// runs the same harness on small sizes under `go test ./...`, proving it
// works; only the benchmark's figures mean anything, and nothing here
// asserts a speed.
package bench
