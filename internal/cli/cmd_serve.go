package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoist-dev/hoist/config"
	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/chaos"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/store"
)

const serveHelp = `Runs the storage server. It listens on TCP (optionally TLS) and/or a Unix
socket, or serves one session over stdin/stdout with --stdio (what clients
run through ssh). Completed files land in DIR/users/USER/. Each listener is
announced on stderr as one line, "hoist: listening on tcp://HOST:PORT" (or
tls://, unix://), once it accepts connections. SIGINT or SIGTERM stops it
gracefully: no new connections, chunks already received are made durable
and acknowledged, then it exits.

Tokens are checked against an HS256 secret, an Ed25519 or an RSA public key.
With no key configured, a random HS256 secret is created in DIR/jwt-secret
(mode 0600); 'hoist token --root DIR' mints tokens with it.

--chaos SPEC is a testing aid that makes the server misbehave on purpose,
each fault at its own rate, in comma-separated terms:
  auth-busy=0.2     refuse an AUTHENTICATION with busy
  busy=0.05         answer a TRANSFER busy, storing nothing
  corrupt=5%        answer a TRANSFER corrupt, storing nothing
  drop=0.01         cut the connection part-way through a TRANSFER
  stall=0.01:5s     stop reading part-way through a TRANSFER for 5s, then hang up
  delay=0.1:200ms   hold back the Ok to a durable chunk for 200ms
  seed=42           make the same decisions run after run
or "demo" (` + chaos.DemoSpec + `),
optionally followed by overrides ("demo,seed=7"). Nothing acknowledged is
ever lost to it; it is logged loudly at start and never meant for real data.

--stdio --user USER serves the session as USER: a request without a token
acts as USER (a token, when sent, is still verified and decides). It is meant
as a forced command in ~/.ssh/authorized_keys, so that ssh's login decides who
uploads and clients need no token:
  command="hoist serve --stdio --user alice --root /srv/hoist",restrict ssh-ed25519 AAAA... alice@laptop

Every flag but --stdio and --user can also be set in the [serve] table of the config
file or with a HOIST_* variable: see 'hoist config --help'.`

const serveExamples = `  hoist serve --listen 127.0.0.1:7800 --root /srv/hoist
  hoist serve --listen :7800 --tls-cert cert.pem --tls-key key.pem --root /srv/hoist
  hoist serve --unix /run/hoist.sock --quota 10GiB --max-file-size 2GiB
  ssh host hoist serve --stdio        (what a client's ssh:// address runs)
  hoist serve --stdio --user alice    (forced command for alice's ssh key)
  hoist serve --chaos demo            (fail on purpose, to watch clients retry)`

// newServeCommand builds `hoist serve`, which runs the server until ctx is
// done.
func newServeCommand(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "serve",
		Short:   "Run the storage server",
		Long:    serveHelp,
		Example: serveExamples,
		Args:    noArgs,
	}
	flags := cmd.Flags()
	config.RegisterServerFlags(flags)
	stdio := flags.Bool("stdio", false, "serve one session over stdin/stdout, then exit (logs go to stderr)")
	user := flags.String("user", "", "with --stdio: serve the session as `USER`, who needs no token (ssh forced command)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *user != "" && !*stdio {
			return usagef(cmd, "--user needs --stdio: it names the user of an ssh session")
		}
		if *user != "" {
			if err := store.SafeName(*user); err != nil {
				return usagef(cmd, "--user %q cannot name a user: %v", *user, err)
			}
		}
		cfg, err := loadServe(flags, env.Getenv, *stdio)
		if err != nil {
			return err
		}
		return serve(cmd.Context(), cfg, env, *user)
	}
	return cmd
}

