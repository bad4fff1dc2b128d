package client

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// faults makes the real server answer with errors through its fault seam.
type faults struct {
	// auth answers the n-th AUTHENTICATION (from 1); nil error = go on.
	auth func(n int) error
	// chunk answers the n-th arrival (from 1) of a chunk that passed checks.
	chunk func(file int, index uint64, n int) error
	// ackDelay slows every Ok down, to keep an upload going for a while.
	ackDelay time.Duration

	mu       sync.Mutex
	auths    int
	seen     map[chunkRef]int
	arrivals int // chunks that passed the server's checks, all told
	open     atomic.Int32
}

// WrapConn counts the server's open connections.
func (f *faults) WrapConn(c io.ReadWriteCloser) io.ReadWriteCloser {
	nc, ok := c.(net.Conn)
	if !ok {
		return c
	}
	f.open.Add(1)
	return &countedConn{Conn: nc, open: &f.open}
}

// countedConn decrements its counter once, when the server closes it.
type countedConn struct {
	net.Conn
	open *atomic.Int32
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// chunkArrivals is how many chunks reached the server's checks and passed.
func (f *faults) chunkArrivals() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.arrivals
}

func (f *faults) Authenticate(_ io.ReadWriteCloser, _ *wire.Authentication) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auths++
	if f.auth == nil {
		return nil
	}
	return f.auth(f.auths)
}

func (f *faults) Chunk(_ io.ReadWriteCloser, t *wire.Transfer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen == nil {
		f.seen = map[chunkRef]int{}
	}
	ref := chunkRef{t.File, t.Index}
	f.seen[ref]++
	f.arrivals++
	if f.chunk == nil {
		return nil
	}
	return f.chunk(t.File, t.Index, f.seen[ref])
}

func (f *faults) Ack(ctx context.Context, _ io.ReadWriteCloser, _ int, _ uint64) {
	if f.ackDelay > 0 {
		select {
		case <-time.After(f.ackDelay):
		case <-ctx.Done():
		}
	}
}

func (f *faults) authentications() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auths
}

var _ server.Faults = (*faults)(nil)

// startFaulty runs a real server with f and an engine against it, and
// starts an upload of one file of size bytes.
func startFaulty(t *testing.T, f *faults, size int, tweak func(*Options)) (*servertest.Server, *Engine, *recorder, string, []byte) {
	t.Helper()
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Faults = f }))
	o := testOptions(t, srv.URL(), StaticToken(srv.Token("alice")))
	if tweak != nil {
		tweak(&o)
	}
	e, rec := newEngine(t, o)
	path, data := writeFile(t, t.TempDir(), "f.bin", size, 20)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	return srv, e, rec, fid, data
}

func finalLog(t *testing.T, rec *recorder, fid string) uploadLog {
	t.Helper()
	rec.waitFor(fid, "the final event", 10*time.Second, func(u *uploadLog) bool { return u.final })
	return rec.log(fid)
}

func TestCorruptChunksAreResentOnTheSameConnection(t *testing.T) {
	t.Parallel()
	f := &faults{chunk: func(_ int, index uint64, n int) error {
		if index%40 == 7 && n == 1 {
			return wire.Errorf(wire.CodeCorrupt, "crc32c mismatch (injected)")
		}
		return nil
	}}
	srv, e, rec, fid, data := startFaulty(t, f, 1<<20, nil)
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	checkStored(t, srv, "alice", map[string][]byte{"f.bin": data})
	u := finalLog(t, rec, fid)
	if u.count(StateConnecting) != 1 {
		t.Errorf("states %v: a corrupt chunk must not cost the connection", u.states)
	}
	want := map[chunkRef]int{{0, 7}: 1, {0, 47}: 1}
	if len(u.resent) != len(want) || u.resent[chunkRef{0, 7}] != 1 || u.resent[chunkRef{0, 47}] != 1 {
		t.Errorf("resent %v, want %v", u.resent, want)
	}
	for _, r := range u.reasons {
		if !strings.Contains(r, "checksum rejected by server") {
			t.Errorf("resend reason %q does not say the server rejected the checksum", r)
		}
	}
	if got := u.last.Files[0].Retries; got != 2 {
		t.Errorf("file shows %d retries, want 2", got)
	}
}

func TestBusyBacksOffThenSucceeds(t *testing.T) {
	t.Parallel()
	f := &faults{auth: func(n int) error {
		if n <= 3 {
			return wire.Errorf(wire.CodeBusy, "too many connections (injected)")
		}
		return nil
	}}
	_, e, rec, fid, _ := startFaulty(t, f, 256<<10, nil)
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	u := finalLog(t, rec, fid)
	var attempts []int
	for _, s := range u.sessions {
		if s.State != StateBackingOff {
			continue
		}
		attempts = append(attempts, s.Attempt)
		if !errors.Is(s.Err, wire.ErrBusy) {
			t.Errorf("backed off because of %v, want busy", s.Err)
		}
		if d := s.RetryAt.Sub(s.At); d < 0 || d > 200*time.Millisecond {
			t.Errorf("retry %v after the event, outside the policy's cap", d)
		}
	}
	if len(attempts) != 3 || attempts[0] != 2 || attempts[2] != 4 {
		t.Errorf("backoff attempts %v, want [2 3 4]", attempts)
	}
}

