package server_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

func TestRoundTripPipelined(t *testing.T) {
	t.Parallel()
	for _, raw := range []bool{false, true} {
		name := "transfer"
		if raw {
			name = "transfer-raw"
		}
		t.Run(name, func(t *testing.T) {
			srv := servertest.Start(t)
			files := []file{randomFile(t, "a.bin", 100_000), randomFile(t, "b.txt", 4096), {name: "empty"}}
			c := dial(t, srv)
			fid := uuid.New()
			r := c.mustAuth(authMsg(srv.Token("alice"), fid, files, []string{"work", "2024"}, 4096))
			if r.ChunkSize != 4096 {
				t.Fatalf("chunk-size %d, want 4096", r.ChunkSize)
			}
			if !slices.Contains(r.Extensions, wire.ExtensionRawTransfer) {
				t.Fatalf("extensions %v lack %q", r.Extensions, wire.ExtensionRawTransfer)
			}
			wantMissing := [][]wire.Range{{{0, 25}}, {{0, 1}}, {}}
			if !slices.EqualFunc(r.Missing, wantMissing, slices.Equal) {
				t.Fatalf("missing %v, want %v", r.Missing, wantMissing)
			}
			// The empty file completes at authentication.
			if len(r.Complete) != 1 || r.Complete[0].File != 2 || r.Complete[0].SHA256 != sha(nil) {
				t.Fatalf("complete %+v, want file 2 with the empty sha256", r.Complete)
			}
			for i, f := range files[:2] {
				idx := allChunks(uint64(len(f.data)), 4096)
				// Send in reverse order to exercise out-of-order completion.
				if i == 0 {
					slices.Reverse(idx)
				}
				got := c.sendChunks(i, f.data, idx, raw)
				completions := 0
				for k, resp := range got {
					if !resp.OK() {
						t.Fatalf("file %d chunk %d: %v", i, k, resp.Err())
					}
					if resp.File != nil {
						completions++
						if *resp.File != i || resp.SHA256 != sha(f.data) {
							t.Fatalf("completion %d/%s, want %d/%s", *resp.File, resp.SHA256, i, sha(f.data))
						}
					}
				}
				if completions != 1 {
					t.Fatalf("file %d: %d completion answers, want 1", i, completions)
				}
			}
			stored := srv.Files("alice")
			if len(stored) != 3 {
				t.Fatalf("%d files stored, want 3", len(stored))
			}
			for _, sf := range stored {
				want := files[sf.Index]
				if sf.Name != want.name || sf.Stored != want.name || sf.SHA256 != sha(want.data) || !slices.Equal(sf.Tags, []string{"2024", "work"}) {
					t.Fatalf("stored record %+v", sf)
				}
				if !bytes.Equal(srv.ReadFile(sf), want.data) {
					t.Fatalf("%s: stored bytes differ", sf.Name)
				}
			}
			tagged, err := srv.Server().Files(store.Query{Tag: "work"})
			if err != nil || len(tagged) != 3 {
				t.Fatalf("tag index: %d files, %v", len(tagged), err)
			}
			// A duplicate chunk of a completed file is Ok and rewrites nothing.
			again := c.sendChunks(0, files[0].data, []uint64{3}, raw)
			if !again[3].OK() || again[3].File != nil {
				t.Fatalf("duplicate chunk: %+v", again[3])
			}
		})
	}
}

// TestNoEmptyPartialDirs: once every file of an upload is complete, its
// partial/FID directory is gone, not left empty (issue 17).
func TestNoEmptyPartialDirs(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	upload(t, srv, "alice", []file{randomFile(t, "a", 3000), randomFile(t, "b", 10), {name: "empty"}}, nil)
	upload(t, srv, "alice", []file{{name: "only-empty"}}, nil)
	entries, err := os.ReadDir(filepath.Join(srv.Root(), "partial"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("partial/%s remains after its upload completed", e.Name())
	}
}
