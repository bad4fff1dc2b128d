package client

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/store"
)

// testChunk is the chunk size most tests ask for: small, so that files of
// a few MB have hundreds of chunks.
const testChunk = 16 << 10

// writeFile creates a file of n pseudo-random bytes (seeded, so failures
// reproduce) and returns its path and content.
func writeFile(t *testing.T, dir, name string, n int, seed uint64) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for k := range 8 {
			data[i+k] = byte(v >> (8 * k))
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// testOptions are engine options for tests: small chunks, a private
// journal, fast retries, a short read timeout that still tolerates a
// loaded machine.
func testOptions(t *testing.T, server string, token TokenSource) Options {
	return Options{
		Server:      server,
		Token:       token,
		ChunkSize:   testChunk,
		Retry:       RetryPolicy{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond},
		ReadTimeout: 5 * time.Second,
		JournalDir:  filepath.Join(t.TempDir(), "journal"),
	}
}

func newEngine(t *testing.T, o Options) (*Engine, *recorder) {
	t.Helper()
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return e, record(t, e)
}

// wait waits for the upload with a generous timeout.
func wait(t *testing.T, e *Engine, fid string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	err := e.Wait(ctx, fid)
	if ctx.Err() != nil {
		t.Fatalf("upload %s did not end in time", fid)
	}
	return err
}

// checkStored asserts that the server holds each named file with exactly
// the given content, stored by user.
func checkStored(t *testing.T, srv *servertest.Server, user string, want map[string][]byte) {
	t.Helper()
	got := map[string]*store.File{}
	for _, f := range srv.Files(user) {
		got[f.Name] = f
	}
	for name, data := range want {
		f := got[name]
		if f == nil {
			t.Errorf("server has no file %q for %s", name, user)
			continue
		}
		if b := srv.ReadFile(f); !bytes.Equal(b, data) {
			t.Errorf("server's %q differs from the local file (%d vs %d bytes)", name, len(b), len(data))
		}
	}
}
