package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/transfer/agent"
)

const agentHelp = `Runs the background agent: uploads handed to it ('hoist send --detach', the
UI with agent = always, or auto over SSH) go on when the terminal that
started them goes away, and 'hoist' or 'hoist status' shows them again.

The agent is started on demand; there is no need to run this command
yourself, except under a service manager. It listens on a Unix socket in
$XDG_RUNTIME_DIR/hoist (else the state directory), which only its user may
use; one agent runs per user and machine. It journals like 'hoist send':
if it is killed, 'hoist send --resume' continues its uploads. It exits by
itself when it has had no uploads and no clients for --idle-timeout
(HOIST_AGENT_IDLE_TIMEOUT).`

// newAgentCommand builds `hoist agent`.
func newAgentCommand(env *Env) *cobra.Command {
	var idle time.Duration
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the background agent that keeps uploads going without a terminal",
		Long:  agentHelp,
		Args:  noArgs,
	}
	cmd.Flags().DurationVar(&idle, "idle-timeout", agent.DefaultIdleTimeout, "exit after this `duration` without uploads and clients")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if v := env.Getenv("HOIST_AGENT_IDLE_TIMEOUT"); v != "" && !cmd.Flags().Changed("idle-timeout") {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("HOIST_AGENT_IDLE_TIMEOUT=%q is not a positive duration such as 5m", v)
			}
			idle = d
		}
		// The terminal that started the agent may go away at any time.
		signal.Ignore(syscall.SIGHUP)
		log := slog.New(slog.NewTextHandler(env.Stderr, nil))
		s, err := agent.Listen(agent.Config{
			Dir:         agentDir(env.Getenv),
			NewEngine:   newAgentEngine(userJournal(env.Getenv)),
			IdleTimeout: idle,
			Logger:      log,
		})
		var running *agent.AlreadyRunningError
		if errors.As(err, &running) {
			fmt.Fprintf(env.Stdout, "%v\n", running)
			return nil
		}
		if err != nil {
			return err
		}
		log.Info("hoist agent listening", "socket", s.Socket(), "idle_timeout", idle)
		return s.Serve(cmd.Context())
	}
	return cmd
}
