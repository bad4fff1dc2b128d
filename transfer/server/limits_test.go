package server_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestQuota counts completed files and unfinished uploads.
func TestQuota(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{Quota: 10_000}))
	upload(t, srv, "alice", []file{randomFile(t, "a", 4000)}, nil) // completed: 4000
	c := dial(t, srv)
	c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), []file{randomFile(t, "b", 5000)}, nil, 1024)) // reserved: 5000
	before := snapshot(t, srv.Root())
	r := dial(t, srv).authenticate(authMsg(srv.Token("alice"), uuid.New(), []file{randomFile(t, "c", 1001)}, nil, 1024))
	expectError(t, r, wire.CodeQuota)
	r = dial(t, srv).authenticate(authMsg(srv.Token("alice"), uuid.New(), []file{randomFile(t, "d", 10_001)}, nil, 1024))
	expectError(t, r, wire.CodeQuota)
	assertUnchanged(t, srv.Root(), before)
	// Another user has a quota of their own; 1000 bytes still fit alice's.
	upload(t, srv, "bob", []file{randomFile(t, "e", 9000)}, nil)
	upload(t, srv, "alice", []file{randomFile(t, "f", 1000)}, nil)
}

// TestMaxConnections: connections over the limit are answered busy and
// closed; the others keep working.
func TestMaxConnections(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{MaxConnections: 2}))
	a, b := dial(t, srv), dial(t, srv)
	a.mustAuth(authMsg(srv.Token("u"), uuid.New(), []file{randomFile(t, "x", 10)}, nil, 0))
	b.mustAuth(authMsg(srv.Token("u"), uuid.New(), []file{randomFile(t, "x", 10)}, nil, 0))
	c := dial(t, srv)
	am := authMsg(srv.Token("u"), uuid.New(), []file{randomFile(t, "x", 10)}, nil, 0)
	r := c.authenticate(am)
	expectError(t, r, wire.CodeBusy)
	if got := c.expectClosed(); len(got) != 0 {
		t.Fatalf("more answers after busy: %+v", got)
	}
	// Once a connection closes there is room again.
	a.conn.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d := dial(t, srv)
		r := d.authenticate(authMsg(srv.Token("u"), uuid.New(), []file{randomFile(t, "x", 10)}, nil, 0))
		if r.OK() {
			break
		}
		expectError(t, r, wire.CodeBusy)
		if time.Now().After(deadline) {
			t.Fatal("no room after a connection closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPartialExpiry: an upload untouched for PartialExpiry is forgotten
// and its partial data deleted; completed files stay.
func TestPartialExpiry(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	srv := servertest.Start(t,
		servertest.WithLimits(server.Limits{PartialExpiry: time.Hour}),
		servertest.WithOptions(func(o *server.Options) { o.Now, o.JanitorInterval = now, 10*time.Millisecond }))
	files := []file{randomFile(t, "done", 100), randomFile(t, "half", 4096)}
	fid := uuid.New()
	tok := srv.Token("alice")
	c := dial(t, srv)
	c.mustAuth(authMsg(tok, fid, files, nil, 1024))
	c.sendChunks(0, files[0].data, []uint64{0}, false)
	c.sendChunks(1, files[1].data, []uint64{0, 1}, false)
	c.conn.Close()
	partial := filepath.Join(srv.Root(), "partial", fid.String())
	if _, err := os.Stat(partial); err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(2 * time.Hour))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(partial); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("partial data not purged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := srv.Files("alice"); len(got) != 1 || got[0].Name != "done" {
		t.Fatalf("completed files after purge: %+v", got)
	}
	// The fid is forgotten: authenticating again starts from scratch.
	r := dial(t, srv).mustAuth(authMsg(tok, fid, files, nil, 1024))
	if !slices.EqualFunc(r.Missing, [][]wire.Range{{{0, 1}}, {{0, 4}}}, slices.Equal) {
		t.Fatalf("missing after purge: %v", r.Missing)
	}
}

// TestConcurrentClients: 32 clients upload different files at once; every
// file verifies.
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	const clients = 32
	files := make([]file, clients)
	for i := range files {
		files[i] = randomFile(t, "f", 20_000+i*1013)
	}
	var wg sync.WaitGroup
	sums := make([]string, clients)
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ct := &recorder{TB: t, errs: errs}
			c := dial(ct, srv)
			r := c.mustAuth(authMsg(srv.Token("user"+string(rune('a'+i%8))), uuid.New(), []file{files[i]}, []string{"load"}, 2048))
			for _, resp := range c.sendChunks(0, files[i].data, allChunks(uint64(len(files[i].data)), r.ChunkSize), i%2 == 0) {
				if resp.File != nil {
					sums[i] = resp.SHA256
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range clients {
		if sums[i] != sha(files[i].data) {
			t.Fatalf("client %d: sha256 %q, want %q", i, sums[i], sha(files[i].data))
		}
	}
	stored := srv.Files("")
	if len(stored) != clients {
		t.Fatalf("%d files stored, want %d", len(stored), clients)
	}
	for _, f := range stored {
		if sha(srv.ReadFile(f)) != f.SHA256 {
			t.Fatalf("%s/%s does not match its sha256", f.Owner, f.Stored)
		}
	}
}

// recorder lets helpers that call Fatal run in goroutines: it turns Fatal
// into an error on a channel and ends the goroutine.
type recorder struct {
	testing.TB
	errs chan<- error
}

func (r *recorder) Fatal(args ...any) {
	r.errs <- errors.New(fmt.Sprint(args...))
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.errs <- fmt.Errorf(format, args...)
	runtime.Goexit()
}

// TestManySmallFiles: one upload of many small files, every chunk in
// flight at once (commit rounds then sync the file system once instead of
// each file), completes and every file verifies.
func TestManySmallFiles(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	files := make([]file, 200)
	for i := range files {
		files[i] = randomFile(t, fmt.Sprintf("small-%03d.txt", i), 4096)
	}
	c := dial(t, srv)
	c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), files, []string{"many"}, 4096))
	ids := map[string]int{}
	for i, f := range files {
		tr := c.chunk(i, 0, f.data)
		ids[tr.MessageID] = i
		c.sendTransfer(tr, i%2 == 0)
	}
	c.flush()
	for range files {
		r := c.recv()
		i := ids[r.MessageID]
		if !r.OK() || r.File == nil || *r.File != i || r.SHA256 != sha(files[i].data) {
			t.Fatalf("file %d: %+v", i, r)
		}
	}
	stored := srv.Files("alice")
	if len(stored) != len(files) {
		t.Fatalf("%d files stored", len(stored))
	}
	for _, f := range stored {
		if sha(srv.ReadFile(f)) != f.SHA256 || f.Name != files[f.Index].name {
			t.Fatalf("%s does not verify", f.Stored)
		}
	}
}
