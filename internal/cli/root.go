package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Env is what one run of hoist sees of its process.
type Env struct {
	Stdin  *os.File
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment: os.Getenv, or a test's map.
	Getenv func(string) string
	Build  Build
}

// Exit statuses besides 0 (success) and 1 (the command failed).
const (
	exitUsage = 2 // the command line is wrong: unknown flag, missing argument
)

// Main runs hoist with the process's arguments, streams and environment
// until ctx is done, and returns the exit status. build is what the release
// build stamped into package main; empty fields are filled in from the
// module and VCS information the Go toolchain records (debug.ReadBuildInfo).
func Main(ctx context.Context, build Build) int {
	env := Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		Build:  build.orRecorded(debug.ReadBuildInfo),
	}
	return Run(ctx, env, os.Args[1:])
}

// Run runs the command line args (without the program's name) and returns
// the exit status: 0 on success, 2 for a command line that is wrong, 1 for
// any other failure. Errors are reported on env.Stderr.
func Run(ctx context.Context, env Env, args []string) int {
	root := newRootCommand(&env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var (
		usage usageError
		exit  exitError
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage):
		fmt.Fprintf(env.Stderr, "%s: %v\nRun '%s --help' for usage.\n", usage.cmd.CommandPath(), usage.err, usage.cmd.CommandPath())
		return exitUsage
	}
	fmt.Fprintf(env.Stderr, "hoist: %v\n", err)
	return 1
}

// exitError ends a command with an exit status; what went wrong was
// already shown.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a command line that cmd cannot run: Run reports it in one
// line, points to cmd's --help, and exits with status 2.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError of cmd.
func usagef(cmd *cobra.Command, format string, args ...any) error {
	return usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// noArgs is the Args check of commands that take flags only.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef(cmd, "unexpected argument %q", args[0])
	}
	return nil
}

// newRootCommand builds `hoist`: with no subcommand it opens the terminal
// UI, taking the flags of `hoist ui`.
func newRootCommand(env *Env) *cobra.Command {
	root := newUICommand(env)
	root.Use = "hoist"
	root.Short = "Resumable file uploads from the terminal, and the server they go to"
	root.Long = rootHelp
	root.Version = env.Build.String()
	root.Args = unknownCommand
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate("hoist {{.Version}}\n")
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{cmd: cmd, err: err}
	})
	root.AddCommand(
		newUICommand(env),
		newServeCommand(env),
		newSendCommand(env),
		newAgentCommand(env),
		newStatusCommand(env),
		newTokenCommand(env),
		newLsCommand(env),
		newRmCommand(env),
		newDemoCommand(env),
		newConfigCommand(env),
		newVersionCommand(env),
		newManCommand(root, env.Build),
	)
	// Added now rather than when the command runs, so that the manual pages
	// and tests see them.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

const rootHelp = `hoist uploads files to a hoist server, resumably, and is that server too.

With no command it opens the terminal UI, as 'hoist ui' does, with the same
flags. Flags go anywhere on the command line, in GNU style (--server ADDR or
--server=ADDR); "--" ends them. Every connection and server setting can
also be set in the config file or with a HOIST_* variable: see
'hoist config --help'. 'hoist completion --help' sets up shell completion.`

// unknownCommand is the root's Args check: arguments the root does not
// take are a mistyped command, answered with a suggestion.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return usageError{cmd: cmd, err: errors.New(msg)}
}

// newVersionCommand builds `hoist version`, the same as `hoist --version`.
func newVersionCommand(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print hoist's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(env.Stdout, "hoist %s\n", env.Build)
			return err
		},
	}
}
