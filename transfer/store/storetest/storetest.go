// Package storetest is the conformance suite of the server's storage
// roles (server.UploadStore, ChunkStore, FilePublisher, FileRecords): every
// backend, the embedded one and the cluster one, runs it from its own
// tests, so that the server can rely on the same contract from each.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Backend{Open: openMine, ReadFile: readMine})
//	}
//
// The server's own tests must not import this package: it imports the
// server for the interfaces.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// Backend opens the storage under test.
type Backend struct {
	// Open returns a new, empty Storage with every role set. It registers
	// its own cleanup with t.
	Open func(t *testing.T) server.Storage
	// Reopen closes st and opens the same storage again, as a restarted
	// server (or another instance) sees it.
	Reopen func(t *testing.T, st server.Storage) server.Storage
	// ReadFile returns the bytes of owner's published file stored.
	ReadFile func(t *testing.T, st server.Storage, owner, stored string) []byte
	// ChunkSize is the chunk size of the uploads the suite makes (default
	// 1000); a backend with a minimum part size sets it.
	ChunkSize int
}

// Run runs every conformance check against b, each as a subtest.
func Run(t *testing.T, b Backend) {
	if b.ChunkSize == 0 {
		b.ChunkSize = 1000
	}
	s := suite{b}
	t.Run("CreateAndLoad", s.createAndLoad)
	t.Run("QuotaRefusal", s.quotaRefusal)
	t.Run("QuotaUnderConcurrency", s.quotaUnderConcurrency)
	t.Run("DeleteReleasesReservation", s.deleteReleasesReservation)
	t.Run("MarkHeldDurable", s.markHeldDurable)
	t.Run("ChunksOutOfOrder", s.chunksOutOfOrder)
	t.Run("PublishNeverOverwrites", s.publishNeverOverwrites)
	t.Run("PublishConcurrentUniqueNames", s.publishConcurrent)
	t.Run("CompleteAndQuery", s.completeAndQuery)
	t.Run("ListAndRemove", s.listAndRemove)
	t.Run("Untouched", s.untouched)
	t.Run("RemoveMissingPartials", s.removeMissing)
}

type suite struct{ b Backend }

// newUpload returns an upload of owner with one file per size.
func (s suite) newUpload(owner string, sizes ...uint64) *store.Upload {
	u := &store.Upload{
		FID: uuid.New(), Owner: owner, ChunkSize: s.b.ChunkSize,
		Created: time.Now().UTC().Truncate(time.Millisecond), Tags: []string{"blue", "red"}, // sorted, as the server keeps them
	}
	for i, n := range sizes {
		u.Files = append(u.Files, store.FileInfo{Name: fmt.Sprintf("file-%d.bin", i), Size: n})
	}
	return u
}

// owner returns a user name of its own for one subtest, so that backends
// shared between subtests do not mix their records.
func owner() string {
	return fmt.Sprintf("u%x", rand.Uint64())
}

func mustCreate(t *testing.T, st server.Storage, u *store.Upload, quota int64) {
	t.Helper()
	if err := st.Uploads.CreateUpload(t.Context(), u, quota); err != nil {
		t.Fatalf("CreateUpload: %v", err)
	}
	if err := st.Chunks.CreatePartials(t.Context(), u); err != nil {
		t.Fatalf("CreatePartials: %v", err)
	}
}

// writeFile writes every chunk of file i of u from data in the order
// given (nil: in order), syncs and marks them held.
func writeFile(t *testing.T, st server.Storage, u *store.Upload, i int, data []byte, order []uint64) {
	t.Helper()
	n := wire.ChunkCount(u.Files[i].Size, u.ChunkSize)
	if order == nil {
		for k := range n {
			order = append(order, k)
		}
	}
	part := store.Part{FID: u.FID, File: i}
	var marks []store.Mark
	for _, k := range order {
		off, size := wire.ChunkBounds(u.Files[i].Size, u.ChunkSize, k)
		if err := st.Chunks.WriteChunk(t.Context(), store.Chunk{Part: part, Index: k, Offset: int64(off), Data: data[off : off+uint64(size)]}); err != nil {
			t.Fatalf("WriteChunk %d: %v", k, err)
		}
		marks = append(marks, store.Mark{FID: u.FID, File: uint32(i), Index: k})
	}
	if errs := st.Chunks.Sync(t.Context(), []store.Part{part}); len(errs) != 1 || errs[0] != nil {
		t.Fatalf("Sync: %v", errs)
	}
	if err := st.Uploads.MarkHeld(t.Context(), marks, time.Now()); err != nil {
		t.Fatalf("MarkHeld: %v", err)
	}
}