func TestBackoffRestartsAfterProgress(t *testing.T) {
	t.Parallel()
	// Every 64th chunk's first arrival is answered "internal": the session
	// ends each time, but only after other chunks were acknowledged.
	f := &faults{chunk: func(_ int, index uint64, n int) error {
		if index%64 == 63 && n == 1 {
			return wire.Errorf(wire.CodeInternal, "disk hiccup (injected)")
		}
		return nil
	}}
	_, e, rec, fid, _ := startFaulty(t, f, 256*testChunk, func(o *Options) { o.Window = Window{Chunks: 8, Bytes: 8 * testChunk} })
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	u := finalLog(t, rec, fid)
	n := 0
	for _, s := range u.sessions {
		if s.State == StateBackingOff {
			n++
			if s.Attempt != 2 {
				t.Errorf("backoff at attempt %d after a session with progress, want 2 (back to base)", s.Attempt)
			}
			if !errors.Is(s.Err, wire.ErrInternal) {
				t.Errorf("backed off because of %v", s.Err)
			}
		}
	}
	if n != 4 {
		t.Errorf("%d backoffs, want 4 (states %v)", n, u.states)
	}
}

func TestRetryAttemptsRunOut(t *testing.T) {
	t.Parallel()
	// The first authentication is accepted (so the upload is journaled),
	// every chunk and every later authentication is answered busy.
	busy := wire.Errorf(wire.CodeBusy, "always busy (injected)")
	f := &faults{
		auth: func(n int) error {
			if n == 1 {
				return nil
			}
			return busy
		},
		chunk: func(int, uint64, int) error { return busy },
	}
	_, e, rec, fid, _ := startFaulty(t, f, 64<<10, func(o *Options) { o.Retry.Attempts = 3 })
	err := wait(t, e, fid)
	if !errors.Is(err, wire.ErrBusy) || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("err = %v, want giving up after 3 attempts, busy", err)
	}
	if got := f.authentications(); got != 3 {
		t.Errorf("%d authentications, want 3", got)
	}
	u := finalLog(t, rec, fid)
	if u.states[len(u.states)-1] != StateFailed {
		t.Errorf("states %v", u.states)
	}
	if left, _ := e.Unfinished(); len(left) != 1 {
		t.Errorf("a retry-exhausted upload must stay in the journal, found %d entries", len(left))
	}
}

func TestUnauthorizedRereadsTheToken(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	expired := expiredToken(t, srv)
	var calls atomic.Int32
	src := TokenFunc(func(context.Context) (string, error) {
		if calls.Add(1) == 1 {
			return expired, nil
		}
		return srv.Token("alice"), nil
	})
	e, rec := newEngine(t, testOptions(t, srv.URL(), src))
	path, _ := writeFile(t, t.TempDir(), "f.bin", 100<<10, 21)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait(t, e, fid); err != nil {
		t.Fatal(err)
	}
	u := finalLog(t, rec, fid)
	if calls.Load() != 2 || u.count(StateConnecting) != 2 || u.count(StateBackingOff) != 0 {
		t.Fatalf("%d token reads, states %v; want 2 reads, 2 connections, no backoff", calls.Load(), u.states)
	}
}

func TestUnauthorizedTwiceStops(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	expired := expiredToken(t, srv)
	var calls atomic.Int32
	src := TokenFunc(func(context.Context) (string, error) {
		calls.Add(1)
		return expired, nil
	})
	o := testOptions(t, srv.URL(), src)
	o.Retry.Attempts = 0
	e, rec := newEngine(t, o)
	path, _ := writeFile(t, t.TempDir(), "f.bin", 10<<10, 22)
	fid, err := e.Start(Spec{Files: []LocalFile{{Path: path, Name: "f.bin"}}})
	if err != nil {
		t.Fatal(err)
	}
	err = wait(t, e, fid)
	if !errors.Is(err, wire.ErrUnauthorized) {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	u := finalLog(t, rec, fid)
	if calls.Load() != 2 || u.count(StateConnecting) != 2 {
		t.Fatalf("%d token reads, states %v; want exactly 2", calls.Load(), u.states)
	}
	t.Logf("gave up with: %v", err)
}

func TestRefusalsStopWithoutRetry(t *testing.T) {
	t.Parallel()
	for _, code := range []wire.Code{wire.CodeForbidden, wire.CodeTooLarge, wire.CodeBadRequest, wire.CodeConflict} {
		t.Run(string(code), func(t *testing.T) {
			f := &faults{auth: func(int) error { return wire.Errorf(code, "refused (injected)") }}
			_, e, rec, fid, _ := startFaulty(t, f, 10<<10, nil)
			err := wait(t, e, fid)
			if !errors.Is(err, &wire.Error{Code: code}) {
				t.Fatalf("err = %v, want %s", err, code)
			}
			if u := finalLog(t, rec, fid); u.count(StateConnecting) != 1 || f.authentications() != 1 {
				t.Fatalf("states %v, %d authentications; want one", u.states, f.authentications())
			}
		})
	}
}

// expiredToken is a token signed with the server's key that expired an
// hour ago.
func expiredToken(t *testing.T, srv *servertest.Server) string {
	t.Helper()
	claims := jwt.RegisteredClaims{Subject: "alice", ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Hour))}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(srv.Secret())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
