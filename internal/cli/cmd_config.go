package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/config"
)

const configHelp = `Shows the settings in effect and where each came from, or, with 'init',
writes a commented example config file.

Settings come from built-in defaults, then the config file, then HOIST_*
environment variables, then flags; each overrides the one before. The file
is $XDG_CONFIG_HOME/hoist/config.toml, else ~/.config/hoist/config.toml;
--config or HOIST_CONFIG names another. Client settings sit at the top level
of the file, named profiles in [servers.NAME] (chosen with --profile or
HOIST_PROFILE), and the server's in [serve].

Sizes are bytes or strings with a unit ("64MiB", "1GB"); durations are
strings like "250ms", "30s", "1h30m". Lists are arrays in the file; in the
environment and in flags their items are separated by commas (list flags may
also be repeated). An empty environment variable counts as unset. A path
that starts with "~/" is in the home directory.

hoist config accepts every flag listed below, to show its effect.

Settings:
`

// newConfigCommand builds `hoist config` and `hoist config init`.
func newConfigCommand(env *Env) *cobra.Command {
	var reference strings.Builder
	config.WriteReference(&reference)
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration, or write an example",
		Long:  configHelp + strings.TrimRight(reference.String(), "\n"),
		Example: `  hoist config
  hoist config --profile work
  hoist config init
  hoist config init - > hoist.toml`,
		Args: noArgs,
	}
	flags := cmd.Flags()
	config.RegisterClientFlags(flags)
	config.RegisterUIFlags(flags)
	config.RegisterServerFlags(flags)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		// Both read the same file: stop at the first to report its errors once.
		client, csrc, err := config.LoadClient(flags, env.Getenv)
		if err != nil {
			return err
		}
		server, ssrc, err := config.LoadServer(flags, env.Getenv)
		if err != nil {
			return err
		}
		return writeSettings(env.Stdout, &client, &csrc, &server, &ssrc)
	}
	cmd.AddCommand(newConfigInitCommand(env))
	return cmd
}

// writeSettings shows the settings in effect with where each came from.
func writeSettings(w io.Writer, client *config.Client, csrc *config.Sources, server *config.Server, ssrc *config.Sources) error {
	file := csrc.File + " (not found: defaults apply; 'hoist config init' writes an example)"
	switch {
	case csrc.File == "":
		file = "none (no home directory)"
	case csrc.FileFound:
		file = csrc.File
	}
	fmt.Fprintf(w, "# hoist settings in effect, with where each came from.\n# config file: %s\n\n", file)
	fmt.Fprintln(w, "# Uploading: the terminal UI, 'hoist send', 'hoist demo'.")
	if err := config.WriteClient(w, client, csrc); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n# The server: 'hoist serve'.")
	return config.WriteServer(w, server, ssrc)
}

// newConfigInitCommand builds `hoist config init`, which writes the example
// config file.
func newConfigInitCommand(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init [PATH]",
		Short: "Write a commented example config file",
		Long: fmt.Sprintf("Writes a commented example config file, documenting every setting and its\n"+
			"default, to PATH (default $HOIST_CONFIG, else %s), or to standard output if\n"+
			"PATH is -. An existing file is kept unless --force is given.", config.DefaultPath(env.Getenv)),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef(cmd, "one path at most, got %q", args)
			}
			return nil
		},
	}
	force := cmd.Flags().Bool("force", false, "overwrite an existing file")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		path := config.DefaultPath(env.Getenv)
		if p := env.Getenv("HOIST_CONFIG"); p != "" {
			path = p
		}
		if len(args) == 1 {
			path = args[0]
		}
		if path == "-" {
			_, err := io.WriteString(env.Stdout, config.Example())
			return err
		}
		if path == "" {
			return errors.New("config init: no home directory to put the file in: give a PATH")
		}
		path = config.ExpandHome(path, env.Getenv)
		if err := config.WriteExample(path, *force); err != nil {
			return fmt.Errorf("config init: %w", err)
		}
		_, err := fmt.Fprintf(env.Stdout, "wrote %s\n", path)
		return err
	}
	return cmd
}
