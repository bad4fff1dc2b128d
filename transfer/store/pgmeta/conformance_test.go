package pgmeta_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta"
	"github.com/hoist-dev/hoist/transfer/store/pgmeta/pgtest"
	"github.com/hoist-dev/hoist/transfer/store/storetest"
)

// inCI reports whether missing servers must fail the tests.
func inCI() bool { return os.Getenv("CI") == "true" }

// TestPostgresConformance runs the conformance suite with the upload and
// file records in PostgreSQL and the bytes in the embedded store.
func TestPostgresConformance(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	type opened struct{ url, dir string }
	backends := map[*pgmeta.Store]opened{}
	open := func(t *testing.T, o opened) server.Storage {
		ps, err := pgmeta.Open(t.Context(), o.url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ps.Close() })
		bs, err := store.Open(o.dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bs.Close() })
		backends[ps] = o
		return server.Storage{Uploads: ps, Chunks: bs, Publisher: bs, Records: ps}
	}
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) server.Storage { return open(t, opened{pg.NewDatabase(t), t.TempDir()}) },
		Reopen: func(t *testing.T, st server.Storage) server.Storage {
			ps := st.Uploads.(*pgmeta.Store)
			ps.Close()
			st.Chunks.(*store.BoltStore).Close()
			return open(t, backends[ps])
		},
		ReadFile: func(t *testing.T, st server.Storage, owner, stored string) []byte {
			bs := st.Chunks.(*store.BoltStore)
			b, err := os.ReadFile(filepath.Join(bs.Dir(), (&store.File{Owner: owner, Stored: stored}).Path()))
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	})
}

// TestMigrationsIdempotent: opening a migrated database again applies
// nothing twice, and two servers starting at once both succeed.
func TestMigrationsIdempotent(t *testing.T) {
	pg := pgtest.Start(t, inCI())
	url := pg.NewDatabase(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := pgmeta.Open(context.Background(), url)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("opening a database while another server migrates it: %v", err)
		}
	}
	s, err := pgmeta.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("opening a migrated database: %v", err)
	}
	defer s.Close()
}
