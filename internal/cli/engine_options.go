package cli

import (
	"strings"

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
		Retry:         client.RetryPolicy{Base: c.Retry.Base, Cap: c.Retry.Cap, Attempts: c.Retry.Attempts},
		ReadTimeout:   c.ReadTimeout,
		CAFile:        c.CAFile,
		JournalDir:    journalDir,
		SSHCommand:    strings.Fields(c.SSHCommand),
		RemoteCommand: c.RemoteCommand,
	}
}

// userJournal is the user's upload journal, shared by the UI and `hoist
// send`: $XDG_STATE_HOME/hoist/uploads, else ~/.local/state/hoist/uploads.
// getenv reads the environment.
func userJournal(getenv func(string) string) string {
	return xdg.FromEnv(getenv).State("uploads")
}
