package cli

import (
	"errors"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/xdg"
	"github.com/hoist-dev/hoist/transfer/client"
)

// engineOptions maps client settings to the transfer engine's options: the
// one place where config meets transfer/client. tok presents the token on
// every connection; the engine journals in journalDir.
func engineOptions(c config.Client, tok client.TokenSource, journalDir string) client.Options {
	return client.Options{
		Server:        c.Server,
		Token:         tok,
		ChunkSize:     c.ChunkSize,
		Window:        client.Window{Chunks: c.Window.Chunks, Bytes: c.Window.Bytes},
		Retry:         client.RetryPolicy{Base: c.Retry.Base, Cap: c.Retry.Cap, Attempts: c.Retry.Attempts, Budget: retryBudget(c.Retry.Budget)},
		ReadTimeout:   c.ReadTimeout,
		CAFile:        c.CAFile,
		JournalDir:    journalDir,
		SSHCommand:    strings.Fields(c.SSHCommand),
		RemoteCommand: c.RemoteCommand,
		RateLimit:     c.LimitRate,
	}
}

// tokenSource is the token source c configures. Over ssh:// none is
// needed: without one the client presents an empty token, and a server run
// by sshd as `hoist serve --stdio --user NAME` takes the user from the ssh
// login. Every other transport needs a token.
func tokenSource(c config.Client) (client.TokenSource, error) {
	tok, err := config.NewTokenSource(c)
	if errors.Is(err, config.ErrNoToken) && strings.HasPrefix(c.Server, "ssh://") {
		return client.NoToken, nil
	}
	return tok, err
}

// userJournal is the user's upload journal, shared by the UI and `hoist
// send`: $XDG_STATE_HOME/hoist/uploads, else ~/.local/state/hoist/uploads.
// getenv reads the environment.
func userJournal(getenv func(string) string) string {
	return xdg.FromEnv(getenv).State("uploads")
}

// retryBudget maps the retry_budget setting, where 0 means no limit, to
// RetryPolicy.Budget, where 0 means the engine's default.
func retryBudget(setting time.Duration) time.Duration {
	if setting == 0 {
		return client.NoRetryBudget
	}
	return setting
}
