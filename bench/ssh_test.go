package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// benchSCP copies src (a file, or a directory with recursive) to dst through
// the loopback sshd and returns the wall time and the CPU of each side: scp
// with the ssh it runs, and the sshd with the session it forks.
func benchSCP(ctx context.Context, sides *benchSides, sshd *testkit.SSHD, src, dst string, recursive bool) (time.Duration, *benchProc, *benchProc, error) {
	args := append([]string{"-q", "-P", strconv.Itoa(sshd.Port)}, sshd.ClientArgs()...)
	if recursive {
		args = append(args, "-r")
	}
	args = append(args, src, sshd.User+"@127.0.0.1:"+dst)
	before, err := benchTreeCPU(sshd.Pid)
	if err != nil {
		return 0, nil, nil, err
	}
	cmd := exec.CommandContext(ctx, "scp", args...)
	start := time.Now()
	var out []byte
	err = sides.onClient(func() (err error) {
		out, err = cmd.CombinedOutput()
		return err
	})
	if err != nil {
		return 0, nil, nil, fmt.Errorf("scp %s: %w: %s", src, err, out)
	}
	elapsed := time.Since(start)
	// The session's CPU counts once sshd has reaped it.
	deadline := time.Now().Add(5 * time.Second)
	for benchHasChildren(sshd.Pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	after, err := benchTreeCPU(sshd.Pid)
	if err != nil {
		return 0, nil, nil, err
	}
	// The rusage of scp includes the ssh it waited for.
	client := &benchProc{CPU: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	return elapsed, client, &benchProc{CPU: after - before}, nil
}

// benchTreeCPU is the CPU a process used, with that of the children it
// reaped (utime, stime, cutime and cstime of /proc/PID/stat).
func benchTreeCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	end := strings.LastIndexByte(string(stat), ')')
	fields := strings.Fields(string(stat[end+1:]))
	if end < 0 || len(fields) < 15 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var cpu time.Duration
	for _, f := range fields[11:15] {
		ticks, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		cpu += time.Duration(ticks) * benchClockTick
	}
	return cpu, nil
}

// benchHasChildren reports whether pid has child processes.
func benchHasChildren(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	return err == nil && len(strings.TrimSpace(string(b))) > 0
}