// loadServe resolves the server settings: the flags set on flags over HOIST_*
// variables, the config file and the defaults (see config).
func loadServe(flags *pflag.FlagSet, getenv func(string) string, stdio bool) (config.Server, error) {
	cfg, src, err := config.LoadServer(flags, getenv)
	if err != nil {
		return cfg, err
	}
	cfg.Stdio = stdio
	if cfg.Limits.MaxChunkSize > server.MaxChunkSizeLimit {
		return cfg, fmt.Errorf("max chunk size %s (%s) is over %s, the most one frame can carry",
			units.FormatSize(uint64(cfg.Limits.MaxChunkSize)), src.Of("serve.limits.max_chunk_size"), units.FormatSize(server.MaxChunkSizeLimit))
	}
	// The default TCP address applies only when nothing else is asked for.
	if (cfg.Unix != "" || cfg.Stdio) && src.Of("serve.listen").Kind == config.SourceDefault {
		cfg.Listen = nil
	}
	return cfg, nil
}

// serverOptions maps the settings to the server's options: the one place
// where config meets transfer/server.
func serverOptions(cfg config.Server, log *slog.Logger) (server.Options, error) {
	if cfg.Root == "" {
		return server.Options{}, errors.New("no data directory: pass --root DIR")
	}
	v, err := auth.LoadVerifier(
		auth.KeyConfig{SecretFile: cfg.JWT.SecretFile, PublicKeyFile: cfg.JWT.PublicKeyFile, DataDir: cfg.Root},
		auth.VerifyOptions{Issuer: cfg.JWT.Issuer, Audience: cfg.JWT.Audience, Leeway: cfg.JWT.Leeway},
	)
	if err != nil {
		return server.Options{}, err
	}
	faults, err := chaosFaults(cfg.Chaos, log)
	if err != nil {
		return server.Options{}, err
	}
	l := cfg.Limits
	return server.Options{
		Root:     cfg.Root,
		Verifier: v,
		Logger:   log,
		Faults:   faults,
		// Without the extension, clients fall back to base64 JSON.
		DisableRawTransfer: cfg.DisableRawTransfer,
		Limits: server.Limits{
			MaxFileSize:    l.MaxFileSize,
			Quota:          l.Quota,
			MaxConnections: l.MaxConnections,
			MaxFiles:       l.MaxFiles,
			MaxTags:        l.MaxTags,
			MaxTagLength:   l.MaxTagLength,
			MaxChunkSize:   l.MaxChunkSize,
			IdleTimeout:    l.IdleTimeout,
			FrameTimeout:   l.FrameTimeout,
			PartialExpiry:  l.PartialExpiry,
		},
	}, nil
}

// chaosFaults returns the fault injector for spec, or nil (not a nil
// *chaos.Faults) when spec injects nothing. chaos.New logs loudly that
// chaos is on.
func chaosFaults(spec string, log *slog.Logger) (server.Faults, error) {
	s, err := chaos.Parse(spec)
	if err != nil || !s.Enabled() {
		return nil, err
	}
	return chaos.New(s, log), nil
}

// shutdownTimeout bounds the graceful part of stopping.
const shutdownTimeout = 30 * time.Second

