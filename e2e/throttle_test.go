package e2e

import (
	"testing"

	"github.com/hoist-dev/hoist/internal/testkit"
)

// startThrottle proxies a loopback port to target through a link of
// perSecond bytes a second each way, a slow uplink that counts what it
// passed on (Forwarded); it stops when the test ends.
func startThrottle(t *testing.T, target string, perSecond int64) *testkit.Link {
	t.Helper()
	l, err := testkit.StartLink(target, perSecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Stop)
	return l
}
