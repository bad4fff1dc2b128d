package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// benchSSHD is a private sshd on a loopback port, started for the scp
// reference figures and stopped by close.
type benchSSHD struct {
	port   int
	user   string
	key    string // the client's private key
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *strings.Builder
}

// benchSSHAvailable reports why scp figures cannot be measured here, or ""
// when sshd, ssh-keygen and scp are all installed.
func benchSSHAvailable() string {
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		return "no /usr/sbin/sshd (apt-get install openssh-server)"
	}
	for _, tool := range []string{"ssh-keygen", "scp"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "no " + tool + " (apt-get install openssh-client)"
		}
	}
	return ""
}

// benchStartSSHD starts sshd on a free loopback port with fresh host and
// client keys under dir, accepting only that client key for the current user.
func benchStartSSHD(ctx context.Context, dir string) (*benchSSHD, error) {
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	hostKey := filepath.Join(dir, "host_ed25519")
	clientKey := filepath.Join(dir, "client_ed25519")
	for _, k := range []string{hostKey, clientKey} {
		out, err := exec.CommandContext(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("ssh-keygen: %w: %s", err, out)
		}
	}
	pub, err := os.ReadFile(clientKey + ".pub")
	if err != nil {
		return nil, err
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, pub, 0o600); err != nil {
		return nil, err
	}
	// sshd wants its privilege separation directory to exist.
	if os.Geteuid() == 0 {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, err
		}
	}
	var lastErr error
	for range 5 {
		port, err := benchFreePort()
		if err != nil {
			return nil, err
		}
		s, err := benchRunSSHD(ctx, dir, port, hostKey, authorized)
		if err == nil {
			s.user, s.key = u.Username, clientKey
			return s, nil
		}
		lastErr = err // most likely the port was taken meanwhile
	}
	return nil, lastErr
}

func benchRunSSHD(ctx context.Context, dir string, port int, hostKey, authorized string) (*benchSSHD, error) {
	conf := filepath.Join(dir, "sshd_config")
	text := strings.Join([]string{
		"Port " + strconv.Itoa(port),
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + authorized,
		"StrictModes no",
		"UsePAM no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"Subsystem sftp internal-sftp",
		"",
	}, "\n")
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	s := &benchSSHD{port: port, exited: make(chan struct{}), stderr: new(strings.Builder)}
	s.cmd = exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", conf)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sshd: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("sshd exited: %s", s.stderr)
		case <-ctx.Done():
			s.close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.close()
			return nil, errors.New("sshd did not listen within 10s")
		}
	}
}

// close stops sshd and waits for it.
func (s *benchSSHD) close() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// scp copies src (a file, or a directory with recursive) to dst on the
// loopback sshd and returns the wall time.
func (s *benchSSHD) scp(ctx context.Context, src, dst string, recursive bool) (time.Duration, error) {
	args := []string{
		"-q", "-P", strconv.Itoa(s.port), "-i", s.key,
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
	}
	if recursive {
		args = append(args, "-r")
	}
	args = append(args, src, s.user+"@127.0.0.1:"+dst)
	start := time.Now()
	out, err := exec.CommandContext(ctx, "scp", args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("scp %s: %w: %s", src, err, out)
	}
	return time.Since(start), nil
}

// benchFreePort returns a loopback TCP port that was free a moment ago.
func benchFreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
