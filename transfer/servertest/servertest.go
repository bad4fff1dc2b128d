// Package servertest runs a real hoist server on loopback for tests, like
// net/http/httptest does for HTTP: a temporary data directory, a generated
// HS256 key, tokens on demand, and shutdown at the end of the test.
//
//	srv := servertest.Start(t)
//	conn, _ := net.Dial("tcp", srv.Addr())
//	token := srv.Token("alice")
//	...
//	files := srv.Files("alice") // completed uploads, straight from bbolt
package servertest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/store"
)

// Option adjusts the server a test starts.
type Option func(*config)

type config struct {
	root    string
	network string
	opts    []func(*server.Options)
}

// WithLimits sets the server's limits (zero fields take the defaults).
func WithLimits(l server.Limits) Option {
	return func(c *config) { c.opts = append(c.opts, func(o *server.Options) { o.Limits = l }) }
}

// WithOptions lets a test change any server option (Faults, Now,
// DisableRawTransfer, ...) before the server starts. Root and Verifier are
// already set when f runs; f may replace them.
func WithOptions(f func(*server.Options)) Option {
	return func(c *config) { c.opts = append(c.opts, f) }
}

// WithRoot uses dir as the data directory instead of a fresh temporary one.
func WithRoot(dir string) Option { return func(c *config) { c.root = dir } }

// WithUnix listens on a Unix socket (in a short temporary directory)
// instead of TCP; Addr then returns the socket's path.
func WithUnix() Option { return func(c *config) { c.network = "unix" } }

// Server is a running test server.
type Server struct {
	t      testing.TB
	cfg    config
	secret []byte
	addr   string

	mu     sync.Mutex
	srv    *server.Server
	cancel context.CancelFunc
	served chan error
}

// Start runs a server on 127.0.0.1:0 (or a Unix socket, WithUnix) with a
// temporary data directory, and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config{network: "tcp"}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.root == "" {
		cfg.root = t.TempDir()
	}
	secret, err := auth.LoadOrCreateSecret(filepath.Join(cfg.root, auth.DefaultSecretFile))
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	s := &Server{t: t, cfg: cfg, secret: secret}
	addr := "127.0.0.1:0"
	if cfg.network == "unix" {
		// Socket paths are limited to about 100 bytes: a short directory
		// of its own rather than the test's temporary directory.
		dir, err := os.MkdirTemp("", "hoist-sock-")
		if err != nil {
			t.Fatalf("servertest: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		addr = filepath.Join(dir, "hoist.sock")
	}
	if err := s.start(addr); err != nil {
		t.Fatalf("servertest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(addr string) error {
	if s.cfg.network == "unix" {
		os.Remove(addr)
	}
	ln, err := net.Listen(s.cfg.network, addr)
	if err != nil {
		return err
	}
	v, err := auth.NewVerifier(s.secret, auth.VerifyOptions{})
	if err != nil {
		ln.Close()
		return err
	}
	o := server.Options{Root: s.cfg.root, Verifier: v, Logger: logger()}
	for _, f := range s.cfg.opts {
		f(&o)
	}
	srv, err := server.New(o)
	if err != nil {
		ln.Close()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	s.mu.Lock()
	s.srv, s.cancel, s.served, s.addr = srv, cancel, served, ln.Addr().String()
	s.mu.Unlock()
	return nil
}

// logger logs to stderr when HOIST_TEST_LOG is set, else nowhere.
func logger() *slog.Logger {
	if os.Getenv("HOIST_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Addr is the listening address: "127.0.0.1:PORT", or the socket path.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL is the address as a client's --server value: tcp://host:port or
// unix:///path.
func (s *Server) URL() string {
	if s.cfg.network == "unix" {
		return "unix://" + s.Addr()
	}
	return "tcp://" + s.Addr()
}

// Root is the data directory.
func (s *Server) Root() string { return s.cfg.root }

// Secret is the HS256 key the server verifies tokens with.
func (s *Server) Secret() []byte { return s.secret }

// Token returns a valid token for user sub, good for an hour.
func (s *Server) Token(sub string) string {
	return s.TokenWith(auth.Claims{Subject: sub, TTL: time.Hour})
}

// TokenWith returns a token with the given claims signed with the server's key.
func (s *Server) TokenWith(c auth.Claims) string {
	s.t.Helper()
	tok, err := auth.Mint(s.secret, c)
	if err != nil {
		s.t.Fatalf("servertest: minting token: %v", err)
	}
	return tok
}

// Server is the running *server.Server (nil after Stop).
func (s *Server) Server() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// Files lists user's completed files (all users' if user is ""), oldest
// first, from the server's bbolt metadata. The server must be running.
func (s *Server) Files(user string) []*store.File {
	s.t.Helper()
	srv := s.Server()
	if srv == nil {
		s.t.Fatal("servertest: Files on a stopped server")
	}
	files, err := srv.Files(store.Query{User: user})
	if err != nil {
		s.t.Fatalf("servertest: listing files: %v", err)
	}
	return files
}

// ReadFile returns the content of a completed file.
func (s *Server) ReadFile(f *store.File) []byte {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.cfg.root, f.Path()))
	if err != nil {
		s.t.Fatalf("servertest: %v", err)
	}
	return b
}

// Stop shuts the server down gracefully (waiting up to 30s for sessions to
// finish their chunks). It is idempotent and runs at test cleanup.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, cancel, served := s.srv, s.cancel, s.served
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	err := srv.Shutdown(ctx)
	cancel()
	if serr := <-served; serr != nil && !errors.Is(serr, server.ErrServerClosed) && !errors.Is(serr, context.Canceled) {
		s.t.Errorf("servertest: serve: %v", serr)
	}
	if err != nil {
		s.t.Errorf("servertest: shutdown: %v", err)
	}
}

// Restart stops the server and starts a new one on the same data
// directory and the same address.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(s.Addr()); err != nil {
		s.t.Fatalf("servertest: restart: %v", err)
	}
}

// ServeConn serves one session on conn (as `hoist serve --stdio` does) in
// the background and returns; the session ends when conn closes.
func (s *Server) ServeConn(conn io.ReadWriteCloser) {
	srv := s.Server()
	go srv.ServeConn(context.Background(), conn)
}
