package server_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/store"
)

// countingChunks is a ChunkStore that counts what the server asks of it
// and passes everything on.
type countingChunks struct {
	server.ChunkStore
	writes, syncs atomic.Int64
}

func (c *countingChunks) WriteChunk(ctx context.Context, ch store.Chunk) error {
	c.writes.Add(1)
	return c.ChunkStore.WriteChunk(ctx, ch)
}

func (c *countingChunks) Sync(ctx context.Context, parts []store.Part) []error {
	c.syncs.Add(1)
	return c.ChunkStore.Sync(ctx, parts)
}

// TestInjectedStorage: a server given Options.Storage keeps its bytes and
// records there, through the role interfaces, and leaves the backends open
// for their owner after Shutdown.
func TestInjectedStorage(t *testing.T) {
	t.Parallel()
	bs, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	chunks := &countingChunks{ChunkStore: bs}
	st := server.BoltStorage(bs)
	st.Chunks = chunks
	srv := servertest.Start(t, servertest.WithOptions(func(o *server.Options) { o.Storage = st }))
	f := randomFile(t, "seam.bin", 10_000)
	sums := upload(t, srv, "alice", []file{f}, nil)
	if sums[0] != sha(f.data) {
		t.Fatalf("sha256 %s, want %s", sums[0], sha(f.data))
	}
	if n := chunks.writes.Load(); n != 10 {
		t.Fatalf("%d chunk writes went through the injected ChunkStore, want 10", n)
	}
	if chunks.syncs.Load() == 0 {
		t.Fatal("no Sync went through the injected ChunkStore")
	}
	srv.Stop()
	files, err := bs.Files(t.Context(), store.Query{User: "alice"})
	if err != nil {
		t.Fatalf("the injected store was closed by Shutdown: %v", err)
	}
	if len(files) != 1 || files[0].SHA256 != sha(f.data) {
		t.Fatalf("records in the injected store: %+v", files)
	}
}

// TestIncompleteStorageRefused: New refuses a Storage with a role missing.
func TestIncompleteStorageRefused(t *testing.T) {
	t.Parallel()
	bs, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	st := server.BoltStorage(bs)
	st.Records = nil
	v, err := auth.NewVerifier([]byte("0123456789012345678901234567890123456789"), auth.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.New(server.Options{Storage: st, Verifier: v})
	if err == nil {
		t.Fatal("New accepted a Storage without Records")
	}
}