func randomBytes(n uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)})
	r.Read(b)
	return b
}

func (s suite) createAndLoad(t *testing.T) {
	st := s.b.Open(t)
	u := s.newUpload(owner(), 2500, 0, 1000)
	mustCreate(t, st, u, 0)
	got, err := st.Uploads.LoadUpload(t.Context(), u.FID)
	if err != nil {
		t.Fatalf("LoadUpload: %v", err)
	}
	if got.FID != u.FID || got.Owner != u.Owner || !slices.Equal(got.Files, u.Files) ||
		!slices.Equal(got.Tags, u.Tags) || got.ChunkSize != u.ChunkSize || !got.Created.Equal(u.Created) {
		t.Fatalf("loaded %+v, created %+v", got, u)
	}
	if len(got.Held) != 3 || len(got.Done) != 3 {
		t.Fatalf("Held %d and Done %d entries, want 3 each", len(got.Held), len(got.Done))
	}
	for i, f := range u.Files {
		if got.Done[i] != nil {
			t.Fatalf("file %d is done before any chunk", i)
		}
		if want := (wire.ChunkCount(f.Size, u.ChunkSize) + 63) / 64; uint64(len(got.Held[i])) != want || got.Held[i].Count() != 0 {
			t.Fatalf("file %d: Held has %d words and %d chunks, want %d words and none", i, len(got.Held[i]), got.Held[i].Count(), want)
		}
	}
	if err := st.Uploads.CreateUpload(t.Context(), u, 0); !errors.Is(err, store.ErrExists) {
		t.Fatalf("creating the same fid again: %v, want ErrExists", err)
	}
	if _, err := st.Uploads.LoadUpload(t.Context(), uuid.New()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("loading an unknown fid: %v, want ErrNotFound", err)
	}
}

func (s suite) quotaRefusal(t *testing.T) {
	st := s.b.Open(t)
	who := owner()
	a := s.newUpload(who, 600)
	mustCreate(t, st, a, 1000)
	b := s.newUpload(who, 401)
	if err := st.Uploads.CreateUpload(t.Context(), b, 1000); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("600 reserved + 401 of a quota of 1000: %v, want ErrQuota", err)
	}
	if _, err := st.Uploads.LoadUpload(t.Context(), b.FID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused upload was recorded: %v", err)
	}
	c := s.newUpload(who, 400)
	if err := st.Uploads.CreateUpload(t.Context(), c, 1000); err != nil {
		t.Fatalf("600 + 400 of a quota of 1000: %v", err)
	}
	// Another user has a quota of their own.
	if err := st.Uploads.CreateUpload(t.Context(), s.newUpload(owner(), 1000), 1000); err != nil {
		t.Fatalf("another user's upload: %v", err)
	}
	// Completed bytes count too.
	writeFile(t, st, a, 0, randomBytes(600), nil)
	complete(t, st, a, 0, randomBytes(600))
	if err := st.Uploads.DeleteUpload(t.Context(), c.FID); err != nil {
		t.Fatal(err)
	}
	if err := st.Uploads.CreateUpload(t.Context(), s.newUpload(who, 401), 1000); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("600 completed + 401 of a quota of 1000: %v, want ErrQuota", err)
	}
}

func (s suite) quotaUnderConcurrency(t *testing.T) {
	st := s.b.Open(t)
	who := owner()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { errs[i] = st.Uploads.CreateUpload(t.Context(), s.newUpload(who, 100), 1000) })
	}
	wg.Wait()
	admitted := 0
	for _, err := range errs {
		switch {
		case err == nil:
			admitted++
		case !errors.Is(err, store.ErrQuota):
			t.Fatalf("CreateUpload: %v", err)
		}
	}
	if admitted != 10 {
		t.Fatalf("%d uploads of 100 bytes admitted under a quota of 1000, want exactly 10", admitted)
	}
}

