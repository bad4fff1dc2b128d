package storetest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/store/storetest"
)

// TestBoltConformance runs the conformance suite against the embedded
// backend: files on disk and bbolt.
func TestBoltConformance(t *testing.T) {
	t.Parallel()
	dirs := map[*store.BoltStore]string{}
	open := func(t *testing.T, dir string) server.Storage {
		bs, err := store.Open(dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bs.Close() })
		dirs[bs] = dir
		return server.BoltStorage(bs)
	}
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) server.Storage { return open(t, t.TempDir()) },
		Reopen: func(t *testing.T, st server.Storage) server.Storage {
			bs := st.Uploads.(*store.BoltStore)
			if err := bs.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, dirs[bs])
		},
		ReadFile: func(t *testing.T, st server.Storage, owner, stored string) []byte {
			bs := st.Uploads.(*store.BoltStore)
			b, err := os.ReadFile(filepath.Join(bs.Dir(), (&store.File{Owner: owner, Stored: stored}).Path()))
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	})
}
