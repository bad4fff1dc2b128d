package bench

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// With HOIST_BENCH_PIN=1 every run puts its server side on one half of the
// CPUs this process may use and its client side on the other half, as if
// they ran on separate machines: each side's CPU per GB is then what that
// side costs, not what the two cost together when they fight for the same
// cores (on a 2-core VM, a co-located client and server wake each other
// across the cores tens of thousands of times per GiB).
//
// A child process inherits the CPU affinity of the thread that forks it, so
// a side is pinned by starting it from a locked thread pinned for the
// moment; an in-process side (the raw copy's ends) runs on such a thread.
// The emulated links' proxies and BenchmarkBigStore are not pinned.

// benchSides is the CPUs of each side of a pinned run.
type benchSides struct {
	server, client unix.CPUSet
	serverList     []int
	clientList     []int
}

// benchSplitCPUs splits the CPUs this process may use into a server half
// (the lower) and a client half; an error when there are fewer than two.
func benchSplitCPUs() (*benchSides, error) {
	cpus, err := benchAllowedCPUs(os.Getpid())
	if err != nil {
		return nil, err
	}
	if len(cpus) < 2 {
		return nil, fmt.Errorf("HOIST_BENCH_PIN needs at least 2 CPUs to give each side its own; this process may use %d", len(cpus))
	}
	s := &benchSides{serverList: cpus[:len(cpus)/2], clientList: cpus[len(cpus)/2:]}
	for _, c := range s.serverList {
		s.server.Set(c)
	}
	for _, c := range s.clientList {
		s.client.Set(c)
	}
	return s, nil
}

// text says how the sides were placed, for the report's heading.
func (s *benchSides) text() string {
	if s == nil {
		return "client and server share every CPU"
	}
	return fmt.Sprintf("servers pinned to CPU %v, clients to CPU %v (HOIST_BENCH_PIN=1)", s.serverList, s.clientList)
}

// onServer runs f on a thread pinned to the server's CPUs: processes it
// starts, and what it does itself, stay there. Without pinning (s nil) it
// just calls f.
func (s *benchSides) onServer(f func() error) error {
	if s == nil {
		return f()
	}
	return benchOnCPUs(s.server, f)
}

// startServer runs start, which fails tb itself when its server does not
// start, on the server's CPUs; failing to pin fails tb too, so that no run
// reported as pinned ran unpinned.
func (s *benchSides) startServer(tb testing.TB, start func()) {
	tb.Helper()
	if err := s.onServer(func() error { start(); return nil }); err != nil {
		tb.Fatal(err)
	}
}

// onClient is onServer for the client's side.
func (s *benchSides) onClient(f func() error) error {
	if s == nil {
		return f()
	}
	return benchOnCPUs(s.client, f)
}

// benchOnCPUs runs f with the calling goroutine locked to its thread and
// that thread's affinity set to cpus, then puts the affinity back.
// Should putting it back fail, the goroutine stays locked to the pinned
// thread, so that no other goroutine ever runs there.
func benchOnCPUs(cpus unix.CPUSet, f func() error) error {
	runtime.LockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("reading the thread's CPUs: %w", err)
	}
	if err := unix.SchedSetaffinity(0, &cpus); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("pinning the thread: %w", err)
	}
	err := f()
	if restoreErr := unix.SchedSetaffinity(0, &old); restoreErr != nil {
		return fmt.Errorf("restoring the thread's CPUs: %w", restoreErr)
	}
	runtime.UnlockOSThread()
	return err
}

// benchAllowedCPUs lists the CPUs process (or thread) pid may run on; 0 is
// the calling thread.
func benchAllowedCPUs(pid int) ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(pid, &set); err != nil {
		return nil, fmt.Errorf("CPUs of process %d: %w", pid, err)
	}
	var cpus []int
	for i := range len(set) * 64 {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus, nil
}

// benchPinFromEnv reads HOIST_BENCH_PIN: unset, "" or "0" shares the
// CPUs, "1" pins each side.
func benchPinFromEnv() (bool, error) {
	switch v := os.Getenv("HOIST_BENCH_PIN"); v {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	default:
		return false, fmt.Errorf("HOIST_BENCH_PIN=%q: want 1 (pin each side to its own CPUs) or 0", v)
	}
}

