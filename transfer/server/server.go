// Package server is hoist's storage server: it speaks the protocol of
// transfer/wire (PROTOCOL.md) on any number of listeners or single streams,
// verifies tokens with transfer/auth and keeps uploads in transfer/store.
//
// Each connection has one reader goroutine, which decodes frames, checks
// chunks and writes their bytes, and one writer goroutine, which sends the
// answers. Chunks are made durable by group commit: one committer goroutine,
// shared by all connections, takes every chunk written since its last round,
// fdatasyncs each touched file once, records all of them in one bbolt
// transaction and only then lets their Oks go out; while chunks stream in,
// a round waits up to 2 ms to carry more of them. Files that a round
// completes go to one finisher goroutine, which hashes, publishes and records
// them, again in batches. A janitor goroutine forgets uploads left untouched
// for Limits.PartialExpiry.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// Verifier checks a token and returns the user id (the sub claim) it
// carries. *auth.Verifier implements it.
type Verifier interface {
	Verify(token string) (subject string, err error)
}

// Faults is the seam for deliberate misbehaviour (hoist serve --chaos). The
// server consults it at fixed points; nil Options.Faults means none.
// *chaos.Faults implements it.
type Faults interface {
	// WrapConn wraps each connection before it is served (to cut or stall it).
	// The server serves the result and hands it back to the hooks below as
	// conn, so that they can keep per-connection state.
	WrapConn(conn io.ReadWriteCloser) io.ReadWriteCloser
	// Authenticate runs before an AUTHENTICATION is checked; a carries only
	// its message-id, token and fid, since the rest is decoded after the
	// token is verified. A non-nil error is answered instead (a *wire.Error
	// keeps its code, others are internal).
	Authenticate(conn io.ReadWriteCloser, a *wire.Authentication) error
	// Chunk runs after a chunk passed every check, before it is stored. A
	// non-nil error is answered and nothing is stored.
	Chunk(conn io.ReadWriteCloser, t *wire.Transfer) error
	// Ack runs in the connection's writer before the Ok to a TRANSFER is
	// sent (the chunk is durable by then). It may delay, until ctx is done.
	Ack(ctx context.Context, conn io.ReadWriteCloser, file int, index uint64)
}

// Options configure a Server.
type Options struct {
	// Root is the data directory (created if missing), where New opens
	// the embedded store (files and bbolt) unless Storage is set.
	Root string
	// Storage, when every role is set, is used instead of a store in Root;
	// its backends stay open after Shutdown for their owner to close.
	Storage Storage
	// Verifier checks tokens; required.
	Verifier Verifier
	// Limits bound what clients may do; zero fields take defaults.
	Limits Limits
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Faults, when set, injects failures (testing aid).
	Faults Faults
	// Observer, when set, is told what the server does (for metrics).
	Observer Observer
	// DisableRawTransfer stops advertising and accepting TRANSFER-RAW, so
	// that clients use the plain JSON TRANSFER.
	DisableRawTransfer bool
	// Now is the clock; nil means time.Now. Tests move it to expire uploads.
	Now func() time.Time
	// JanitorInterval is how often expired partial uploads are looked for;
	// zero means PartialExpiry/8, at most an hour.
	JanitorInterval time.Duration
}

// Server serves hoist sessions. Create it with New, run listeners with
// Serve or single streams with ServeConn, stop it with Shutdown.
type Server struct {
	opts   Options
	limits Limits
	st     Storage
	owned  io.Closer // the store New opened, closed by Shutdown
	log    *slog.Logger
	obs    Observer
	now    func() time.Time

	commit  *committer
	finish  *finisher
	preauth *byteBudget // memory for frames of unauthenticated connections
	// bigFrames are idle buffers of the largest frame size for them.
	bigFrames chan []byte

	mu        sync.Mutex
	uploads   map[uuid.UUID]*upload
	sessions  map[*session]struct{}
	listeners map[net.Listener]struct{}
	closing   bool

	conns    sync.WaitGroup // sessions and refusals
	refusing atomic.Int64   // refusals in progress
	bg       sync.WaitGroup // committer, finisher, janitor, catalog
	stopBG   context.CancelFunc
	bgCtx    context.Context
	catalogC chan struct{}
	done     chan struct{}
	shutOnce sync.Once
	shutErr  error
}

