package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/chaos"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/store"
)

const demoHelp = `Starts a hoist server on a free loopback port, keeps its data in a directory
(--data, default ./hoist-demo-data), mints a token for the user "demo", and
opens the terminal UI in the current directory, pointed at that server: pick
files, tag them, upload them, and watch their chunks go up. Quitting the UI
stops the server; hoist demo then says where the uploaded files are and lists
them. Run it again with the same --data to find them, and any unfinished
upload, still there.

--chaos makes the server fail on purpose (refused and corrupted chunks,
dropped and stalled connections, slow acknowledgements, busy logins), so
that the UI shows chunks being resent and reconnections backing off. It
uses a lively mix (` + chaos.DemoSpec + `);
--chaos=SPEC picks another, in the grammar 'hoist serve --help' gives
(for example --chaos=demo,seed=7 to repeat a run).
With chaos the UI asks for 256 KiB chunks (unless a chunk size is
configured), so that files span enough chunks to watch.

--no-ui runs the server alone: it prints the address and a token file to
upload to it with 'hoist send', and runs until interrupted (ctrl+c).`

const demoExamples = `  hoist demo
  hoist demo --chaos
  hoist demo --no-ui --data /tmp/demo`

// demoUser is the user the demo's token is for.
const demoUser = "demo"

// demo is one run of `hoist demo`.
type demo struct {
	dataDir string // as the user gave it, for the commands printed
	chaos   string // chaos spec; empty is off
	noUI    bool
	client  config.Client // the UI's settings; server and token are the demo's
	getenv  func(string) string
}

// chaosFlag is --chaos: a boolean flag that may carry a spec, so that
// --chaos means the lively demo spec and --chaos=SPEC another.
type chaosFlag struct{ spec *string }

func (f chaosFlag) IsBoolFlag() bool { return true }
func (f chaosFlag) Type() string     { return "spec" }
func (f chaosFlag) String() string {
	if f.spec == nil {
		return ""
	}
	return *f.spec
}
func (f chaosFlag) Set(text string) error {
	switch text {
	case "true":
		*f.spec = chaos.DemoSpec
	case "false":
		*f.spec = ""
	default:
		if _, err := chaos.Parse(text); err != nil {
			return err
		}
		*f.spec = text
	}
	return nil
}

// newDemoCommand builds `hoist demo`, which runs an embedded server and
// the terminal UI against it.
func newDemoCommand(env *Env) *cobra.Command {
	d := &demo{getenv: env.Getenv}
	cmd := &cobra.Command{
		Use:     "demo",
		Short:   "Start an embedded server and open the UI against it",
		Long:    demoHelp,
		Example: demoExamples,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			hint := ""
			if strings.Contains(args[0], "=") {
				hint = " (a chaos spec goes after an equals sign: --chaos=" + args[0] + ")"
			}
			return usagef(cmd, "unexpected argument %q%s", args[0], hint)
		},
	}
	flags := cmd.Flags()
	flags.StringVar(&d.dataDir, "data", "hoist-demo-data", "keep the server's files, metadata, key and the demo token in this `directory`")
	flags.Var(chaosFlag{&d.chaos}, "chaos", "make the server fail on purpose; --chaos=SPEC for other faults than the demo's")
	flags.BoolVar(&d.noUI, "no-ui", false, "run only the server; print its address and a token file, and wait for ctrl+c")
	config.RegisterUIFlags(flags)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if d.dataDir == "" {
			return usagef(cmd, "--data needs a directory")
		}
		d.dataDir = config.ExpandHome(d.dataDir, env.Getenv)
		c, src, err := config.LoadClient(flags, env.Getenv)
		if err != nil {
			return err
		}
		if d.chaos != "" && src.Of("chunk_size").Kind == config.SourceDefault {
			c.ChunkSize = demoChaosChunkSize
		}
		d.client = c
		return d.run(cmd.Context(), env.Stdout, env.Stderr)
	}
	return cmd
}

// demoChaosChunkSize is the chunk size `hoist demo --chaos` asks for unless
// one is configured: small enough that everyday files span many chunks, so
// the chunk map shows faults landing on some of them and their resends.
const demoChaosChunkSize = 256 << 10

// Files the demo keeps in its data directory besides the server's own.
const (
	demoTokenFile   = "demo-token"     // the demo user's token, for hoist send
	demoAddressFile = "demo-address"   // the last port, reused so that uploads resume
	demoLogFile     = "server.log"     // the server's log while the UI has the terminal
	demoJournalDir  = "client-journal" // the UI's upload journal
)

