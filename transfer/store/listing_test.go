package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/wire"
	"go.etcd.io/bbolt"
)

// completeAll publishes and records every file of u under the names given.
func completeAll(t *testing.T, s *BoltStore, u *Upload, names ...string) []*File {
	t.Helper()
	if err := s.CreateUpload(t.Context(), u, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePartials(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	var recs []*File
	for i, name := range names {
		stored, err := s.Publish(t.Context(), u.FID, i, u.Owner, name)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, &File{Owner: u.Owner, Name: name, Stored: stored, Size: u.Files[i].Size,
			SHA256: "00", Tags: u.Tags, FID: u.FID, Index: i, Completed: time.Now()})
	}
	if err := s.SyncPublished(t.Context(), u.Owner); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteFiles(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	return recs
}

func storedNames(files []*File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Stored)
	}
	return out
}

// TestPublishPaths: paths get their directories, a taken file name gets a
// numbered variant in the same directory, a directory element taken by a
// file or a symbolic link gets a numbered directory, and nothing is
// followed or overwritten.
func TestPublishPaths(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	if err := s.PrepareUserArea(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	area := filepath.Join(s.Dir(), usersDir, "alice")
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(area, "link")); err != nil {
		t.Fatal(err)
	}
	u := newUpload("alice", 1, 2, 3, 4, 5, 6)
	recs := completeAll(t, s, u, "a/notes.txt", "b/sub/notes.txt", "a/notes.txt", "a", "a/x/y", "link/evil")
	want := []string{"a/notes.txt", "b/sub/notes.txt", "a/notes (2).txt", "a (2)", "a/x/y", "link (2)/evil"}
	if got := storedNames(recs); !slices.Equal(got, want) {
		t.Fatalf("stored %q, want %q", got, want)
	}
	for i, p := range want {
		fi, err := os.Stat(filepath.Join(area, filepath.FromSlash(p)))
		if err != nil || fi.Size() != int64(u.Files[i].Size) || !fi.Mode().IsRegular() {
			t.Fatalf("%s: %v %v", p, fi, err)
		}
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("a file was written through the symbolic link: %v", ents)
	}
	// A file where a later path needs a directory.
	u2 := newUpload("alice", 7)
	recs = completeAll(t, s, u2, "a (2)/z")
	if recs[0].Stored != "a (2) (2)/z" {
		t.Fatalf("directory element over a file: stored %q", recs[0].Stored)
	}
}

// TestListFilesPages: pages over many files return each once, in order,
// with filters, and never another user's file.
func TestListFilesPages(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	var names []string
	sizes := make([]uint64, 250)
	for i := range sizes {
		names = append(names, fmt.Sprintf("d%d/f%03d", i%3, i))
	}
	u := newUpload("alice", sizes...)
	u.Tags = []string{"x"}
	completeAll(t, s, u, names...)
	completeAll(t, s, newUpload("bob", 1), "d0/f000-bob")
	slices.Sort(names)

	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("no end to the pages")
		}
		p, err := s.ListFiles(t.Context(), ListQuery{Owner: "alice", After: after, Limit: 7, ScanLimit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Files) > 5 {
			t.Fatalf("page of %d files past a scan limit of 5", len(p.Files))
		}
		got = append(got, storedNames(p.Files)...)
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if !slices.Equal(got, names) {
		t.Fatalf("listed %d files, want %d in order", len(got), len(names))
	}

	p, err := s.ListFiles(t.Context(), ListQuery{Owner: "alice", Prefix: "d1/", Tags: []string{"x"}, Limit: 1000})
	if err != nil || len(p.Files) != 83 || p.Next != "" {
		t.Fatalf("prefix d1/: %d files, next %q, %v", len(p.Files), p.Next, err)
	}
	p, err = s.ListFiles(t.Context(), ListQuery{Owner: "alice", Tags: []string{"x", "y"}, Limit: 1000})
	if err != nil || len(p.Files) != 0 {
		t.Fatalf("tag y: %d files, %v", len(p.Files), err)
	}
	p, err = s.ListFiles(t.Context(), ListQuery{Owner: "alice", Paths: []string{"d0/f000-bob", "d2/f002", "d0/f000", "nope"}, Limit: 1})
	if err != nil || !slices.Equal(storedNames(p.Files), []string{"d0/f000"}) || p.Next != "d0/f000" {
		t.Fatalf("paths, page 1: %q next %q %v", storedNames(p.Files), p.Next, err)
	}
	p, err = s.ListFiles(t.Context(), ListQuery{Owner: "alice", Paths: []string{"d0/f000-bob", "d2/f002", "d0/f000", "nope"}, After: p.Next, Limit: 1})
	if err != nil || !slices.Equal(storedNames(p.Files), []string{"d2/f002"}) {
		t.Fatalf("paths, page 2: %q %v", storedNames(p.Files), err)
	}
}

