package bench

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// tusd (github.com/tus/tusd, resumable uploads over HTTP, not durable) fed
// by curl is the fastest comparable uploader the issue names: the harness
// runs it when a tusd binary is on PATH or in $(go env GOPATH)/bin, e.g.
// after `go install github.com/tus/tusd/v2/cmd/tusd@v2.9.1`, and says so
// when it is not.

// benchFindTusd returns the path of a tusd binary, or "" and why not.
func benchFindTusd() (string, string) {
	if p, err := exec.LookPath("tusd"); err == nil {
		return p, ""
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "tusd")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, ""
		}
	}
	why := "no tusd on PATH or in $(go env GOPATH)/bin (go install github.com/tus/tusd/v2/cmd/tusd@v2.9.1)"
	if _, err := exec.LookPath("curl"); err != nil {
		why = "no curl (apt-get install curl)"
	}
	return "", why
}

// benchRunTusd returns a scenario that starts a fresh tusd storing under
// out, uploads the big file with one curl request (tus creation-with-upload)
// and, with sync, fsyncs the stored file once at the end, inside the timed
// part: what a user of tusd gets once the data is durable.
func benchRunTusd(sync bool) func(context.Context, testing.TB, *benchEnv, string) (benchRun, error) {
	return func(ctx context.Context, tb testing.TB, e *benchEnv, out string) (benchRun, error) {
		dir := filepath.Join(out, "tusd")
		port := testkit.FreePort(tb)
		var stderr testkit.SyncBuffer
		cmd := exec.CommandContext(ctx, e.tusd, "-host", "127.0.0.1", "-port", strconv.Itoa(port),
			"-upload-dir", dir, "-base-path", "/files/", "-disable-download")
		cmd.Stderr = &stderr
		if err := e.sides.onServer(cmd.Start); err != nil {
			return benchRun{}, fmt.Errorf("starting tusd: %w", err)
		}
		defer func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}()
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err := benchWaitListening(ctx, addr, 30*time.Second); err != nil {
			return benchRun{}, fmt.Errorf("tusd: %w\n%s", err, stderr.String())
		}
		if err := e.warm(); err != nil {
			return benchRun{}, err
		}
		before, err := benchProcNow(cmd.Process.Pid)
		if err != nil {
			return benchRun{}, err
		}
		headers := filepath.Join(out, "curl-headers")
		curl := exec.CommandContext(ctx, "curl", "-sS", "-f", "-X", "POST",
			"-H", "Tus-Resumable: 1.0.0",
			"-H", "Upload-Length: "+strconv.FormatInt(e.cfg.Size, 10),
			"-H", "Content-Type: application/offset+octet-stream",
			"-H", "Expect:",
			"--upload-file", e.big, "-D", headers, "-o", os.DevNull,
			// No trailing slash: curl would append the file name to the URL.
			"http://"+addr+"/files")
		start := time.Now()
		var msg []byte
		if err := e.sides.onClient(func() (err error) { msg, err = curl.CombinedOutput(); return err }); err != nil {
			return benchRun{}, fmt.Errorf("curl: %w: %s\ntusd:\n%s", err, msg, stderr.String())
		}
		stored, err := benchTusdStored(headers, dir)
		if err != nil {
			return benchRun{}, err
		}
		if sync {
			if err := e.sides.onServer(func() error { return benchFsync(stored) }); err != nil {
				return benchRun{}, err
			}
		}
		elapsed := time.Since(start)
		after, err := benchProcNow(cmd.Process.Pid)
		if err != nil {
			return benchRun{}, err
		}
		run := benchRun{Bytes: e.cfg.Size, Files: 1, Elapsed: elapsed,
			Client: &benchProc{CPU: curl.ProcessState.UserTime() + curl.ProcessState.SystemTime()},
			Server: &benchProc{PeakRSS: after.PeakRSS, CPU: after.CPU - before.CPU}}
		return run, benchSameFiles(e.big, stored)
	}
}

// benchTusdStored finds the file tusd stored from the Location header curl
// saved.
func benchTusdStored(headers, dir string) (string, error) {
	b, err := os.ReadFile(headers)
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(b)) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(name, "Location") {
			continue
		}
		u, err := url.Parse(strings.TrimSpace(value))
		if err != nil {
			return "", fmt.Errorf("tusd's Location %q: %w", value, err)
		}
		return filepath.Join(dir, path.Base(u.Path)), nil
	}
	return "", fmt.Errorf("tusd answered without a Location:\n%s", b)
}

func benchFsync(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return benchCloseJoin(f.Sync(), f)
}

// benchWaitListening waits until something accepts connections at addr.
func benchWaitListening(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(fmt.Errorf("nothing listens at %s after %v", addr, timeout), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
