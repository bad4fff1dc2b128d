// Command hoist uploads files to a hoist server from a terminal, and is that
// server too. With no subcommand it opens the terminal UI; see `hoist help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Set through -ldflags by the release build.
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

// command is one subcommand. run gets the arguments after the command name;
// it returns errExit to set the exit status without printing.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"ui", "open the terminal UI (what plain 'hoist' does)", runTUI},
		{"serve", "run the storage server", runServe},
		{"send", "upload files without the terminal UI", runSend},
		{"token", "mint an access token signed with the server's key", runToken},
		{"ls", "list completed uploads on the server's data directory", runLs},
		{"demo", "start an embedded server and open the UI against it", runDemo},
		{"config", "show the effective configuration, or write an example", runConfig},
	}
}

// exitError carries an exit status; its message, if any, was already shown.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// parseFlags parses a command's flags. The flag package reports --help and
// bad flags itself; they end the command with exit status 0 and 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	switch err := fs.Parse(args); {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return exitError{0}
	default:
		return exitError{2}
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(ee.code)
	default:
		fmt.Fprintf(os.Stderr, "hoist: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "--version", "-version", "version":
			fmt.Fprintf(stdout, "hoist %s (commit %s, built %s)\n", version, commit, date)
			return nil
		case "help", "--help", "-help", "-h":
			usage(stdout)
			return nil
		}
		for _, c := range commands() {
			if c.name == args[0] {
				return c.run(ctx, args[1:])
			}
		}
		if args[0] != "" && args[0][0] != '-' {
			usage(os.Stderr)
			return fmt.Errorf("unknown command %q", args[0])
		}
	}
	return runTUI(ctx, args)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `hoist uploads files to a hoist server, resumably, and is that server too.

Usage:
  hoist [flags]              open the terminal UI (flags: hoist ui --help)
  hoist <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'hoist <command> --help' for a command's flags, 'hoist --version' for the version.
`)
}
