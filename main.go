// Command hoist uploads files to a hoist server from a terminal, and is that
// server too. With no subcommand it opens the terminal UI; see `hoist --help`.
// The commands live in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hoist-dev/hoist/internal/cli"
)

// Set through -ldflags by the release build (.goreleaser.yaml). Left empty,
// hoist reports the module version and VCS revision recorded by the Go
// toolchain instead.
var (
	version string
	commit  string
	date    string
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.Build{Version: version, Commit: commit, Date: date})
	stop()
	os.Exit(code)
}
