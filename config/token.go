package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/internal/units"
)

// TokenSource yields the access token to present on a connection. The client
// engine asks again for every connection, so a token that is renewed on disk
// or by a helper command is picked up without a restart.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

var (
	_ TokenSource = StaticToken("")
	_ TokenSource = TokenFile("")
	_ TokenSource = TokenCommand{}
)

// ErrNoToken means no token source is configured.
var ErrNoToken = errors.New("no access token: set token_file or token_command in the config file, " +
	"HOIST_TOKEN_FILE or HOIST_TOKEN_COMMAND, or --token-file or --token-command (see 'hoist config --help')")

// DefaultTokenCommandTimeout bounds a token command's run.
const DefaultTokenCommandTimeout = 30 * time.Second

// maxTokenSize bounds what is read from a token file or command: a token
// is a few kilobytes at most.
const maxTokenSize = 64 << 10

// NewTokenSource returns the token source c configures: its token, else its
// token file, else its token command. It returns ErrNoToken if c has none.
func NewTokenSource(c Client) (TokenSource, error) {
	switch {
	case c.Token != "":
		return StaticToken(c.Token), nil
	case c.TokenFile != "":
		return TokenFile(c.TokenFile), nil
	case c.TokenCommand != "":
		return TokenCommand{Command: c.TokenCommand}, nil
	}
	return nil, ErrNoToken
}

// StaticToken is a token given literally.
type StaticToken Secret

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return Secret(t).Reveal(), nil }

// TokenFile is the path of a file holding a token, read afresh on every call
// and trimmed of surrounding white space.
type TokenFile string

// Token reads the token from the file.
func (t TokenFile) Token(context.Context) (string, error) {
	f, err := os.Open(string(t))
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTokenSize+1))
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if len(data) > maxTokenSize {
		return "", fmt.Errorf("token file %s is larger than %s: it does not hold a token", t, units.FormatSize(maxTokenSize))
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("token file %s is empty", t)
	}
	return token, nil
}

// TokenCommand is a shell command that prints a token, run with `sh -c` on
// every call, like a git credential helper. Its standard output, trimmed, is
// the token; its standard error is shown if it fails.
type TokenCommand struct {
	Command string
	// Timeout bounds the run; 0 means DefaultTokenCommandTimeout.
	Timeout time.Duration
}

// Token runs the command. Its errors name the command and quote its
// standard error, never its standard output.
func (t TokenCommand) Token(ctx context.Context) (string, error) {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTokenCommandTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, "sh", "-c", t.Command)
	stdout := &cappedBuffer{limit: maxTokenSize}
	stderr := &cappedBuffer{limit: 1024}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Without WaitDelay a background child holding the pipes open would
	// keep Run waiting after the command is killed.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("token_command %q: %w", t.Command, ctx.Err())
	case runCtx.Err() != nil:
		return "", fmt.Errorf("token_command %q did not finish within %v", t.Command, timeout)
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		said := ""
		if s := stderr.summary(); s != "" {
			said = ": " + s
		}
		return "", fmt.Errorf("token_command %q failed: %w%s", t.Command, err, said)
	case stdout.overflow:
		return "", fmt.Errorf("token_command %q printed more than %s: that is not a token", t.Command, units.FormatSize(maxTokenSize))
	}
	token := strings.TrimSpace(stdout.String())
	if token == "" {
		return "", fmt.Errorf("token_command %q printed no token", t.Command)
	}
	return token, nil
}

// cappedBuffer keeps the first limit bytes written to it and notes whether
// there were more.
type cappedBuffer struct {
	strings.Builder
	limit    int
	overflow bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.limit - b.Len()
	if len(p) > room {
		b.overflow = true
		b.Builder.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Builder.Write(p)
}

// summary returns the buffer on one line, for an error message.
func (b *cappedBuffer) summary() string {
	var lines []string
	for line := range strings.Lines(b.String()) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	s := strings.Join(lines, "; ")
	if b.overflow {
		s += " ..."
	}
	return s
}
