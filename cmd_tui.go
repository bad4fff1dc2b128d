package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/tui"
)

const tuiHelp = `Usage: hoist [flags]

Opens the terminal UI: browse the files here (or under --start-dir), select
them with space (a directory selects everything below it), tag them with t,
queue them as one upload with u, and start the queue with enter. The upload
screen shows every file's chunks going up, being acknowledged, failing and
being resent, live; l shows the event log, p pauses, c cancels. Press ? for
every key.

Uploads are journaled: quit while they run (q) and the next 'hoist' offers
to resume them, sending only what the server does not hold yet.

Works over SSH, with no mouse, in any terminal of 20x5 or more (80x24 shows
everything); NO_COLOR or --color=never turns colours off.

Examples:
  hoist --server tcp://files.example:7800 --token-file ~/.hoist.jwt
  hoist --server ssh://alice@files.example --token-file ~/.hoist.jwt --tag photos --start-dir ~/Pictures

Every flag can also be set in the config file or with a HOIST_* variable:
see 'hoist config --help'.

Flags:
`

// runTUI opens the terminal UI: hoist's default command.
func runTUI(ctx context.Context, args []string) error {
	c, err := parseTUIFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	return runUI(ctx, c, "")
}

// parseTUIFlags reads the command line on top of the config file, HOIST_*
// variables and defaults (config.LoadClient).
func parseTUIFlags(args []string, stderr io.Writer) (config.Client, error) {
	fs := flag.NewFlagSet("hoist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, tuiHelp)
		fs.PrintDefaults()
	}
	config.RegisterClientFlags(fs)
	config.RegisterUIFlags(fs)
	alias(fs, "dir", "start-dir")
	alias(fs, "hidden", "show-hidden")
	if err := parseFlags(fs, args); err != nil {
		return config.Client{}, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hoist: unexpected argument %q (the UI takes flags only; 'hoist send' uploads named files)\n", fs.Arg(0))
		return config.Client{}, exitError{2}
	}
	c, _, err := config.LoadClient(fs, os.Getenv)
	return c, err
}

// alias registers flag name as another spelling of flag of.
func alias(fs *flag.FlagSet, name, of string) {
	f := fs.Lookup(of)
	fs.Var(f.Value, name, "same as --"+of)
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		fs.Lookup(name).DefValue = f.DefValue
	}
}

// runUI runs the terminal UI with settings c and an engine journaling in
// journalDir (empty: the default journal).
func runUI(ctx context.Context, c config.Client, journalDir string) error {
	tok, err := config.NewTokenSource(c)
	if err != nil {
		return err
	}
	opts := engineOptions(c, tok, journalDir)
	opts.Retry.Budget = client.NoRetryBudget // the UI keeps trying and shows its countdown
	e, err := client.New(opts)
	if err != nil {
		return err
	}
	// Close stops uploads still running but keeps them in the journal.
	defer e.Close()
	return tui.Run(ctx, uiOptions(c), tui.NewEngineUploader(e, c.Server))
}

// uiOptions maps the settings to the UI's options.
func uiOptions(c config.Client) tui.Options {
	return tui.Options{
		Server:         c.Server,
		StartDir:       c.UI.StartDir,
		ShowHidden:     c.UI.ShowHidden,
		DefaultTags:    c.Tags,
		Color:          c.UI.Color,
		TagHistoryFile: tagHistoryPath(os.Getenv),
	}
}

// tagHistoryPath is where the UI remembers tags for suggestions:
// $XDG_STATE_HOME/hoist/tags, else ~/.local/state/hoist/tags; empty when
// neither is known.
func tagHistoryPath(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "hoist", "tags")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "hoist", "tags")
	}
	return ""
}