func (d *demo) run(ctx context.Context, stdout, stderr io.Writer) error {
	root, err := filepath.Abs(d.dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("demo data directory: %w", err)
	}
	logTo := stderr
	if !d.noUI {
		f, err := os.OpenFile(filepath.Join(root, demoLogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("demo server log: %w", err)
		}
		defer f.Close()
		logTo = f
	}
	srv, url, err := startDemoServer(ctx, root, d.chaos, d.getenv, slog.New(slog.NewTextHandler(logTo, nil)))
	if err != nil {
		return err
	}
	tokenPath := filepath.Join(d.dataDir, demoTokenFile)
	token, err := mintDemoToken(root)
	if err != nil {
		srv.stop()
		return err
	}

	fmt.Fprintf(stdout, "hoist demo: server for user %q listening on %s\n", demoUser, url)
	fmt.Fprintf(stdout, "  data:  %s\n  token: %s\n", root, tokenPath)
	if d.chaos != "" {
		fmt.Fprintf(stdout, "  chaos: %s (failing on purpose)\n", d.chaos)
	}
	if d.noUI {
		fmt.Fprintf(stdout, "Upload to it with:\n  %s send --server %s --token-file %s FILE...\nPress ctrl+c to stop.\n",
			selfCommand(), url, shellQuote(tokenPath))
		<-ctx.Done()
	} else {
		c := d.client
		c.Server, c.Token, c.TokenFile, c.TokenCommand, c.Profile = url, config.Secret(token), "", "", ""
		err = runUI(ctx, c, filepath.Join(root, demoJournalDir), d.getenv)
	}
	stopErr := srv.stop()
	if err := errors.Join(err, stopErr); err != nil {
		return err
	}
	if srv.faults != nil {
		fmt.Fprintf(stdout, "\nhoist demo: chaos injected %s\n", srv.faults.Counts())
	}
	fmt.Fprintf(stdout, "\nhoist demo: server stopped. The uploaded files are in\n  %s\nList them with:\n  %s ls --root %s\n\n",
		filepath.Join(root, "users", demoUser)+string(filepath.Separator), selfCommand(), shellQuote(d.dataDir))
	return listFiles(root, store.Query{User: demoUser}, false, stdout, stdout)
}

// demoServer is the demo's embedded server, serving on one listener.
type demoServer struct {
	srv    *server.Server
	served chan error    // Serve's result
	faults *chaos.Faults // nil without chaos
}

// startDemoServer starts a server with the default limits on a loopback
// port: the one the last demo used if it is free, so that its unfinished
// uploads can resume, else any. It returns the server and its address.
func startDemoServer(ctx context.Context, root, chaosSpec string, getenv func(string) string, log *slog.Logger) (*demoServer, string, error) {
	cfg := config.DefaultServer(getenv)
	cfg.Root, cfg.Chaos = root, chaosSpec
	opts, err := serverOptions(cfg, log)
	if err != nil {
		return nil, "", err
	}
	ln, err := listenDemo(root)
	if err != nil {
		return nil, "", err
	}
	srv, err := server.New(opts)
	if err != nil {
		ln.Close()
		return nil, "", err
	}
	d := &demoServer{srv: srv, served: make(chan error, 1)}
	d.faults, _ = opts.Faults.(*chaos.Faults)
	go func() { d.served <- srv.Serve(context.WithoutCancel(ctx), ln) }()
	return d, "tcp://" + ln.Addr().String(), nil
}

// listenDemo listens on the loopback port recorded in root, else on a free
// one, and records it.
func listenDemo(root string) (net.Listener, error) {
	record := filepath.Join(root, demoAddressFile)
	if last, err := os.ReadFile(record); err == nil {
		if ln, err := net.Listen("tcp", strings.TrimSpace(string(last))); err == nil {
			return ln, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo server: %w", err)
	}
	if err := os.WriteFile(record, []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("demo server: %w", err)
	}
	return ln, nil
}

// stop shuts the server down gracefully and waits for it.
func (d *demoServer) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := d.srv.Shutdown(ctx)
	if serveErr := <-d.served; !errors.Is(serveErr, server.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// mintDemoToken signs a token for the demo user with the server's
// generated secret and saves it in the data directory for hoist send.
func mintDemoToken(root string) (string, error) {
	key, err := auth.LoadOrCreateSecret(filepath.Join(root, auth.DefaultSecretFile))
	if err != nil {
		return "", err
	}
	token, err := auth.Mint(key, auth.Claims{Subject: demoUser, TTL: 30 * 24 * time.Hour})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(root, demoTokenFile), []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("demo token: %w", err)
	}
	return token, nil
}

// selfCommand is how the user ran hoist, for the commands the demo
// suggests: "go run ." when it is a binary that go run built.
func selfCommand() string {
	exe, err := os.Executable()
	if err == nil && strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "go run ."
	}
	return "hoist"
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