// TestRemoveFiles: all or nothing, quota released, directories left empty
// removed, and the upload keeps counting a removed file complete.
func TestRemoveFiles(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	u := newUpload("alice", 10, 20, 30)
	completeAll(t, s, u, "a/b/one", "a/two", "three")
	completeAll(t, s, newUpload("bob", 5), "a/b/one")
	if _, err := s.RemoveFiles(t.Context(), "alice", []string{"three", "missing"}); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("remove with a missing path: %v", err)
	}
	if c, _, _ := s.Usage(t.Context(), "alice"); c != 60 {
		t.Fatalf("usage %d after a refused removal", c)
	}
	got, err := s.RemoveFiles(t.Context(), "alice", []string{"a/b/one", "three", "a/b/one"})
	if err != nil || !slices.Equal(storedNames(got), []string{"a/b/one", "three"}) {
		t.Fatalf("removed %q, %v", storedNames(got), err)
	}
	for _, f := range got {
		if err := s.Unpublish(t.Context(), f.Owner, f.Stored); err != nil {
			t.Fatal(err)
		}
	}
	if c, _, _ := s.Usage(t.Context(), "alice"); c != 20 {
		t.Fatalf("usage %d, want 20", c)
	}
	area := filepath.Join(s.Dir(), usersDir)
	if _, err := os.Lstat(filepath.Join(area, "alice", "a", "b")); !os.IsNotExist(err) {
		t.Fatalf("empty directory a/b left behind: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(area, "alice", "a", "two")); err != nil {
		t.Fatalf("a/two removed: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(area, "bob", "a", "b", "one")); err != nil {
		t.Fatalf("bob's file removed: %v", err)
	}
	p, _ := s.ListFiles(t.Context(), ListQuery{Owner: "alice", Limit: 10})
	if !slices.Equal(storedNames(p.Files), []string{"a/two"}) {
		t.Fatalf("listed %q after removal", storedNames(p.Files))
	}
	all, _ := s.Files(t.Context(), Query{User: "alice"})
	if !slices.Equal(storedNames(all), []string{"a/two"}) {
		t.Fatalf("Files lists %q after removal", storedNames(all))
	}
	up, err := s.LoadUpload(t.Context(), u.FID)
	if err != nil || up.Done[0] == nil || up.Done[2] == nil {
		t.Fatalf("the upload forgot that its removed files were complete: %v", err)
	}
	if _, err := s.RemoveFiles(t.Context(), "alice", []string{"three"}); !errors.Is(err, ErrFileNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
	// Forgetting the upload drops the tombstones.
	if err := s.DeleteUpload(t.Context(), u.FID); err != nil {
		t.Fatal(err)
	}
	s.db.View(func(tx *bbolt.Tx) error {
		if n := tx.Bucket(bucketFiles).Stats().KeyN; n != 2 {
			t.Errorf("%d file records left, want 2 (a/two and bob's)", n)
		}
		return nil
	})
}

// TestPathIndexMigration: a database whose file records predate the path
// index gets one on Open.
func TestPathIndexMigration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir, Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	completeAll(t, s, newUpload("alice", 1, 2), "old.txt", "older.txt")
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket(bucketPaths) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.ListFiles(t.Context(), ListQuery{Owner: "alice", Limit: 10})
	if err != nil || !slices.Equal(storedNames(p.Files), []string{"old.txt", "older.txt"}) {
		t.Fatalf("after migration: %q %v", storedNames(p.Files), err)
	}
}

// TestPublishLongPathStaysValid: a numbered variant of a path at the
// length limit is shortened, so that the stored path is still one a
// client may send back (LIST, REMOVE).
func TestPublishLongPathStaysValid(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	dir := strings.Repeat(strings.Repeat("d", 250)+"/", 16)
	name := dir + strings.Repeat("n", wire.MaxPathLength-len(dir)-4) + ".txt"
	if len(name) != wire.MaxPathLength || wire.CheckPath(name) != nil {
		t.Fatalf("test path of %d bytes is not valid", len(name))
	}
	recs := completeAll(t, s, newUpload("alice", 1, 2), name, name)
	if recs[0].Stored != name {
		t.Fatalf("first copy stored as %q", recs[0].Stored)
	}
	second := recs[1].Stored
	if second == name || len(second) > wire.MaxPathLength || wire.CheckPath(second) != nil || !strings.HasSuffix(second, " (2).txt") {
		t.Fatalf("second copy stored as a path of %d bytes ending %q", len(second), second[len(second)-20:])
	}
}
