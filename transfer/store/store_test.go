package store

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

func openTemp(t *testing.T) *BoltStore {
	t.Helper()
	s, err := Open(t.TempDir(), Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newUpload(owner string, sizes ...uint64) *Upload {
	u := &Upload{FID: uuid.New(), Owner: owner, ChunkSize: 1, Created: time.Now(), Tags: []string{"t1", "t2"}}
	for i, n := range sizes {
		u.Files = append(u.Files, FileInfo{Name: string(rune('a' + i)), Size: n})
	}
	return u
}

// TestChunkBitmapsAcrossSegments: marks in several bbolt segments load
// back exactly, and reopening the store keeps them.
func TestChunkBitmapsAcrossSegments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir, Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	u := newUpload("alice", 3*segmentBits+5, 10)
	if err := s.CreateUpload(t.Context(), u, 0); err != nil {
		t.Fatal(err)
	}
	held := []uint64{0, 63, 64, segmentBits - 1, segmentBits, 2*segmentBits + 7, 3*segmentBits + 4}
	var marks []Mark
	for _, k := range held {
		marks = append(marks, Mark{FID: u.FID, File: 0, Index: k})
	}
	marks = append(marks, Mark{FID: u.FID, File: 1, Index: 9})
	if err := s.MarkHeld(t.Context(), marks[:3], time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkHeld(t.Context(), marks[3:], time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.LoadUpload(t.Context(), u.FID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Held[0].Count() != uint64(len(held)) || got.Held[1].Count() != 1 || !got.Held[1].Has(9) {
		t.Fatalf("counts %d %d", got.Held[0].Count(), got.Held[1].Count())
	}
	for _, k := range held {
		if !got.Held[0].Has(k) {
			t.Fatalf("chunk %d lost", k)
		}
	}
	if got.Owner != "alice" || len(got.Files) != 2 || got.Touched.IsZero() {
		t.Fatalf("record %+v", got)
	}
}

// TestUsageAndQuota: reservations become completed bytes; deleting an
// upload releases what it had reserved.
func TestUsageAndQuota(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	u := newUpload("alice", 600, 300)
	if err := s.CreateUpload(t.Context(), u, 1000); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUpload(t.Context(), newUpload("alice", 101), 1000); !errors.Is(err, ErrQuota) {
		t.Fatalf("over quota: %v", err)
	}
	if err := s.CreateUpload(t.Context(), u, 0); !errors.Is(err, ErrExists) {
		t.Fatalf("same fid twice: %v", err)
	}
	if err := s.CompleteFiles(t.Context(), []*File{{Owner: "alice", Name: "a", Stored: "a", Size: 600, FID: u.FID, Index: 0, Tags: u.Tags}}); err != nil {
		t.Fatal(err)
	}
	// Recording it twice changes nothing.
	if err := s.CompleteFiles(t.Context(), []*File{{Owner: "alice", Name: "a", Stored: "a", Size: 600, FID: u.FID, Index: 0}}); err != nil {
		t.Fatal(err)
	}
	if c, r, _ := s.Usage(t.Context(), "alice"); c != 600 || r != 300 {
		t.Fatalf("usage %d/%d, want 600/300", c, r)
	}
	if err := s.DeleteUpload(t.Context(), u.FID); err != nil {
		t.Fatal(err)
	}
	if c, r, _ := s.Usage(t.Context(), "alice"); c != 600 || r != 0 {
		t.Fatalf("usage after delete %d/%d, want 600/0", c, r)
	}
	if _, err := s.LoadUpload(t.Context(), u.FID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted upload loads: %v", err)
	}
	files, err := s.Files(t.Context(), Query{Tag: "t2", User: "alice"})
	if err != nil || len(files) != 1 {
		t.Fatalf("tag query: %v %v", files, err)
	}
}

// TestPublishNames: free names are found without overwriting, and a
// second Publish of the same partial file finds the first link.
func TestPublishNames(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	u := newUpload("alice", 3, 3, 3)
	for i := range u.Files {
		u.Files[i].Name = "x.txt"
	}
	if err := s.CreateUpload(t.Context(), u, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePartials(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range u.Files {
		n, err := s.Publish(t.Context(), u.FID, i, "alice", "x.txt")
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if strings.Join(names, "|") != "x.txt|x (2).txt|x (3).txt" {
		t.Fatalf("names %q", names)
	}
	again, err := s.Publish(t.Context(), u.FID, 1, "alice", "x.txt")
	if err != nil || again != "x (2).txt" {
		t.Fatalf("republish: %q %v", again, err)
	}
}

func TestCandidateNames(t *testing.T) {
	t.Parallel()
	fid := uuid.MustParse("12345678-0000-4000-8000-000000000000")
	cases := []struct {
		name string
		n    int
		want string
	}{
		{"a.txt", 1, "a.txt"},
		{"a.txt", 2, "a (2).txt"},
		{".bashrc", 3, ".bashrc (3)"},
		{"noext", 2, "noext (2)"},
		{"a.txt", maxNumbered + 1, "a (12345678-4).txt"},
	}
	for _, c := range cases {
		if got := candidateName(c.name, c.n, fid, 4, true, MaxNameLength); got != c.want {
			t.Errorf("candidateName(%q, %d) = %q, want %q", c.name, c.n, got, c.want)
		}
	}
	long := strings.Repeat("é", 127) + ".txt" // 258 bytes... shortened at a rune boundary
	got := candidateName(long[:MaxNameLength-1], 2, fid, 0, true, MaxNameLength)
	if len(got) > MaxNameLength || !utf8.ValidString(got) || SafeName(got) != nil {
		t.Fatalf("long candidate %q (%d bytes)", got, len(got))
	}
}

// TestSweep removes partial data of forgotten uploads and of completed
// files.
func TestSweep(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	u := newUpload("alice", 1, 1)
	if err := s.CreateUpload(t.Context(), u, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePartials(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	orphan := newUpload("bob", 1)
	if err := s.CreatePartials(t.Context(), orphan); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteFiles(t.Context(), []*File{{Owner: "alice", Name: "a", Stored: "a", Size: 1, FID: u.FID, Index: 0}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	p := func(parts ...string) string { return filepath.Join(append([]string{s.Dir(), partialDir}, parts...)...) }
	if _, err := os.Stat(p(orphan.FID.String())); !os.IsNotExist(err) {
		t.Fatalf("orphan partial data kept: %v", err)
	}
	if _, err := os.Stat(p(u.FID.String(), "0")); !os.IsNotExist(err) {
		t.Fatalf("partial of a completed file kept: %v", err)
	}
	if _, err := os.Stat(p(u.FID.String(), "1")); err != nil {
		t.Fatalf("partial of an incomplete file removed: %v", err)
	}
}

// TestOpenLocked: a second writer waits, then fails with ErrLocked; the
// catalog copy is readable meanwhile.
func TestOpenLocked(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	if _, err := Open(s.Dir(), Options{LockTimeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	if err := s.WriteCatalog(); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCatalog(s.Dir(), 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Snapshot {
		t.Fatal("catalog did not fall back to the snapshot while the store is open")
	}
}

func TestSafeName(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "a\x00", "\x7f", "a\u0085b", strings.Repeat("x", 256), "\xff"} {
		if SafeName(bad) == nil {
			t.Errorf("SafeName(%q) accepted", bad)
		}
	}
	for _, good := range []string{"a", "...", "a b.txt", "résumé.pdf", ".hidden", strings.Repeat("x", 255), "日本語"} {
		if err := SafeName(good); err != nil {
			t.Errorf("SafeName(%q): %v", good, err)
		}
	}
}

func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"a.txt", "..", "a/b", `\`, "x\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if SafeName(s) != nil {
			return
		}
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\\x00") || len(s) > MaxNameLength || !utf8.ValidString(s) {
			t.Fatalf("SafeName accepted %q", s)
		}
		if filepath.Base(s) != s || filepath.Clean(s) != s {
			t.Fatalf("%q is not a single clean path element", s)
		}
	})
}

// TestOpenFilesBounded: however many partial files are written, at most
// MaxOpenFiles stay open; files closed to make room keep their bytes, and
// Sync still reports success for them.
func TestOpenFilesBounded(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir(), Options{MaxOpenFiles: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sizes := make([]uint64, 50)
	for i := range sizes {
		sizes[i] = 2
	}
	u := newUpload("alice", sizes...)
	if err := s.CreatePartials(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	var parts []Part
	for i := range sizes {
		p := Part{u.FID, i}
		parts = append(parts, p)
		if err := s.WriteChunk(t.Context(), Chunk{Part: p, Index: 1, Offset: 1, Data: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
		if n := s.OpenFiles(); n > 4 {
			t.Fatalf("%d partial files open after writing %d, limit 4", n, i+1)
		}
	}
	for i, err := range s.Sync(t.Context(), parts) {
		if err != nil {
			t.Fatalf("sync of part %d: %v", i, err)
		}
	}
	for i, p := range parts {
		if b := readPartial(t, s, p); len(b) != 2 || b[1] != byte(i) {
			t.Fatalf("part %d reads %v", i, b)
		}
	}
	if err := s.RemovePartials(t.Context(), u.FID); err != nil {
		t.Fatal(err)
	}
	if n := s.OpenFiles(); n != 0 {
		t.Fatalf("%d files open after the upload's data was removed", n)
	}
}

// A chunk bigger than one write piece is written whole, in pieces, at its
// offset: the bytes around it stay as they were.
func TestBigChunkIsWrittenInPieces(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const off, n = 7, 3*writePiece + 5
	u := newUpload("alice", off+n+3)
	if err := s.CreatePartials(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*31 + i/writePiece)
	}
	p := Part{u.FID, 0}
	if err := s.WriteChunk(t.Context(), Chunk{Part: p, Index: 1, Offset: off, Data: data}); err != nil {
		t.Fatal(err)
	}
	b := readPartial(t, s, p)
	want := append(append(make([]byte, off), data...), 0, 0, 0)
	if !bytes.Equal(b, want) {
		t.Fatalf("the partial file holds %d bytes that differ from the chunk at offset %d", len(b), off)
	}
}

// Publish remembers the directories it found or made, so that the next
// files placed in them skip the checks; a directory removed behind the
// server's back, or replaced by a symbolic link, is looked at again and
// the file still lands in a plain directory.
func TestPublishAfterADirectoryWentBehindItsBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := newUpload("alice", 3, 3, 3)
	if err := s.CreateUpload(t.Context(), u, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePartials(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Publish(t.Context(), u.FID, 0, "alice", "docs/a.txt"); err != nil || got != "docs/a.txt" {
		t.Fatalf("first publish: %q, %v", got, err)
	}
	area := filepath.Join(dir, usersDir, "alice")
	if err := os.RemoveAll(filepath.Join(area, "docs")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Publish(t.Context(), u.FID, 1, "alice", "docs/b.txt"); err != nil || got != "docs/b.txt" {
		t.Fatalf("publish into a directory removed meanwhile: %q, %v", got, err)
	}
	// Now a symbolic link where the directory was: never followed.
	outside := t.TempDir()
	if err := os.RemoveAll(filepath.Join(area, "docs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(area, "docs")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Publish(t.Context(), u.FID, 2, "alice", "docs/c.txt")
	if err != nil {
		t.Fatalf("publish where a link replaced the directory: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 || got == "docs/c.txt" {
		t.Fatalf("the file went through the link: stored %q, the link's target holds %d entries", got, len(entries))
	}
}

// readPartial returns all of part p's partial data.
func readPartial(t *testing.T, s *BoltStore, p Part) []byte {
	t.Helper()
	r, err := s.ReadPartial(t.Context(), p, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
