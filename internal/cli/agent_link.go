package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/xdg"
	"github.com/hoist-dev/hoist/transfer/agent"
	"github.com/hoist-dev/hoist/transfer/client"
)

// agentStartPatience bounds the wait for a freshly started agent's socket.
const agentStartPatience = 10 * time.Second

// agentDir is where the agent's socket and lock live: $XDG_RUNTIME_DIR/hoist,
// else the state directory's run/.
func agentDir(getenv func(string) string) string { return xdg.FromEnv(getenv).Runtime() }

// agentLog is the file a detached agent writes its log to.
func agentLog(getenv func(string) string) string { return xdg.FromEnv(getenv).State("agent.log") }

// engineSettings is the document a client hands the agent with each upload:
// the connection settings the agent's engine factory (newAgentEngine) turns
// into engine options. Paths are absolute, since the agent runs elsewhere.
// It travels only from the client to the agent.
type engineSettings struct {
	Server        string        `json:"server"`
	Token         string        `json:"token,omitempty"`
	TokenFile     string        `json:"token_file,omitempty"`
	TokenCommand  string        `json:"token_command,omitempty"`
	ChunkSize     int           `json:"chunk_size,omitempty"`
	WindowChunks  int           `json:"window_chunks,omitempty"`
	WindowBytes   int64         `json:"window_bytes,omitempty"`
	RetryBase     time.Duration `json:"retry_base,omitempty"`
	RetryCap      time.Duration `json:"retry_cap,omitempty"`
	RetryAttempts int           `json:"retry_attempts,omitempty"`
	ReadTimeout   time.Duration `json:"read_timeout,omitempty"`
	CAFile        string        `json:"ca_file,omitempty"`
	SSHCommand    string        `json:"ssh_command,omitempty"`
	RemoteCommand string        `json:"remote_command,omitempty"`
}

// agentSettings turns client settings into what the agent is sent. It
// checks that a token source is set, so that the mistake is reported here
// and not by the agent.
func agentSettings(c config.Client, keepTrying bool) (agent.Settings, error) {
	if _, err := config.NewTokenSource(c); err != nil {
		return agent.Settings{}, err
	}
	abs := func(p string) string {
		if p == "" {
			return ""
		}
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	doc, err := json.Marshal(engineSettings{
		Server: c.Server, Token: c.Token.Reveal(), TokenFile: abs(c.TokenFile), TokenCommand: c.TokenCommand,
		ChunkSize: c.ChunkSize, WindowChunks: c.Window.Chunks, WindowBytes: c.Window.Bytes,
		RetryBase: c.Retry.Base, RetryCap: c.Retry.Cap, RetryAttempts: c.Retry.Attempts,
		ReadTimeout: c.ReadTimeout, CAFile: abs(c.CAFile), SSHCommand: c.SSHCommand, RemoteCommand: c.RemoteCommand,
	})
	if err != nil {
		return agent.Settings{}, err
	}
	return agent.Settings{Server: c.Server, Engine: doc, KeepTrying: keepTrying}, nil
}

// newAgentEngine is the agent's engine factory: it makes an engine
// journaling in journalDir from the settings a client sent.
func newAgentEngine(journalDir string) agent.EngineFactory {
	return func(s agent.Settings) (*client.Engine, error) {
		if len(s.Engine) == 0 || string(s.Engine) == "null" {
			return nil, errors.New(`connection settings: the request has no "engine" settings (a hoist client sends them; see AGENT-PROTOCOL.md)`)
		}
		var es engineSettings
		if err := json.Unmarshal(s.Engine, &es); err != nil {
			return nil, fmt.Errorf(`connection settings: "engine" is not valid: %w`, err)
		}
		c := config.Client{
			Server: es.Server, Token: config.Secret(es.Token), TokenFile: es.TokenFile, TokenCommand: es.TokenCommand,
			ChunkSize: es.ChunkSize, Window: config.Window{Chunks: es.WindowChunks, Bytes: es.WindowBytes},
			Retry:       config.Retry{Base: es.RetryBase, Cap: es.RetryCap, Attempts: es.RetryAttempts},
			ReadTimeout: es.ReadTimeout, CAFile: es.CAFile, SSHCommand: es.SSHCommand, RemoteCommand: es.RemoteCommand,
		}
		tok, err := config.NewTokenSource(c)
		if err != nil {
			return nil, err
		}
		opts := engineOptions(c, tok, journalDir)
		if s.KeepTrying {
			opts.Retry.Budget = client.NoRetryBudget
		}
		return client.New(opts)
	}
}

// dialAgent connects to the running agent; errNoAgent when none runs.
func dialAgent(ctx context.Context, getenv func(string) string) (*agent.Client, error) {
	sock := agent.SocketPath(agentDir(getenv))
	c, err := agent.Dial(ctx, sock)
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
		return nil, errNoAgent
	}
	return c, err
}

// errNoAgent: no agent listens on the socket.
var errNoAgent = errors.New("no hoist agent runs (it starts with 'hoist send --detach', or the UI with --agent=always)")

// ensureAgent connects to the agent, starting one first if none runs.
func ensureAgent(ctx context.Context, getenv func(string) string) (*agent.Client, error) {
	c, err := dialAgent(ctx, getenv)
	if !errors.Is(err, errNoAgent) {
		return c, err
	}
	if err := spawnAgent(getenv); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, agentStartPatience)
	defer cancel()
	for {
		c, err := dialAgent(ctx, getenv)
		if !errors.Is(err, errNoAgent) {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the hoist agent did not start within %v: see its log %s", agentStartPatience, agentLog(getenv))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// spawnAgent starts `hoist agent` detached from this terminal: its own
// session, no controlling terminal, stdin from /dev/null, output to the log.
func spawnAgent(getenv func(string) string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("starting the hoist agent: %w", err)
	}
	logPath := agentLog(getenv)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
		return fmt.Errorf("starting the hoist agent: %w", err)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("starting the hoist agent: %w", err)
	}
	defer logFile.Close()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return fmt.Errorf("starting the hoist agent: %w", err)
	}
	defer devNull.Close()
	cmd := exec.Command(exe, "agent")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devNull, logFile, logFile
	cmd.Dir = "/"
	cmd.SysProcAttr = detachedProcess()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the hoist agent: %w", err)
	}
	// The agent outlives this process; nobody waits for it here.
	return cmd.Process.Release()
}
