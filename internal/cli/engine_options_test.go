package cli

import (
	"testing"
	"time"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/transfer/client"
)

// TestRetryBudgetReachesTheEngine maps the retry.budget setting into the
// engine's policy: the default is finite, 0 means no limit.
func TestRetryBudgetReachesTheEngine(t *testing.T) {
	c := config.DefaultClient()
	if got := engineOptions(c, client.StaticToken("t"), t.TempDir()).Retry.Budget; got != 2*time.Minute {
		t.Errorf("default retry budget: got %v, want 2m", got)
	}
	c.Retry.Budget = 5 * time.Second
	if got := engineOptions(c, client.StaticToken("t"), t.TempDir()).Retry.Budget; got != 5*time.Second {
		t.Errorf("retry.budget = 5s: got %v", got)
	}
	c.Retry.Budget = 0
	if got := engineOptions(c, client.StaticToken("t"), t.TempDir()).Retry.Budget; got != client.NoRetryBudget {
		t.Errorf("retry.budget = 0: got %v, want NoRetryBudget", got)
	}
}