// ErrServerClosed is returned by Serve and ServeConn after Shutdown.
var ErrServerClosed = errors.New("server closed")

// New opens the store in opts.Root (or takes opts.Storage) and starts the
// server's background goroutines. Call Shutdown to stop them.
func New(opts Options) (*Server, error) {
	if opts.Verifier == nil {
		return nil, errors.New("server: no token verifier configured")
	}
	limits, err := opts.Limits.withDefaults()
	if err != nil {
		return nil, err
	}
	st, owned, err := openStorage(opts, limits)
	if err != nil {
		return nil, err
	}
	if cl, ok := st.Chunks.(ChunkLimiter); ok {
		// Chunks smaller than the store's parts cannot be granted.
		if minChunk, _ := cl.ChunkLimits(); limits.MaxChunkSize < minChunk {
			limits.MaxChunkSize = min(minChunk, MaxChunkSizeLimit)
		}
	}
	fail := func(err error) (*Server, error) {
		if owned != nil {
			owned.Close()
		}
		return nil, err
	}
	for _, c := range st.components() {
		if sw, ok := c.(Sweeper); ok {
			if err := sw.Sweep(context.Background()); err != nil {
				return fail(fmt.Errorf("cleaning partial data: %w", err))
			}
		}
		if cw, ok := c.(CatalogWriter); ok {
			if err := cw.WriteCatalog(); err != nil {
				return fail(err)
			}
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var obs Observer = nopObserver{}
	if opts.Observer != nil {
		obs = opts.Observer
	}
	s := &Server{
		opts:      opts,
		limits:    limits,
		st:        st,
		owned:     owned,
		log:       log,
		obs:       obs,
		now:       now,
		uploads:   make(map[uuid.UUID]*upload),
		sessions:  make(map[*session]struct{}),
		listeners: make(map[net.Listener]struct{}),
		preauth:   newByteBudget(limits.UnauthenticatedMemory),
		bigFrames: make(chan []byte, limits.UnauthenticatedMemory/wire.MaxPayload),
		catalogC:  make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	s.bgCtx, s.stopBG = context.WithCancel(context.Background())
	s.commit = newCommitter(s)
	s.finish = newFinisher(s)
	s.bg.Add(4)
	go func() { defer s.bg.Done(); s.commit.run() }()
	go func() { defer s.bg.Done(); s.finish.run() }()
	go func() { defer s.bg.Done(); s.janitor(s.bgCtx) }()
	go func() { defer s.bg.Done(); s.catalogWriter(s.bgCtx) }()
	return s, nil
}

// openStorage returns opts.Storage, or opens the embedded store in
// opts.Root, which the server then owns.
func openStorage(opts Options, limits Limits) (Storage, io.Closer, error) {
	if !opts.Storage.empty() {
		if !opts.Storage.complete() {
			return Storage{}, nil, errors.New("server: Options.Storage needs all four roles (Uploads, Chunks, Publisher, Records)")
		}
		return opts.Storage, nil, nil
	}
	if opts.Root == "" {
		return Storage{}, nil, errors.New("server: no data directory configured")
	}
	bs, err := store.Open(opts.Root, store.Options{LockTimeout: 2 * time.Second, MaxOpenFiles: limits.MaxOpenFiles})
	if err != nil {
		return Storage{}, nil, err
	}
	return BoltStorage(bs), bs, nil
}

// Limits returns the limits in force, defaults filled in.
func (s *Server) Limits() Limits { return s.limits }

// Files lists completed files, for tests and tools running in-process.
func (s *Server) Files(q store.Query) ([]*store.File, error) {
	return s.st.Records.Files(context.Background(), q)
}

// Serve accepts connections on ln and serves each until ctx is done or
// Shutdown is called; it closes ln. It returns ErrServerClosed after
// Shutdown, ctx.Err() after cancellation, or net.ErrClosed if ln was
// closed by someone else. Other accept errors (EMFILE when the process is
// out of descriptors) are retried with a backoff.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.isClosing() {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of descriptors, or a transient network error: wait and
			// accept again (5 ms, doubling up to 1 s, as net/http does);
			// the sessions already running go on meanwhile.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accepting a connection failed; retrying", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		backoff = 0
		s.admit(ctx, conn)
	}
}

// ServeConn serves one session on conn (for example stdin/stdout) and
// returns when it ends; it closes conn. Read deadlines apply only if conn
// has a SetReadDeadline method that works.
func (s *Server) ServeConn(ctx context.Context, conn io.ReadWriteCloser) error {
	return s.ServeConnAs(ctx, conn, "")
}

// ServeConnAs is ServeConn for a stream whose peer is already known to be
// user (hoist serve --stdio --user, run by sshd as a forced command): a
// request with an empty token acts as user, while a non-empty token is
// verified as usual and decides. An empty user is ServeConn. A user that
// is not a safe name is refused before anything is read.
func (s *Server) ServeConnAs(ctx context.Context, conn io.ReadWriteCloser, user string) error {
	if user != "" {
		if err := store.SafeName(user); err != nil {
			conn.Close()
			return fmt.Errorf("serving a stream as user %q: %w", user, err)
		}
	}
	sess, err := s.newSession(ctx, conn, "stream")
	if err != nil {
		conn.Close()
		return err
	}
	if user != "" {
		sess.user = user
		sess.log = sess.log.With("stream_user", user)
	}
	sess.run()
	s.conns.Done()
	return nil
}

// admit starts a session for conn, refuses it with busy when the server
// is at MaxConnections, or closes it when the server is shutting down.
func (s *Server) admit(ctx context.Context, conn net.Conn) {
	sess, err := s.newSession(ctx, conn, conn.RemoteAddr().String())
	switch {
	case errors.Is(err, errTooManyConns):
		s.obs.ConnectionRefused(RefusedMaxConnections)
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			s.refuseBusy(conn)
		}()
	case err != nil:
		s.obs.ConnectionRefused(RefusedShuttingDown)
		conn.Close()
	default:
		go func() {
			defer s.conns.Done()
			sess.run()
		}()
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Shutdown stops the listeners, lets every session finish the chunks it has
// already received (their Oks are sent), closes the connections, stops the
// background goroutines and closes the store. If ctx ends first the
// remaining connections are closed at once; Shutdown still waits for
// chunks already queued for commit, then returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutOnce.Do(func() { s.shutErr = s.shutdown(ctx) })
	return s.shutErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.listeners {
		ln.Close()
	}
	for sess := range s.sessions {
		sess.stopReading()
	}
	s.mu.Unlock()

	drained := make(chan struct{})
	go func() { s.conns.Wait(); close(drained) }()
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for sess := range s.sessions {
			sess.abort()
		}
		s.mu.Unlock()
		<-drained
	}
	s.commit.stop()
	s.finish.stop()
	s.stopBG()
	s.bg.Wait()
	s.writeCatalogs()
	close(s.done)
	if s.owned != nil {
		err = errors.Join(err, s.owned.Close())
	}
	return err
}

// writeCatalogs refreshes the record copies of backends that keep one.
func (s *Server) writeCatalogs() {
	for _, c := range s.st.components() {
		if cw, ok := c.(CatalogWriter); ok {
			if err := cw.WriteCatalog(); err != nil {
				s.log.Warn("catalog not refreshed", "err", err)
			}
		}
	}
}

// catalogChanged asks the catalog writer to refresh catalog.db.
func (s *Server) catalogChanged() {
	select {
	case s.catalogC <- struct{}{}:
	default:
	}
}

// catalogWriter refreshes catalog.db after completions, so that `hoist ls`
// sees new files while the server runs: at most every 200ms, and never
// more than a tenth of the time, since each refresh copies the whole
// database (with a million files, far longer than 200ms).
func (s *Server) catalogWriter(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.catalogC:
		}
		start := time.Now()
		s.writeCatalogs()
		select {
		case <-ctx.Done():
			return
		case <-time.After(catalogPause(time.Since(start))):
		}
	}
}

// catalogPause is how long the catalog writer waits after a refresh that
// took took.
func catalogPause(took time.Duration) time.Duration {
	return max(200*time.Millisecond, 9*took)
}
