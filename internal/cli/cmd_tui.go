package cli

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/xdg"
	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/tui"
)

const tuiHelp = `Opens the terminal UI: browse the files here (or under --start-dir), select
them with space (a directory selects everything below it), tag them with t,
queue them as one upload with u, and start the queue with enter. The upload
screen shows every file's chunks going up, being acknowledged, failing and
being resent, live; l shows the event log, p pauses, c cancels. Press ? for
every key.

Uploads are journaled: quit while they run (q) and the next 'hoist' offers
to resume them, sending only what the server does not hold yet.

Works over SSH, with no mouse, in any terminal of 20x5 or more (80x24 shows
everything); NO_COLOR or --color=never turns colours off.

Every flag can also be set in the config file or with a HOIST_* variable:
see 'hoist config --help'.`

const tuiExamples = `  hoist --server tcp://files.example:7800 --token-file ~/.hoist.jwt
  hoist --server ssh://alice@files.example --token-file ~/.hoist.jwt --tag photos --start-dir ~/Pictures`

// newUICommand builds `hoist ui`, the terminal UI: hoist's default command.
func newUICommand(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ui",
		Short:   "Open the terminal UI (what plain 'hoist' does)",
		Long:    tuiHelp,
		Example: tuiExamples,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef(cmd, "unexpected argument %q (the UI takes flags only; 'hoist send' uploads named files)", args[0])
			}
			return nil
		},
	}
	flags := cmd.Flags()
	config.RegisterClientFlags(flags)
	config.RegisterUIFlags(flags)
	addNegatedFlag(flags, "follow-links")
	// Earlier spellings, still accepted.
	flags.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		switch name {
		case "dir":
			name = "start-dir"
		case "hidden":
			name = "show-hidden"
		}
		return pflag.NormalizedName(name)
	})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, _, err := config.LoadClient(flags, env.Getenv)
		if err != nil {
			return err
		}
		return runUI(cmd.Context(), c, userJournal(env.Getenv), env.Getenv)
	}
	return cmd
}

// runUI runs the terminal UI with settings c and an engine journaling in
// journalDir; getenv reads the environment.
func runUI(ctx context.Context, c config.Client, journalDir string, getenv func(string) string) error {
	if up, err := uiAgent(ctx, c, getenv); err != nil || up != nil {
		if err != nil {
			return err
		}
		// Closing detaches: the uploads go on in the agent.
		defer up.Close()
		return tui.Run(ctx, uiOptions(c, getenv), up)
	}
	tok, err := tokenSource(c)
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
	return tui.Run(ctx, uiOptions(c, getenv), tui.NewEngineUploader(e, c.Server))
}

// uiOptions maps the settings to the UI's options.
func uiOptions(c config.Client, getenv func(string) string) tui.Options {
	return tui.Options{
		Server:         c.Server,
		StartDir:       c.UI.StartDir,
		ShowHidden:     c.UI.ShowHidden,
		DefaultTags:    c.Tags,
		Color:          c.UI.Color,
		TagHistoryFile: tagHistoryPath(getenv),
		Home:           xdg.UserHome(getenv),
		SkipLinkedDirs: !c.UI.FollowLinks,
		// A crash report goes next to the journal; Run's error names it.
		CrashDir: xdg.FromEnv(getenv).State(),
	}
}

// tagHistoryPath is where the UI remembers tags for suggestions:
// $XDG_STATE_HOME/hoist/tags, else ~/.local/state/hoist/tags; empty when
// neither is known.
func tagHistoryPath(getenv func(string) string) string {
	return xdg.FromEnv(getenv).State("tags")
}
