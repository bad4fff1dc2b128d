package chaos_test

import (
	"github.com/hoist-dev/hoist/transfer/chaos"
	"github.com/hoist-dev/hoist/transfer/server"
)

// Faults plugs into the server's fault-injection seam.
var _ server.Faults = (*chaos.Faults)(nil)
