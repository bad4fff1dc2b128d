package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestShutdownWithClientsConnected: Shutdown while clients are connected
// and chunks are in flight answers what was read, closes every connection
// and leaves no goroutine behind (TestMain runs goleak); every chunk
// acknowledged is held after a restart.
func TestShutdownWithClientsConnected(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	f := randomFile(t, "big", 300*1024)
	fid := uuid.New()
	tok := srv.Token("alice")
	c := dial(t, srv)
	c.mustAuth(authMsg(tok, fid, []file{f}, nil, 1024))
	idle := dial(t, srv) // connected, never authenticates
	ids := map[string]uint64{}
	for k := range uint64(300) {
		tr := c.chunk(0, k, f.data)
		ids[tr.MessageID] = k
		c.sendTransfer(tr, k%2 == 0)
	}
	c.flush()
	first := c.recv()
	acked := []uint64{ids[first.MessageID]}
	srv.Stop()
	for _, r := range c.expectClosed() {
		if !r.OK() {
			t.Fatalf("answer during shutdown: %v", r.Err())
		}
		acked = append(acked, ids[r.MessageID])
	}
	idle.expectClosed()

	srv.Restart()
	r := dial(t, srv).mustAuth(authMsg(tok, fid, []file{f}, nil, 1024))
	for _, k := range acked {
		for _, m := range r.Missing[0] {
			if k >= m[0] && k < m[1] {
				t.Fatalf("acknowledged chunk %d missing after restart", k)
			}
		}
	}
}

// TestServeConnStream: one session over a plain stream without deadlines
// (what --stdio does) works, and ends when the stream does.
func TestServeConnStream(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- srv.Server().ServeConn(context.Background(), noDeadlines{a}) }()
	c := &client{t: t, conn: b, r: wire.NewReader(b), w: wire.NewWriter(b)}
	f := randomFile(t, "s", 5000)
	r := c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), []file{f}, nil, 1024))
	var sum string
	for _, resp := range c.sendChunks(0, f.data, allChunks(5000, r.ChunkSize), true) {
		if resp.File != nil {
			sum = resp.SHA256
		}
	}
	if sum != sha(f.data) {
		t.Fatalf("sha256 %q", sum)
	}
	b.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// noDeadlines hides a net.Conn's deadline methods.
type noDeadlines struct{ c net.Conn }

func (n noDeadlines) Read(p []byte) (int, error)  { return n.c.Read(p) }
func (n noDeadlines) Write(p []byte) (int, error) { return n.c.Write(p) }
func (n noDeadlines) Close() error                { return n.c.Close() }

// faults refuses every third chunk with busy, refuses the first
// authentication, and counts acknowledgements.
type faults struct {
	auths, chunks, acks atomic.Int64
}

func (f *faults) WrapConn(c io.ReadWriteCloser) io.ReadWriteCloser { return c }
func (f *faults) Authenticate(io.ReadWriteCloser, *wire.Authentication) error {
	if f.auths.Add(1) == 1 {
		return wire.Errorf(wire.CodeBusy, "chaos: refusing an authentication")
	}
	return nil
}
func (f *faults) Chunk(io.ReadWriteCloser, *wire.Transfer) error {
	if f.chunks.Add(1)%3 == 0 {
		return errors.New("chaos: not this one")
	}
	return nil
}
func (f *faults) Ack(context.Context, io.ReadWriteCloser, int, uint64) { f.acks.Add(1) }

// TestFaultsSeam: the server consults Faults where documented, and a
// refused chunk is not stored.
func TestFaultsSeam(t *testing.T) {
	t.Parallel()
	fl := &faults{}
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Faults = fl }))
	f := randomFile(t, "x", 6*1024)
	fid := uuid.New()
	c := dial(t, srv)
	expectError(t, c.authenticate(authMsg(srv.Token("u"), fid, []file{f}, nil, 1024)), wire.CodeBusy)
	c.mustAuth(authMsg(srv.Token("u"), fid, []file{f}, nil, 1024))
	got := c.sendChunks(0, f.data, allChunks(6*1024, 1024), false)
	var refused []uint64
	for k, r := range got {
		if !r.OK() {
			expectError(t, r, wire.CodeInternal)
			refused = append(refused, k)
		}
	}
	if len(refused) != 2 || fl.acks.Load() != 4 {
		t.Fatalf("refused %v, acks %d", refused, fl.acks.Load())
	}
	r := dial(t, srv).mustAuth(authMsg(srv.Token("u"), fid, []file{f}, nil, 1024))
	var missing []uint64
	for _, m := range r.Missing[0] {
		for k := m[0]; k < m[1]; k++ {
			missing = append(missing, k)
		}
	}
	slices.Sort(refused)
	if !slices.Equal(missing, refused) {
		t.Fatalf("missing %v, want the refused %v", missing, refused)
	}
}

// TestNewErrors: New refuses incomplete options and a data directory in
// use by another server.
func TestNewErrors(t *testing.T) {
	t.Parallel()
	v, _ := auth.NewVerifier([]byte("0123456789012345678901234567890123456789"), auth.VerifyOptions{})
	if _, err := server.New(server.Options{Root: t.TempDir()}); err == nil {
		t.Fatal("New without a verifier")
	}
	if _, err := server.New(server.Options{Verifier: v}); err == nil {
		t.Fatal("New without a root")
	}
	if _, err := server.New(server.Options{Root: t.TempDir(), Verifier: v, Limits: server.Limits{MaxChunkSize: 8 << 20}}); err == nil {
		t.Fatal("New with a chunk size no frame can carry")
	}
	srv := servertest.Start(t)
	start := time.Now()
	_, err := server.New(server.Options{Root: srv.Root(), Verifier: v})
	if err == nil {
		t.Fatal("two servers on one data directory")
	}
	t.Logf("second server refused after %v: %v", time.Since(start).Round(time.Millisecond), err)
}
