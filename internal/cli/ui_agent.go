package cli

import (
	"context"
	"errors"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/tui"
)

// uiAgent returns the Uploader of the background agent when the settings
// say the UI should use it (agent = always; or auto, when the terminal is
// remote or an agent runs already), starting the agent if needed; nil
// when the UI runs its engine itself.
func uiAgent(ctx context.Context, c config.Client, getenv func(string) string) (*tui.AgentUploader, error) {
	var use bool
	switch c.UI.Agent {
	case "never":
		return nil, nil
	case "always":
		use = true
	default:
		use = getenv("SSH_CONNECTION") != ""
	}
	set, err := agentSettings(c, true)
	if err != nil {
		return nil, err
	}
	ac, err := dialAgent(ctx, getenv)
	switch {
	case errors.Is(err, errNoAgent) && !use:
		return nil, nil
	case errors.Is(err, errNoAgent):
		ac, err = ensureAgent(ctx, getenv)
	}
	if err != nil {
		return nil, err
	}
	up, err := tui.NewAgentUploader(ctx, ac, set)
	if err != nil {
		ac.Close()
		return nil, err
	}
	return up, nil
}
