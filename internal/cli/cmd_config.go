package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hoist-dev/hoist/config"
)

const configUsage = `Usage:
  hoist config [flags]                 show the settings in effect and where each came from
  hoist config init [--force] [PATH]   write a commented example config file
  hoist config init -                  print the example instead

Settings come from built-in defaults, then the config file, then HOIST_*
environment variables, then flags; each overrides the one before. The file
is $XDG_CONFIG_HOME/hoist/config.toml, else ~/.config/hoist/config.toml;
--config or HOIST_CONFIG names another. Client settings sit at the top level
of the file, named profiles in [servers.NAME] (chosen with --profile or
HOIST_PROFILE), and the server's in [serve].

Sizes are bytes or strings with a unit ("64MiB", "1GB"); durations are
strings like "250ms", "30s", "1h30m". Lists are arrays in the file; in the
environment and in flags their items are separated by commas (list flags may
also be repeated). An empty environment variable counts as unset.

hoist config accepts every flag listed below, to show its effect.

Settings:
`

// runConfig shows the effective configuration, or writes an example file.
func runConfig(ctx context.Context, args []string) error {
	return configCommand(args, os.Stdout, os.Stderr, os.Getenv)
}

func configCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "init" {
		return configInit(args[1:], stdout, stderr, getenv)
	}
	fs := flag.NewFlagSet("hoist config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), configUsage)
		config.WriteReference(fs.Output())
	}
	config.RegisterClientFlags(fs)
	config.RegisterUIFlags(fs)
	config.RegisterServerFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	// Both read the same file: stop at the first to report its errors once.
	client, csrc, err := config.LoadClient(fs, getenv)
	if err != nil {
		return err
	}
	server, ssrc, err := config.LoadServer(fs, getenv)
	if err != nil {
		return err
	}

	file := csrc.File + " (not found: defaults apply; 'hoist config init' writes an example)"
	switch {
	case csrc.File == "":
		file = "none (no home directory)"
	case csrc.FileFound:
		file = csrc.File
	}
	fmt.Fprintf(stdout, "# hoist settings in effect, with where each came from.\n# config file: %s\n\n", file)
	fmt.Fprintln(stdout, "# Uploading: the terminal UI, 'hoist send', 'hoist demo'.")
	if err := config.WriteClient(stdout, &client, &csrc); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\n# The server: 'hoist serve'.")
	return config.WriteServer(stdout, &server, &ssrc)
}

// configInit writes the example config file.
func configInit(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("hoist config init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	force := fs.Bool("force", false, "overwrite an existing file")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: hoist config init [--force] [PATH]\n\n"+
			"Writes a commented example config file, documenting every setting and its\n"+
			"default, to PATH (default %s), or to standard output if PATH is -.\n\n", config.DefaultPath(getenv))
		fs.PrintDefaults()
	}
	// Allow the flag after the path too: hoist config init PATH --force.
	var paths []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		paths, args = append(paths, fs.Arg(0)), fs.Args()[1:]
	}
	if len(paths) > 1 {
		fs.Usage()
		return fmt.Errorf("config init: one path at most, got %q", paths)
	}
	path := config.DefaultPath(getenv)
	if p := getenv("HOIST_CONFIG"); p != "" {
		path = p
	}
	if len(paths) == 1 {
		path = paths[0]
	}
	if path == "-" {
		_, err := io.WriteString(stdout, config.Example())
		return err
	}
	if path == "" {
		return errors.New("config init: no home directory to put the file in: give a PATH")
	}
	if err := config.WriteExample(path, *force); err != nil {
		return fmt.Errorf("config init: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	return nil
}