func (s suite) deleteReleasesReservation(t *testing.T) {
	st := s.b.Open(t)
	who := owner()
	a := s.newUpload(who, 800, 100)
	mustCreate(t, st, a, 1000)
	data := randomBytes(100)
	writeFile(t, st, a, 1, data, nil)
	complete(t, st, a, 1, data)
	if err := st.Uploads.DeleteUpload(t.Context(), a.FID); err != nil {
		t.Fatalf("DeleteUpload: %v", err)
	}
	if err := st.Chunks.RemovePartials(t.Context(), a.FID); err != nil {
		t.Fatalf("RemovePartials: %v", err)
	}
	if _, err := st.Uploads.LoadUpload(t.Context(), a.FID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LoadUpload after DeleteUpload: %v, want ErrNotFound", err)
	}
	// The 800 reserved are free again; the 100 completed stay counted.
	if err := st.Uploads.CreateUpload(t.Context(), s.newUpload(who, 900), 1000); err != nil {
		t.Fatalf("900 bytes after the reservation was released: %v", err)
	}
	if err := st.Uploads.CreateUpload(t.Context(), s.newUpload(who, 1), 1000); !errors.Is(err, store.ErrQuota) {
		t.Fatalf("one byte over: %v, want ErrQuota (the completed file must stay counted)", err)
	}
	files, err := st.Records.Files(t.Context(), store.Query{User: who})
	if err != nil || len(files) != 1 {
		t.Fatalf("completed files after DeleteUpload: %v, %v; want the one", files, err)
	}
}

