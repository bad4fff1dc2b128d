package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/transfer/agent"
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

// TestFollowLinksReachesTheUI maps --follow-links and --no-follow-links to
// the UI's SkipLinkedDirs, and passes the state directory for crash
// reports.
func TestFollowLinksReachesTheUI(t *testing.T) {
	s := newSandbox(t)
	getenv := func(k string) string { return s.vars[k] }
	for _, tc := range []struct {
		args []string
		skip bool
	}{
		{nil, false},
		{[]string{"--follow-links=false"}, true},
		{[]string{"--no-follow-links"}, true},
		{[]string{"--follow-links"}, false},
	} {
		var stdout, stderr syncBuffer
		env := s.env(&stdout, &stderr)
		cmd := newUICommand(&env)
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		c, _, err := config.LoadClient(cmd.Flags(), getenv)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		opts := uiOptions(c, getenv)
		if opts.SkipLinkedDirs != tc.skip {
			t.Errorf("%q: SkipLinkedDirs = %v, want %v", tc.args, opts.SkipLinkedDirs, tc.skip)
		}
		if want := filepath.Join(s.vars["XDG_STATE_HOME"], "hoist"); opts.CrashDir != want {
			t.Errorf("CrashDir = %q, want %q", opts.CrashDir, want)
		}
	}
}

// TestAgentEngineSettingsErrors: a request to the agent whose engine
// settings are missing, null or malformed gets an error that names the
// "engine" field, not a bare JSON decoder message.
func TestAgentEngineSettingsErrors(t *testing.T) {
	factory := newAgentEngine(t.TempDir())
	for name, doc := range map[string]string{"missing": "", "null": "null", "malformed": `{"server": 7}`} {
		_, err := factory(agent.Settings{Server: "tcp://127.0.0.1:1", Engine: json.RawMessage(doc)})
		if err == nil || !strings.Contains(err.Error(), `"engine"`) {
			t.Errorf("%s engine settings: got %v, want an error naming \"engine\"", name, err)
		}
	}
}
