package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/config"
)

const rmHelp = `Removes your files from a hoist server: the paths as 'hoist ls --server'
shows them. It is all or nothing: if one path is not one of your files (it
does not exist, or it is someone else's), nothing is removed, the error
names the path, and the exit status is not 0.

The connection flags are those of 'hoist send' (--server, --token-file,
--profile, ...), also from the config file and HOIST_* variables.`

const rmExamples = `  hoist rm --server tcp://files.example:7800 --token-file ~/.hoist.jwt photos/cat.png
  hoist rm --server ssh://alice@files.example "notes (2).txt" a/notes.txt`

// newRmCommand builds `hoist rm`, which removes the user's files on a
// server.
func newRmCommand(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rm [flags] PATH...",
		Short:   "Remove your files from a server",
		Long:    rmHelp,
		Example: rmExamples,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef(cmd, "nothing to remove: give the paths (see 'hoist ls --server')")
			}
			return nil
		},
	}
	flags := cmd.Flags()
	config.RegisterConnectionFlags(flags)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, _, err := config.LoadClient(flags, env.Getenv)
		if err != nil {
			return err
		}
		e, err := remoteEngine(c, env)
		if err != nil {
			return err
		}
		defer e.Close()
		removed, err := e.Remove(cmd.Context(), args)
		if err != nil {
			return fmt.Errorf("nothing removed: %w", err)
		}
		for _, p := range removed {
			fmt.Fprintf(env.Stdout, "removed %s\n", clean(p))
		}
		return nil
	}
	return cmd
}
