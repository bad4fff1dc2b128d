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

// upload sends every chunk of files in one session and returns the
// completion sha256 per file.
func upload(t *testing.T, srv *servertest.Server, user string, files []file, tags []string) []string {
	t.Helper()
	return uploadVia(t, dial(t, srv), srv.Token(user), files, tags)
}

// uploadVia uploads files on c with token and returns their sha256 as
// the server reported them.
func uploadVia(t *testing.T, c *client, token string, files []file, tags []string) []string {
	t.Helper()
	r := c.mustAuth(authMsg(token, uuid.New(), files, tags, 1024))
	sums := make([]string, len(files))
	for _, d := range r.Complete {
		sums[d.File] = d.SHA256
	}
	for i, f := range files {
		for _, resp := range c.sendChunks(i, f.data, allChunks(uint64(len(f.data)), r.ChunkSize), false) {
			if !resp.OK() {
				t.Fatalf("file %d: %v", i, resp.Err())
			}
			if resp.File != nil {
				sums[*resp.File] = resp.SHA256
			}
		}
	}
	return sums
}

// TestPlantedSymlinkIsNotFollowed: a symbolic link planted under the
// user's file name is neither followed nor replaced; the upload is
// stored under another name and the link's target is untouched.
func TestPlantedSymlinkIsNotFollowed(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	outside := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(outside, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	userDir := filepath.Join(srv.Root(), "users", "alice")
	if err := os.MkdirAll(userDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(userDir, "report.txt")); err != nil {
		t.Fatal(err)
	}
	// A relative link pointing inside the data directory, at the database.
	if err := os.Symlink("../../hoist.db", filepath.Join(userDir, "db.txt")); err != nil {
		t.Fatal(err)
	}
	f := randomFile(t, "report.txt", 3000)
	g := randomFile(t, "db.txt", 100)
	sums := upload(t, srv, "alice", []file{f, g}, nil)
	if sums[0] != sha(f.data) || sums[1] != sha(g.data) {
		t.Fatalf("sha256s %v", sums)
	}
	if b, _ := os.ReadFile(outside); string(b) != "precious" {
		t.Fatalf("the link's target was written: %q", b)
	}
	if target, err := os.Readlink(filepath.Join(userDir, "report.txt")); err != nil || target != outside {
		t.Fatalf("the planted link was replaced: %q %v", target, err)
	}
	for _, want := range []struct {
		stored string
		data   []byte
	}{{"report (2).txt", f.data}, {"db (2).txt", g.data}} {
		b, err := os.ReadFile(filepath.Join(userDir, want.stored))
		if err != nil || !bytes.Equal(b, want.data) {
			t.Fatalf("%s: %v", want.stored, err)
		}
	}
	stored := srv.Files("alice")
	if len(stored) != 2 || stored[0].Stored == stored[0].Name {
		t.Fatalf("records %+v", stored)
	}
}

// TestPlantedUserDirSymlink: a user directory replaced by a symbolic link
// (here to a directory outside the data directory) is refused with
// forbidden, and nothing is written anywhere.
func TestPlantedUserDirSymlink(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(srv.Root(), "users", "mallory")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, srv.Root())
	c := dial(t, srv)
	r := c.authenticate(authMsg(srv.Token("mallory"), uuid.New(), []file{randomFile(t, "x", 10)}, nil, 0))
	expectError(t, r, wire.CodeForbidden)
	assertUnchanged(t, srv.Root(), before)
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written outside the data directory: %v", entries)
	}
}

// TestNoOverwrite: uploading the same name twice keeps both files.
func TestNoOverwrite(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	a, b := randomFile(t, "same.tar.gz", 2000), randomFile(t, "same.tar.gz", 2100)
	upload(t, srv, "alice", []file{a}, nil)
	upload(t, srv, "alice", []file{b, b}, nil)
	got := map[string][]byte{}
	for _, f := range srv.Files("alice") {
		got[f.Stored] = srv.ReadFile(f)
	}
	if len(got) != 3 || !bytes.Equal(got["same.tar.gz"], a.data) || !bytes.Equal(got["same.tar (2).gz"], b.data) || !bytes.Equal(got["same.tar (3).gz"], b.data) {
		t.Fatalf("stored names %v", keys(got))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
