package server_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TestPipelineKeepsEveryChunkApart: one flush carries the chunks of three
// files interleaved, TRANSFER and TRANSFER-RAW alternating, with a corrupt
// chunk and duplicates among them, far more than the connection's pipeline
// holds at once. Every chunk is answered once, the corrupt one as corrupt
// and written nowhere, each file completes once with its own sha256, and
// the stored files are exact: no chunk's bytes were overwritten by the
// next frame read while it was being written and hashed.
func TestPipelineKeepsEveryChunkApart(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	files := []file{randomFile(t, "a", 37*1024+11), randomFile(t, "b", 29*1024), randomFile(t, "c", 41*1024+5)}
	c := dial(t, srv)
	r := c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), files, nil, 1024))
	type sent struct {
		file    int
		corrupt bool
	}
	ids := map[string]sent{}
	var counts [3]uint64
	for i, f := range files {
		counts[i] = wire.ChunkCount(uint64(len(f.data)), r.ChunkSize)
	}
	frames := 0
	for k := uint64(0); k < max(counts[0], counts[1], counts[2]); k++ {
		for i, f := range files {
			if k >= counts[i] {
				continue
			}
			tr := c.chunk(i, k, f.data)
			if i == 1 && k == 7 {
				// First a corrupt copy (the crc no longer matches), then the
				// real one.
				bad := *tr
				bad.MessageID = uuid.NewString()
				bad.Data = bytes.Clone(tr.Data)
				bad.Data[3] ^= 0x40
				ids[bad.MessageID] = sent{file: i, corrupt: true}
				c.sendTransfer(&bad, frames%2 == 0)
				frames++
			}
			ids[tr.MessageID] = sent{file: i}
			c.sendTransfer(tr, frames%2 == 0)
			frames++
			if k%10 == 3 {
				dup := c.chunk(i, k, f.data)
				ids[dup.MessageID] = sent{file: i}
				c.sendTransfer(dup, frames%2 == 1)
				frames++
			}
		}
	}
	c.flush()
	completions := map[int]string{}
	for range frames {
		resp := c.recv()
		s, ok := ids[resp.MessageID]
		if !ok {
			t.Fatalf("answer to unknown or already answered message-id %q", resp.MessageID)
		}
		delete(ids, resp.MessageID)
		switch {
		case s.corrupt:
			expectError(t, resp, wire.CodeCorrupt)
		case !resp.OK():
			t.Fatalf("file %d: %v", s.file, resp.Err())
		case resp.File != nil:
			if _, again := completions[*resp.File]; again {
				t.Fatalf("file %d completed twice", *resp.File)
			}
			completions[*resp.File] = resp.SHA256
		}
	}
	for i, f := range files {
		if completions[i] != sha(f.data) {
			t.Errorf("file %d: completed with sha256 %q, want %s", i, completions[i], sha(f.data))
		}
		got, err := os.ReadFile(filepath.Join(srv.Root(), "users", "alice", f.name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.data) {
			t.Errorf("file %d: stored %d bytes that differ from the %d sent", i, len(got), len(f.data))
		}
	}
}
