package client

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// sshConn speaks the protocol over the stdin and stdout of an ssh process
// that runs the server's stdio mode on the remote host, like rsync and git
// do: nothing to open on the server but sshd.
type sshConn struct {
	cmd    *exec.Cmd
	stdin  *os.File // our end of the remote command's stdin
	stdout *os.File // our end of the remote command's stdout
	stderr *tailBuffer
	host   string // for messages

	exited  chan struct{} // closed when the process has been reaped
	waitErr error

	closeOnce sync.Once
}

// sshExitGrace is how long Close waits for ssh to exit on its own after its
// stdin is closed, before killing it.
const sshExitGrace = 3 * time.Second

// sshArgs are the arguments after the ssh command's name:
// `[leading args] [-p port] -- [user@]host <remote command>`. The "--" keeps
// the target from ever being read as an option (parseServer also refuses
// hosts and users that begin with "-").
func (d *dialer) sshArgs(ep endpoint) []string {
	args := append([]string(nil), d.sshCommand[1:]...)
	if ep.port != "" {
		args = append(args, "-p", ep.port)
	}
	target := ep.addr
	if ep.user != "" {
		target = ep.user + "@" + target
	}
	return append(args, "--", target, d.remoteCommand)
}

// dialSSH starts ssh with sshArgs.
func (d *dialer) dialSSH(ep endpoint) (conn, error) {
	cmd := exec.Command(d.sshCommand[0], d.sshArgs(ep)...)

	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	c := &sshConn{cmd: cmd, host: ep.addr, stdin: inW, stdout: outR, stderr: &tailBuffer{max: 4 << 10}, exited: make(chan struct{})}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, c.stderr
	err = cmd.Start()
	// The child holds its own copies of these ends now.
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("starting %s: %w", d.sshCommand[0], err)
	}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *sshConn) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		err = c.explain(err)
	}
	return n, err
}

func (c *sshConn) Write(p []byte) (int, error) {
	w, err := c.stdin.Write(p)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		err = c.explain(err)
	}
	return w, err
}

// explain adds ssh's exit status and the end of its stderr to a pipe error:
// "Permission denied (publickey)" says more than "EOF".
func (c *sshConn) explain(err error) error {
	select {
	case <-c.exited:
	case <-time.After(time.Second):
		return err
	}
	msg := strings.TrimSpace(c.stderr.String())
	if msg == "" && c.waitErr == nil {
		return err
	}
	if msg == "" {
		err = fmt.Errorf("ssh: %v: %w", c.waitErr, err)
	} else {
		err = fmt.Errorf("ssh: %v: %s: %w", c.waitErr, msg, err)
	}
	var ee *exec.ExitError
	if errors.As(c.waitErr, &ee) && ee.ExitCode() == sshCommandNotFound {
		return permanent(fmt.Errorf("hoist is not installed on %s; see --remote-command (%w)", c.host, err))
	}
	for _, final := range sshFinalErrors {
		if strings.Contains(msg, final) {
			return permanent(err)
		}
	}
	return err
}

// sshFinalErrors are ssh messages that retrying cannot change: the user
// has to fix keys, known hosts or the address first.
var sshFinalErrors = []string{"Permission denied", "Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED", "Could not resolve hostname"}

// sshCommandNotFound is the exit status with which ssh passes on the remote
// shell's "command not found".
const sshCommandNotFound = 127

func (c *sshConn) SetReadDeadline(t time.Time) error  { return c.stdout.SetReadDeadline(t) }
func (c *sshConn) SetWriteDeadline(t time.Time) error { return c.stdin.SetWriteDeadline(t) }

// Close ends the session: closing stdin tells the remote server the client
// is gone; ssh gets a grace period to exit, then is killed. It returns once
// the process is reaped.
func (c *sshConn) Close() error {
	c.closeOnce.Do(func() {
		c.stdin.Close()
		c.stdout.Close()
		select {
		case <-c.exited:
		case <-time.After(sshExitGrace):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	})
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

var _ io.ReadWriteCloser = (*sshConn)(nil)
