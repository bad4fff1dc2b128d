package bench

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// benchSCP copies src (a file, or a directory with recursive) to dst through
// the loopback sshd and returns the wall time.
func benchSCP(ctx context.Context, sshd *testkit.SSHD, src, dst string, recursive bool) (time.Duration, error) {
	args := append([]string{"-q", "-P", strconv.Itoa(sshd.Port)}, sshd.ClientArgs()...)
	if recursive {
		args = append(args, "-r")
	}
	args = append(args, src, sshd.User+"@127.0.0.1:"+dst)
	start := time.Now()
	out, err := exec.CommandContext(ctx, "scp", args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("scp %s: %w: %s", src, err, out)
	}
	return time.Since(start), nil
}
