package server_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/internal/testkit"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// recordingObserver counts what the server reports.
type recordingObserver struct {
	mu     sync.Mutex
	counts map[string]int
	bytes  map[string]int
}

func newRecordingObserver() *recordingObserver {
	return &recordingObserver{counts: map[string]int{}, bytes: map[string]int{}}
}

func (o *recordingObserver) add(key string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts[key]++
	o.bytes[key] += n
}

func (o *recordingObserver) count(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.counts[key]
}

func (o *recordingObserver) sum(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes[key]
}

func (o *recordingObserver) ConnectionOpened()              { o.add("opened", 0) }
func (o *recordingObserver) ConnectionClosed()              { o.add("closed", 0) }
func (o *recordingObserver) ConnectionRefused(r string)     { o.add("refused/"+r, 0) }
func (o *recordingObserver) Authenticated(code string)      { o.add("auth/"+code, 0) }
func (o *recordingObserver) UploadCompleted()               { o.add("completed", 0) }
func (o *recordingObserver) UploadExpired()                 { o.add("expired", 0) }
func (o *recordingObserver) ChunkReceived(n int)            { o.add("received", n) }
func (o *recordingObserver) CommitRound(_, _ time.Duration) { o.add("round", 0) }
func (o *recordingObserver) Responded(code string, n int, arrived time.Time) {
	if n >= 0 && arrived.IsZero() {
		code += "/no-arrival-time"
	}
	o.add("response/"+code, max(n, 0))
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestObserverSeesRefusalsUploadsAndExpiry drives a server with an
// observer through an upload, a refused token, a connection over the
// limit and an expiry, and checks what it was told, along with Ready,
// ActiveUploads and Usage.
func TestObserverSeesRefusalsUploadsAndExpiry(t *testing.T) {
	t.Parallel()
	obs := newRecordingObserver()
	logs := &testkit.SyncBuffer{}
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	srv := servertest.Start(t,
		servertest.WithLimits(server.Limits{MaxConnections: 2, PartialExpiry: time.Hour}),
		servertest.WithOptions(func(o *server.Options) {
			o.Observer, o.Now, o.JanitorInterval = obs, now, 10*time.Millisecond
			o.Logger = slog.New(slog.NewTextHandler(logs, nil))
		}))
	s := srv.Server()
	ctx := context.Background()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready on a running server: %v", err)
	}

	tok := srv.Token("alice")
	done, half := randomFile(t, "done", 3000), randomFile(t, "half", 5000)
	a := dial(t, srv)
	r := a.mustAuth(authMsg(tok, uuid.New(), []file{done}, nil, 1024))
	a.sendChunks(0, done.data, allChunks(3000, r.ChunkSize), true)
	b := dial(t, srv)
	b.mustAuth(authMsg(tok, uuid.New(), []file{half}, nil, 1024))
	b.sendChunks(0, half.data, []uint64{0, 1}, false)
	if n := s.ActiveUploads(); n != 2 {
		t.Errorf("ActiveUploads = %d, want 2", n)
	}
	if held, n, ok, err := s.Usage(ctx); !ok || err != nil || held != 3000 || n != 5000 {
		t.Errorf("Usage = %d, %d, %v, %v; want 3000 held, 5000 reserved (the unfinished file)", held, n, ok, err)
	}
	// A third connection is over the limit.
	c := dial(t, srv)
	expectError(t, c.authenticate(authMsg(tok, uuid.New(), []file{half}, nil, 1024)), wire.CodeBusy)
	c.expectClosed()

	for key, want := range map[string]int{
		"auth/ok": 2, "completed": 1, "received": 3 + 2, "response/ok": 2 + 3 + 2,
		"response/busy": 1, "refused/" + server.RefusedMaxConnections: 1, "opened": 2,
	} {
		if got := obs.count(key); got != want {
			t.Errorf("%s reported %d times, want %d", key, got, want)
		}
	}
	if got := obs.sum("received"); got != 3000+2048 {
		t.Errorf("received %d bytes, want %d", got, 3000+2048)
	}
	if got := obs.sum("response/ok"); got != 3000+2048 {
		t.Errorf("acknowledged %d bytes, want %d", got, 3000+2048)
	}
	if obs.count("round") < 1 || obs.count("response/ok/no-arrival-time") != 0 {
		t.Errorf("commit rounds %d, Oks without an arrival time %d", obs.count("round"), obs.count("response/ok/no-arrival-time"))
	}

	// A refused token, then both connections go away.
	a.conn.Close()
	b.conn.Close()
	waitFor(t, "the sessions to end", func() bool { return obs.count("closed") == 2 })
	d := dial(t, srv)
	expectError(t, d.authenticate(authMsg("not-a-token", uuid.New(), []file{half}, nil, 1024)), wire.CodeUnauthorized)
	if got := obs.count("auth/" + string(wire.CodeUnauthorized)); got != 1 {
		t.Errorf("unauthorized reported %d times, want 1", got)
	}
	waitFor(t, "no upload to be active", func() bool { return s.ActiveUploads() == 0 })

	// Both uploads expire; only the unfinished one counts as expired.
	offset.Store(int64(2 * time.Hour))
	waitFor(t, "the uploads to be forgotten", func() bool {
		_, n, _, err := s.Usage(ctx)
		return err == nil && n == 0 && strings.Count(logs.String(), "forgot expired upload") == 2
	})
	if got := obs.count("expired"); got != 1 {
		t.Errorf("expiry reported %d times, want 1 (the unfinished upload)", got)
	}

	srv.Stop()
	if err := s.Ready(ctx); !errors.Is(err, server.ErrShuttingDown) {
		t.Errorf("Ready after Shutdown: %v, want ErrShuttingDown", err)
	}
}