// serve runs the server described by cfg until ctx is done (or, with
// Stdio, until the session ends). stdioUser, if set, is the user of the
// stdio session (see ServeConnAs).
func serve(ctx context.Context, cfg config.Server, env *Env, stdioUser string) error {
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	if len(cfg.Listen) == 0 && cfg.Unix == "" && !cfg.Stdio {
		return errors.New("nothing to serve: give --listen, --unix or --stdio")
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return errors.New("TLS needs both --tls-cert and --tls-key")
	}
	opts, err := serverOptions(cfg, log)
	if err != nil {
		return err
	}
	listeners, urls, err := listen(cfg)
	if err != nil {
		return err
	}
	srv, err := server.New(opts)
	if err != nil {
		for _, ln := range listeners {
			ln.Close()
		}
		return err
	}
	log.Info("hoist server starting", "version", env.Build.Version, "root", cfg.Root, "listeners", urls, "stdio", cfg.Stdio)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(listeners)+1)
	for i, ln := range listeners {
		fmt.Fprintf(env.Stderr, "hoist: listening on %s\n", urls[i])
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, server.ErrServerClosed) && ctx.Err() == nil {
				errc <- fmt.Errorf("serving %s: %w", ln.Addr(), err)
			}
		}()
	}
	if cfg.Stdio {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, restore := stdioConn(env.Stdin, env.Stdout)
			defer restore()
			if err := srv.ServeConnAs(ctx, conn, stdioUser); err != nil {
				log.Error("serving stdin/stdout", "err", err)
			}
			errc <- nil // the session is over: stop
		}()
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing chunks in flight")
	case runErr = <-errc:
	}
	sctx, stop := context.WithTimeout(context.Background(), shutdownTimeout)
	defer stop()
	err = srv.Shutdown(sctx)
	cancel()
	wg.Wait()
	if err != nil {
		return errors.Join(runErr, fmt.Errorf("shutdown: %w", err))
	}
	if f, ok := opts.Faults.(*chaos.Faults); ok {
		log.Warn("CHAOS MODE: faults injected", "counts", f.Counts().String())
	}
	log.Info("server stopped")
	return runErr
}

// listen opens every configured listener and returns them with the URLs
// to announce.
func listen(cfg config.Server) ([]net.Listener, []string, error) {
	var (
		lns  []net.Listener
		urls []string
	)
	fail := func(err error) ([]net.Listener, []string, error) {
		for _, ln := range lns {
			ln.Close()
		}
		return nil, nil, err
	}
	var tlsCfg *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fail(fmt.Errorf("loading TLS certificate: %w", err))
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	for _, addr := range cfg.Listen {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fail(fmt.Errorf("listening on %s: %w", addr, err))
		}
		scheme := "tcp"
		if tlsCfg != nil {
			ln, scheme = tls.NewListener(ln, tlsCfg), "tls"
		}
		lns = append(lns, ln)
		urls = append(urls, scheme+"://"+ln.Addr().String())
	}
	if cfg.Unix != "" {
		removeStaleSocket(cfg.Unix)
		ln, err := net.Listen("unix", cfg.Unix)
		if err != nil {
			return fail(fmt.Errorf("listening on %s: %w", cfg.Unix, err))
		}
		lns = append(lns, ln)
		urls = append(urls, "unix://"+cfg.Unix)
	}
	return lns, urls, nil
}

// removeStaleSocket removes a socket file left by a server that died, but
// not one a live server answers on, and nothing that is not a socket.
func removeStaleSocket(path string) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return
	}
	os.Remove(path)
}

// stdioConn joins stdin and stdout into one connection. Where stdin is a
// pipe or socket it is switched to non-blocking mode so that read
// deadlines (idle and frame timeouts) work; restore undoes that.
func stdioConn(stdin *os.File, stdout io.Writer) (io.ReadWriteCloser, func()) {
	in := stdin
	restore := func() {}
	fd := stdin.Fd()
	if fi, err := stdin.Stat(); err == nil && fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0 {
		if setNonblock(fd, true) == nil {
			in = os.NewFile(fd, "stdin")
			restore = func() { setNonblock(fd, false) }
		}
	}
	return &pipeConn{in: in, out: stdout}, restore
}

// pipeConn is a connection made of a file to read and a stream to write.
type pipeConn struct {
	in  *os.File
	out io.Writer
}

func (c *pipeConn) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *pipeConn) Write(p []byte) (int, error) { return c.out.Write(p) }

func (c *pipeConn) Close() error {
	err := c.in.Close()
	if out, ok := c.out.(io.Closer); ok {
		err = errors.Join(err, out.Close())
	}
	return err
}

// SetReadDeadline works when stdin is in non-blocking mode.
func (c *pipeConn) SetReadDeadline(t time.Time) error { return c.in.SetReadDeadline(t) }