// TestBenchPinFromEnvironment: off by default, 1 turns it on, anything else
// is refused with the variable named.
func TestBenchPinFromEnvironment(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "1": true} {
		t.Setenv("HOIST_BENCH_PIN", v)
		if got, err := benchPinFromEnv(); err != nil || got != want {
			t.Errorf("HOIST_BENCH_PIN=%q: %v, %v; want %v", v, got, err, want)
		}
	}
	t.Setenv("HOIST_BENCH_PIN", "yes")
	if _, err := benchPinFromEnv(); err == nil || !strings.Contains(err.Error(), "HOIST_BENCH_PIN") {
		t.Errorf("HOIST_BENCH_PIN=yes: %v, want an error that names the variable", err)
	}
	if c, err := benchFullConfig(); err == nil {
		t.Errorf("benchFullConfig with HOIST_BENCH_PIN=yes: %+v, want an error", c)
	}
}

// TestBenchSidesPinWhatTheyStart: a process started on a side, and the code
// run there, may use that side's CPUs only; the thread lent for it gets
// its CPUs back.
func TestBenchSidesPinWhatTheyStart(t *testing.T) {
	all, err := benchAllowedCPUs(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	sides, err := benchSplitCPUs()
	if len(all) < 2 {
		if err == nil || !strings.Contains(err.Error(), "at least 2 CPUs") {
			t.Fatalf("%d CPU(s): %v, want an error that asks for 2", len(all), err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := append(slices.Clone(sides.serverList), sides.clientList...); !slices.Equal(got, all) || len(sides.serverList) == 0 || len(sides.clientList) == 0 {
		t.Fatalf("sides %v and %v, want a split of %v", sides.serverList, sides.clientList, all)
	}
	for _, side := range []struct {
		name string
		on   func(func() error) error
		want []int
	}{{"server", sides.onServer, sides.serverList}, {"client", sides.onClient, sides.clientList}} {
		cmd := exec.Command("sleep", "10")
		var tid int
		var inside []int
		err := side.on(func() error {
			tid = unix.Gettid()
			var err error
			if inside, err = benchAllowedCPUs(0); err != nil {
				return err
			}
			return cmd.Start()
		})
		if err != nil {
			t.Fatal(err)
		}
		child, err := benchAllowedCPUs(cmd.Process.Pid)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(child, side.want) || !slices.Equal(inside, side.want) {
			t.Errorf("%s side: child on CPUs %v, code on %v; want %v", side.name, child, inside, side.want)
		}
		if after, err := benchAllowedCPUs(tid); err != nil || !slices.Equal(after, all) {
			t.Errorf("%s side: the thread lent is left on CPUs %v (%v), want %v back", side.name, after, err, all)
		}
	}
	// Unpinned, nothing changes.
	var none *benchSides
	if err := none.onClient(func() error {
		got, err := benchAllowedCPUs(0)
		if err == nil && !slices.Equal(got, all) {
			err = fmt.Errorf("unpinned code on CPUs %v, want %v", got, all)
		}
		return err
	}); err != nil {
		t.Error(err)
	}
	if !strings.Contains(sides.text(), "HOIST_BENCH_PIN=1") || !strings.Contains(none.text(), "share") {
		t.Errorf("texts %q and %q", sides.text(), none.text())
	}
}

// TestBenchSmokePinned runs the harness's one-process and two-process
// references and hoist with each side pinned: every run completes and
// checks its copy, and the report says where the sides ran.
func TestBenchSmokePinned(t *testing.T) {
	if all, err := benchAllowedCPUs(os.Getpid()); err != nil || len(all) < 2 {
		t.Fatalf("CPUs %v (%v): this test needs 2; TestBenchSidesPinWhatTheyStart checks the refusal", all, err)
	}
	cfg := benchSmokeConfig()
	cfg.Pin = true
	cfg.Only = regexp.MustCompile(`^(raw|raw-checked|hoist|hoist-tui|hoist-tree|tusd-sync|scp)$`)
	rep := benchRunAll(t, cfg)
	var out strings.Builder
	rep.print(&out)
	for _, name := range rep.order {
		if len(rep.runs[name]) != 1 {
			t.Errorf("%s: %d runs, want 1", name, len(rep.runs[name]))
		}
	}
	if !slices.Contains(rep.order, "hoist") || !slices.Contains(rep.order, "raw-checked") {
		t.Errorf("runs %v, want hoist and raw-checked among them", rep.order)
	}
	t.Log("\n" + out.String())
	if !strings.Contains(out.String(), "CPUs: servers pinned to CPU") {
		t.Errorf("the report does not say where the sides ran:\n%s", out.String())
	}
}
