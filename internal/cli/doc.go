// Package cli is hoist's command layer: the `hoist` command and its
// subcommands (ui, serve, send, token, ls, demo, config, completion), built
// on github.com/spf13/cobra with GNU-style flags from github.com/spf13/pflag.
//
// The commands read their settings through package config, so every setting
// has one key, one HOIST_* variable and one flag, and map them onto the
// options of transfer/server, transfer/client and tui. Main runs hoist as a
// program; Run runs one command line in-process, with the streams and
// environment an Env gives, as tests do.
package cli
