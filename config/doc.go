// Package config resolves hoist's settings from four layers, each overriding
// the one before: built-in defaults, a TOML file, HOIST_* environment variables
// and command-line flags.
//
// The file lives at $XDG_CONFIG_HOME/hoist/config.toml, else
// ~/.config/hoist/config.toml; --config (or HOIST_CONFIG) names another one.
// Client keys sit at the top level, named profiles under [servers.NAME], and
// the server's under [serve]. Unknown keys and values of the wrong type are
// errors that name the file, line and key.
//
// A command registers the flags it takes and, after parsing them, loads its
// settings:
//
//	fs := pflag.NewFlagSet("send", pflag.ContinueOnError)
//	config.RegisterClientFlags(fs)
//	if err := fs.Parse(args); err != nil { ... }
//	cfg, sources, err := config.LoadClient(fs, os.Getenv)
//
// Flags are github.com/spf13/pflag flags (GNU style: --chunk-size 4MiB),
// registered from the same table of fields that names every setting's key
// and environment variable. A leading "~" in a path setting (token_file,
// serve.root, ...) is the home directory, whichever layer set it.
//
// Sources records where each value came from, for `hoist config`. Tokens are
// held as Secret and never printed.
package config
