package server_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestResumeExactMissing: after a dropped connection, authenticating
// again with the same fid gives exactly the chunks not acknowledged, the
// chunk size fixed the first time, and the sha256 of files finished
// earlier; the upload then completes.
func TestResumeExactMissing(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	files := []file{randomFile(t, "a", 20*1000), randomFile(t, "b", 1500), randomFile(t, "c", 999)}
	fid := uuid.New()
	tok := srv.Token("alice")

	c := dial(t, srv)
	r := c.mustAuth(authMsg(tok, fid, files, []string{"t"}, 1000))
	if r.ChunkSize != 1000 {
		t.Fatalf("chunk-size %d", r.ChunkSize)
	}
	acked := []uint64{0, 1, 2, 5, 6, 9, 19}
	for k, resp := range c.sendChunks(0, files[0].data, acked, false) {
		if !resp.OK() {
			t.Fatalf("chunk %d: %v", k, resp.Err())
		}
	}
	done := c.sendChunks(2, files[2].data, []uint64{0}, true)
	if done[0].SHA256 != sha(files[2].data) {
		t.Fatalf("file 2 completion: %+v", done[0])
	}
	c.conn.Close() // drop half-way

	c = dial(t, srv)
	// A different wish does not change the size fixed at first authentication.
	r = c.mustAuth(authMsg(tok, fid, files, []string{"t"}, 4096))
	if r.ChunkSize != 1000 {
		t.Fatalf("resumed with chunk-size %d, want the original 1000", r.ChunkSize)
	}
	want := [][]wire.Range{{{3, 5}, {7, 9}, {10, 19}}, {{0, 2}}, {}}
	if !slices.EqualFunc(r.Missing, want, slices.Equal) {
		t.Fatalf("missing %v, want %v", r.Missing, want)
	}
	if len(r.Complete) != 1 || r.Complete[0] != (wire.FileDigest{File: 2, SHA256: sha(files[2].data), Stored: files[2].name}) {
		t.Fatalf("complete %+v", r.Complete)
	}
	var sums []string
	for i, rs := range r.Missing {
		var idx []uint64
		for _, rg := range rs {
			for k := rg[0]; k < rg[1]; k++ {
				idx = append(idx, k)
			}
		}
		for _, resp := range c.sendChunks(i, files[i].data, idx, i == 1) {
			if !resp.OK() {
				t.Fatal(resp.Err())
			}
			if resp.File != nil {
				sums = append(sums, resp.SHA256)
			}
		}
	}
	if !slices.Equal(sums, []string{sha(files[0].data), sha(files[1].data)}) {
		t.Fatalf("completions %v", sums)
	}
	for _, f := range srv.Files("alice") {
		if !bytes.Equal(srv.ReadFile(f), files[f.Index].data) {
			t.Fatalf("%s differs", f.Name)
		}
	}
	// Authenticating a finished upload: nothing missing, every sha256.
	r = dial(t, srv).mustAuth(authMsg(tok, fid, files, []string{"t"}, 1000))
	if !slices.EqualFunc(r.Missing, [][]wire.Range{{}, {}, {}}, slices.Equal) || len(r.Complete) != 3 {
		t.Fatalf("finished upload: missing %v complete %v", r.Missing, r.Complete)
	}
}

// TestResumeAcrossRestart: held chunks survive a server restart.
func TestResumeAcrossRestart(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	f := randomFile(t, "a", 10*512)
	fid := uuid.New()
	tok := srv.Token("alice")
	c := dial(t, srv)
	c.mustAuth(authMsg(tok, fid, []file{f}, nil, 512))
	c.sendChunks(0, f.data, []uint64{1, 3, 4}, false)
	c.conn.Close()
	srv.Restart()
	r := dial(t, srv).mustAuth(authMsg(tok, fid, []file{f}, nil, 512))
	want := [][]wire.Range{{{0, 1}, {2, 3}, {5, 10}}}
	if !slices.EqualFunc(r.Missing, want, slices.Equal) {
		t.Fatalf("missing %v, want %v", r.Missing, want)
	}
}

