package bench

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// hoist is the binary under test, built by TestMain.
var hoist testkit.Hoist

// TestMain runs the process as a helper when benchHelperEnv says so;
// otherwise it builds the binary once for the whole run, removes it at the end,
// and fails the run if any goroutine the harness started outlived it.
// Toxiproxy's own background goroutines (v2.5.0 leaves some behind after a
// proxy stops) are not ours.
func TestMain(m *testing.M) {
	if code, ok := benchRunHelper(); ok {
		os.Exit(code)
	}
	h, remove, err := testkit.Build(testkit.RaceEnabled)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hoist = h
	goleak.VerifyTestMain(m,
		goleak.Cleanup(func(code int) {
			remove()
			os.Exit(code)
		}))
}