func (s suite) markHeldDurable(t *testing.T) {
	st := s.b.Open(t)
	u := s.newUpload(owner(), 10*uint64(s.b.ChunkSize), 3*uint64(s.b.ChunkSize))
	mustCreate(t, st, u, 0)
	data := randomBytes(u.Files[0].Size)
	part := store.Part{FID: u.FID, File: 0}
	for _, k := range []uint64{7, 2, 9} {
		off, n := wire.ChunkBounds(u.Files[0].Size, u.ChunkSize, k)
		if err := st.Chunks.WriteChunk(t.Context(), store.Chunk{Part: part, Index: k, Offset: int64(off), Data: data[off : off+uint64(n)]}); err != nil {
			t.Fatal(err)
		}
	}
	if errs := st.Chunks.Sync(t.Context(), []store.Part{part}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	marks := []store.Mark{{FID: u.FID, File: 0, Index: 7}, {FID: u.FID, File: 0, Index: 2}, {FID: u.FID, File: 0, Index: 9}}
	if err := st.Uploads.MarkHeld(t.Context(), marks, time.Now()); err != nil {
		t.Fatal(err)
	}
	st = s.b.Reopen(t, st)
	got, err := st.Uploads.LoadUpload(t.Context(), u.FID)
	if err != nil {
		t.Fatal(err)
	}
	var held []uint64
	for k := range uint64(10) {
		if got.Held[0].Has(k) {
			held = append(held, k)
		}
	}
	if !slices.Equal(held, []uint64{2, 7, 9}) || got.Held[1].Count() != 0 {
		t.Fatalf("after reopening, file 0 holds %v and file 1 %d chunks; want [2 7 9] and 0", held, got.Held[1].Count())
	}
}

func (s suite) chunksOutOfOrder(t *testing.T) {
	st := s.b.Open(t)
	cs := uint64(s.b.ChunkSize)
	u := s.newUpload(owner(), 5*cs+cs/3)
	mustCreate(t, st, u, 0)
	data := randomBytes(u.Files[0].Size)
	writeFile(t, st, u, 0, data, []uint64{5, 3, 0, 4, 1, 2})
	part := store.Part{FID: u.FID, File: 0}
	for _, off := range []uint64{0, 2 * cs, 5 * cs} {
		r, err := st.Chunks.ReadPartial(t.Context(), part, int64(off))
		if err != nil {
			t.Fatalf("ReadPartial at %d: %v", off, err)
		}
		got, err := io.ReadAll(io.LimitReader(r, int64(u.Files[0].Size-off)))
		r.Close()
		if err != nil {
			t.Fatalf("reading partial data from %d: %v", off, err)
		}
		if !bytes.Equal(got, data[off:]) {
			t.Fatalf("partial data from %d differs from what was written (%d bytes, want %d)", off, len(got), len(data)-int(off))
		}
	}
}

// complete publishes file i of u under its name and records it complete.
func complete(t *testing.T, st server.Storage, u *store.Upload, i int, data []byte) *store.File {
	t.Helper()
	stored, err := st.Publisher.Publish(t.Context(), u.FID, i, u.Owner, u.Files[i].Name)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := st.Publisher.SyncPublished(t.Context(), u.Owner); err != nil {
		t.Fatalf("SyncPublished: %v", err)
	}
	f := &store.File{
		Owner: u.Owner, Name: u.Files[i].Name, Stored: stored, Size: u.Files[i].Size,
		SHA256: fmt.Sprintf("%064x", len(data)), Tags: u.Tags, FID: u.FID, Index: i,
		Completed: time.Now().UTC().Truncate(time.Millisecond),
	}
	if err := st.Records.CompleteFiles(t.Context(), []*store.File{f}); err != nil {
		t.Fatalf("CompleteFiles: %v", err)
	}
	if err := st.Chunks.RemovePartial(t.Context(), store.Part{FID: u.FID, File: i}); err != nil {
		t.Fatalf("RemovePartial: %v", err)
	}
	return f
}

func (s suite) publishNeverOverwrites(t *testing.T) {
	st := s.b.Open(t)
	who := owner()
	if err := st.Publisher.PrepareUserArea(t.Context(), who); err != nil {
		t.Fatalf("PrepareUserArea: %v", err)
	}
	size := 2*uint64(s.b.ChunkSize) + 1
	a, b := s.newUpload(who, size), s.newUpload(who, size)
	da, db := randomBytes(size), randomBytes(size + 1)[1:]
	mustCreate(t, st, a, 0)
	mustCreate(t, st, b, 0)
	writeFile(t, st, a, 0, da, nil)
	writeFile(t, st, b, 0, db, nil)
	na, err := st.Publisher.Publish(t.Context(), a.FID, 0, who, "same.txt")
	if err != nil {
		t.Fatalf("Publish a: %v", err)
	}
	again, err := st.Publisher.Publish(t.Context(), a.FID, 0, who, "same.txt")
	if err != nil || again != na {
		t.Fatalf("publishing the same part again gave %q, %v; want %q", again, err, na)
	}
	nb, err := st.Publisher.Publish(t.Context(), b.FID, 0, who, "same.txt")
	if err != nil {
		t.Fatalf("Publish b: %v", err)
	}
	if na != "same.txt" || nb == na {
		t.Fatalf("names %q and %q: want same.txt and another", na, nb)
	}
	if err := st.Publisher.SyncPublished(t.Context(), who); err != nil {
		t.Fatal(err)
	}
	if got := s.b.ReadFile(t, st, who, na); !bytes.Equal(got, da) {
		t.Fatalf("%s holds other bytes than its upload's", na)
	}
	if got := s.b.ReadFile(t, st, who, nb); !bytes.Equal(got, db) {
		t.Fatalf("%s holds other bytes than its upload's", nb)
	}
}

func (s suite) publishConcurrent(t *testing.T) {
	st := s.b.Open(t)
	who := owner()
	const n = 8
	ups := make([]*store.Upload, n)
	data := make([][]byte, n)
	for i := range ups {
		ups[i] = s.newUpload(who, uint64(s.b.ChunkSize)+uint64(i))
		data[i] = randomBytes(ups[i].Files[0].Size)
		mustCreate(t, st, ups[i], 0)
		writeFile(t, st, ups[i], 0, data[i], nil)
	}
	names := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range ups {
		wg.Go(func() { names[i], errs[i] = st.Publisher.Publish(context.Background(), ups[i].FID, 0, who, "race.dat") })
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range ups {
		if errs[i] != nil {
			t.Fatalf("Publish %d: %v", i, errs[i])
		}
		if seen[names[i]] {
			t.Fatalf("two uploads published as %q", names[i])
		}
		seen[names[i]] = true
	}
	if !seen["race.dat"] {
		t.Fatalf("nobody got the name itself: %v", names)
	}
	if err := st.Publisher.SyncPublished(t.Context(), who); err != nil {
		t.Fatal(err)
	}
	for i := range ups {
		if got := s.b.ReadFile(t, st, who, names[i]); !bytes.Equal(got, data[i]) {
			t.Fatalf("%s holds other bytes than upload %d's", names[i], i)
		}
	}
}

func (s suite) completeAndQuery(t *testing.T) {
	st := s.b.Open(t)
	alice, bob := owner(), owner()
	a := s.newUpload(alice, 10, 20)
	b := s.newUpload(bob, 30)
	b.Tags = []string{"green"}
	mustCreate(t, st, a, 0)
	mustCreate(t, st, b, 0)
	da0, da1, db0 := randomBytes(10), randomBytes(20), randomBytes(30)
	writeFile(t, st, a, 0, da0, nil)
	writeFile(t, st, a, 1, da1, nil)
	writeFile(t, st, b, 0, db0, nil)
	fa0 := complete(t, st, a, 0, da0)
	// Recording twice is a no-op.
	if err := st.Records.CompleteFiles(t.Context(), []*store.File{fa0}); err != nil {
		t.Fatalf("CompleteFiles again: %v", err)
	}
	got, err := st.Uploads.LoadUpload(t.Context(), a.FID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Done[0] == nil || got.Done[0].Stored != fa0.Stored || got.Done[0].SHA256 != fa0.SHA256 || got.Done[1] != nil {
		t.Fatalf("Done after completing file 0: %+v", got.Done)
	}
	if got.Held[0] != nil {
		t.Fatalf("a completed file still has a chunk map")
	}
	fa1 := complete(t, st, a, 1, da1)
	fb0 := complete(t, st, b, 0, db0)
	check := func(q store.Query, want ...*store.File) {
		t.Helper()
		files, err := st.Records.Files(t.Context(), q)
		if err != nil {
			t.Fatalf("Files(%+v): %v", q, err)
		}
		var mine []*store.File
		for _, f := range files {
			if f.Owner == alice || f.Owner == bob {
				mine = append(mine, f)
			}
		}
		if len(mine) != len(want) {
			t.Fatalf("Files(%+v): %d of this test's files, want %d", q, len(mine), len(want))
		}
		for i, f := range mine {
			w := want[i]
			if f.Owner != w.Owner || f.Name != w.Name || f.Stored != w.Stored || f.Size != w.Size || f.SHA256 != w.SHA256 ||
				f.FID != w.FID || f.Index != w.Index || !slices.Equal(f.Tags, w.Tags) || !f.Completed.Equal(w.Completed) {
				t.Fatalf("Files(%+v)[%d] = %+v, want %+v", q, i, f, w)
			}
		}
	}
	check(store.Query{User: alice}, fa0, fa1)
	check(store.Query{User: bob}, fb0)
	check(store.Query{Tag: "green"}, fb0)
	check(store.Query{User: alice, Tag: "red"}, fa0, fa1)
	check(store.Query{User: bob, Tag: "red"})
	check(store.Query{}, fa0, fa1, fb0)
}

func (s suite) untouched(t *testing.T) {
	st := s.b.Open(t)
	old, fresh := s.newUpload(owner(), 10), s.newUpload(owner(), 10)
	now := time.Now()
	old.Created = now.Add(-2 * time.Hour).UTC().Truncate(time.Millisecond)
	fresh.Created = old.Created
	mustCreate(t, st, old, 0)
	mustCreate(t, st, fresh, 0)
	if err := st.Uploads.MarkHeld(t.Context(), []store.Mark{{FID: fresh.FID, File: 0, Index: 0}}, now); err != nil {
		t.Fatal(err)
	}
	ids, err := st.Uploads.Untouched(t.Context(), now.Add(-time.Hour))
	if err != nil {
		t.Fatalf("Untouched: %v", err)
	}
	if !slices.Contains(ids, old.FID) || slices.Contains(ids, fresh.FID) {
		t.Fatalf("Untouched lists %v; want %s (created two hours ago) and not %s (touched now)", ids, old.FID, fresh.FID)
	}
}

func (s suite) removeMissing(t *testing.T) {
	st := s.b.Open(t)
	fid := uuid.New()
	if err := st.Chunks.RemovePartial(t.Context(), store.Part{FID: fid, File: 3}); err != nil {
		t.Fatalf("RemovePartial of nothing: %v", err)
	}
	if err := st.Chunks.RemovePartials(t.Context(), fid); err != nil {
		t.Fatalf("RemovePartials of nothing: %v", err)
	}
}

func (s suite) listAndRemove(t *testing.T) {
	st := s.b.Open(t)
	who := owner()
	u := s.newUpload(who, 10, 20, 30)
	u.Files[0].Name, u.Files[1].Name, u.Files[2].Name = "b.bin", "a/y.bin", "a/x.bin"
	mustCreate(t, st, u, 100)
	data := [][]byte{randomBytes(10), randomBytes(20), randomBytes(30)}
	for i := range u.Files {
		writeFile(t, st, u, i, data[i], nil)
		complete(t, st, u, i, data[i])
	}
	list := func(q store.ListQuery) ([]string, string) {
		t.Helper()
		q.Owner = who
		page, err := st.Records.ListFiles(t.Context(), q)
		if err != nil {
			t.Fatalf("ListFiles(%+v): %v", q, err)
		}
		var paths []string
		for _, f := range page.Files {
			paths = append(paths, f.Stored)
		}
		return paths, page.Next
	}
	check := func(q store.ListQuery, want []string, wantNext string) {
		t.Helper()
		got, next := list(q)
		if !slices.Equal(got, want) || next != wantNext {
			t.Fatalf("ListFiles(%+v) = %q, next %q; want %q, next %q", q, got, next, want, wantNext)
		}
	}
	check(store.ListQuery{Limit: 2}, []string{"a/x.bin", "a/y.bin"}, "a/y.bin")
	check(store.ListQuery{Limit: 2, After: "a/y.bin"}, []string{"b.bin"}, "")
	check(store.ListQuery{Limit: 10, Prefix: "a/"}, []string{"a/x.bin", "a/y.bin"}, "")
	check(store.ListQuery{Limit: 10, Paths: []string{"b.bin", "a/x.bin", "c"}}, []string{"a/x.bin", "b.bin"}, "")
	check(store.ListQuery{Limit: 10, Tags: []string{"red"}}, []string{"a/x.bin", "a/y.bin", "b.bin"}, "")
	check(store.ListQuery{Limit: 10, Tags: []string{"green"}}, nil, "")

	if _, err := st.Records.RemoveFiles(t.Context(), who, []string{"b.bin", "nope"}); !errors.Is(err, store.ErrFileNotFound) {
		t.Fatalf("removing a path that is no file: %v, want ErrFileNotFound", err)
	}
	check(store.ListQuery{Limit: 10}, []string{"a/x.bin", "a/y.bin", "b.bin"}, "")
	removed, err := st.Records.RemoveFiles(t.Context(), who, []string{"b.bin", "a/x.bin", "b.bin"})
	if err != nil {
		t.Fatalf("RemoveFiles: %v", err)
	}
	if len(removed) != 2 || removed[0].Stored != "b.bin" || removed[1].Stored != "a/x.bin" {
		t.Fatalf("RemoveFiles returned %+v; want b.bin and a/x.bin", removed)
	}
	for _, f := range removed {
		if err := st.Publisher.Unpublish(t.Context(), who, f.Stored); err != nil {
			t.Fatalf("Unpublish %s: %v", f.Stored, err)
		}
	}
	if err := st.Publisher.Unpublish(t.Context(), who, "b.bin"); err != nil {
		t.Fatalf("Unpublish of a file already gone: %v", err)
	}
	check(store.ListQuery{Limit: 10}, []string{"a/y.bin"}, "")
	// The upload still counts the removed files complete.
	got, err := st.Uploads.LoadUpload(t.Context(), u.FID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range u.Files {
		if got.Done[i] == nil {
			t.Fatalf("file %d of the upload is no longer complete after its removal", i)
		}
		if want := i != 1; got.Done[i].Removed != want {
			t.Fatalf("file %d (%s) loads with Removed %v, want %v", i, got.Done[i].Stored, got.Done[i].Removed, want)
		}
	}
	// Their 40 bytes are free again, and their names.
	if err := st.Uploads.CreateUpload(t.Context(), s.newUpload(who, 80), 100); err != nil {
		t.Fatalf("80 bytes after 40 of 60 were removed, quota 100: %v", err)
	}
	v := s.newUpload(who, 5)
	v.Files[0].Name = "b.bin"
	mustCreate(t, st, v, 0)
	dv := randomBytes(5)
	writeFile(t, st, v, 0, dv, nil)
	if f := complete(t, st, v, 0, dv); f.Stored != "b.bin" {
		t.Fatalf("a new b.bin after the old one was removed is stored as %q", f.Stored)
	}
	if got := s.b.ReadFile(t, st, who, "b.bin"); !bytes.Equal(got, dv) {
		t.Fatal("the new b.bin holds other bytes")
	}
}
