package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/transfer/client"
)

// engineOptions maps client settings to the transfer engine's options: the
// one place where config meets transfer/client. tok presents the token on
// every connection; the engine journals in journalDir (empty: the default
// journal).
func engineOptions(c config.Client, tok client.TokenSource, journalDir string) client.Options {
	if journalDir == "" {
		journalDir = defaultJournalDir(os.Getenv)
	}
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

// defaultJournalDir is $XDG_STATE_HOME/hoist/uploads, else
// ~/.local/state/hoist/uploads; empty when neither is known (client.New then
// says so).
func defaultJournalDir(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "hoist", "uploads")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "hoist", "uploads")
	}
	return ""
}