// TestChunkSizeCapped: the server grants at most its maximum.
func TestChunkSizeCapped(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{MaxChunkSize: 64 << 10}))
	r := dial(t, srv).mustAuth(authMsg(srv.Token("a"), uuid.New(), []file{randomFile(t, "x", 1<<20)}, nil, 8<<20))
	if r.ChunkSize != 64<<10 || r.Missing[0][0] != (wire.Range{0, 16}) {
		t.Fatalf("chunk-size %d missing %v", r.ChunkSize, r.Missing)
	}
	r = dial(t, srv).mustAuth(authMsg(srv.Token("a"), uuid.New(), []file{randomFile(t, "x", 4000)}, nil, 0))
	if r.ChunkSize != wire.DefaultChunkSize || r.Missing[0][0] != (wire.Range{0, 4}) {
		t.Fatalf("default chunk-size %d missing %v", r.ChunkSize, r.Missing)
	}
}

// TestTakeOver: a second connection resuming a live upload takes it over;
// the first stops being served, nothing is corrupted, the file verifies.
func TestTakeOver(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	f := randomFile(t, "a", 64*1024)
	fid := uuid.New()
	tok := srv.Token("alice")
	old := dial(t, srv)
	old.mustAuth(authMsg(tok, fid, []file{f}, nil, 1024))
	for _, r := range old.sendChunks(0, f.data, []uint64{0, 1, 2, 3}, false) {
		if !r.OK() {
			t.Fatal(r.Err())
		}
	}
	// The old connection keeps a chunk in flight while the new one arrives.
	old.sendTransfer(old.chunk(0, 10, f.data), false)
	old.flush()

	c := dial(t, srv)
	r := c.mustAuth(authMsg(tok, fid, []file{f}, nil, 1024))
	// The old session's answers (if any) came before it was closed: an Ok,
	// or, for a chunk its writer reached after the takeover, busy saying
	// so (the chunk was not stored; the new connection is asked for it).
	for _, resp := range old.expectClosed() {
		if !resp.OK() && !(errors.Is(resp.Err(), wire.ErrBusy) && strings.Contains(resp.Err().Error(), "took this upload over")) {
			t.Fatalf("old session: %v", resp.Err())
		}
	}
	var idx []uint64
	for _, rg := range r.Missing[0] {
		for k := rg[0]; k < rg[1]; k++ {
			idx = append(idx, k)
		}
	}
	if slices.Contains(idx, 2) || len(idx) > 60 {
		t.Fatalf("missing after takeover: %v", r.Missing)
	}
	var sum string
	for _, resp := range c.sendChunks(0, f.data, idx, true) {
		if !resp.OK() {
			t.Fatal(resp.Err())
		}
		if resp.File != nil {
			sum = resp.SHA256
		}
	}
	if sum != sha(f.data) {
		t.Fatalf("sha256 %q, want %q", sum, sha(f.data))
	}
}

// TestDuplicatesInFlight: every chunk sent twice back to back (a client
// resending before the first answer) is answered Ok twice, the file
// completes exactly once and verifies.
func TestDuplicatesInFlight(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	for round := range 5 {
		f := randomFile(t, "dup", 40*512+round)
		c := dial(t, srv)
		r := c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), []file{f}, nil, 512))
		n := wire.ChunkCount(uint64(len(f.data)), r.ChunkSize)
		for k := range n {
			for range 2 {
				c.sendTransfer(c.chunk(0, k, f.data), k%2 == 0)
			}
		}
		c.flush()
		completions := 0
		for range 2 * n {
			resp := c.recv()
			if !resp.OK() {
				t.Fatalf("round %d: %v", round, resp.Err())
			}
			if resp.File != nil {
				completions++
				if resp.SHA256 != sha(f.data) {
					t.Fatalf("round %d: sha256 %s", round, resp.SHA256)
				}
			}
		}
		if completions != 1 {
			t.Fatalf("round %d: %d completions", round, completions)
		}
	}
}
