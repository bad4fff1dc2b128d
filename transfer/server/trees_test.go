package server_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/auth"
	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// upload sends files as one upload on c and returns, per file, the
// completion it was answered with (from the chunk that completed it, or
// from the Ok's complete list for empty files).
func (c *client) upload(token string, files []file, tags []string) []wire.FileDigest {
	c.t.Helper()
	r := c.mustAuth(authMsg(token, uuid.New(), files, tags, 1024))
	done := make([]wire.FileDigest, len(files))
	for _, d := range r.Complete {
		done[d.File] = d
	}
	// Every chunk of every file in flight at once: commits and
	// completions then go in batches.
	ids := map[string]int{}
	for i, f := range files {
		for _, k := range allChunks(uint64(len(f.data)), c.cs) {
			tr := c.chunk(i, k, f.data)
			ids[tr.MessageID] = i
			c.sendTransfer(tr, false)
		}
	}
	c.flush()
	for range len(ids) {
		resp := c.recv()
		i, ok := ids[resp.MessageID]
		if !ok {
			c.t.Fatalf("answer for unknown message-id %q", resp.MessageID)
		}
		if !resp.OK() {
			c.t.Fatalf("file %d (%s): %v", i, files[i].name, resp.Err())
		}
		if resp.File != nil {
			done[i] = wire.FileDigest{File: *resp.File, SHA256: resp.SHA256, Stored: resp.Stored}
		}
	}
	for i, d := range done {
		if d.SHA256 != sha(files[i].data) {
			c.t.Fatalf("file %d (%s): completion %+v, want sha256 %s", i, files[i].name, d, sha(files[i].data))
		}
	}
	return done
}

// request sends one LIST or REMOVE and returns its answer.
func (c *client) request(t wire.UserType, msg any) *wire.Response {
	c.t.Helper()
	b, err := wire.EncodeJSON(msg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendFrame(t, b)
	return c.recv()
}

func (c *client) list(l *wire.List) *wire.Response {
	c.t.Helper()
	if l.MessageID == "" {
		l.MessageID = uuid.NewString()
	}
	r := c.request(wire.TypeList, l)
	if r.MessageID != l.MessageID {
		c.t.Fatalf("LIST answered with message-id %q, want %q", r.MessageID, l.MessageID)
	}
	return r
}

// listAll walks every page of a LIST and returns the names in the order
// listed, failing on a page over limit.
func (c *client) listAll(l wire.List) []wire.ListedFile {
	c.t.Helper()
	var out []wire.ListedFile
	for pages := 0; ; pages++ {
		if pages > 10_000 {
			c.t.Fatal("LIST pages never end")
		}
		l.MessageID = ""
		r := c.list(&l)
		if !r.OK() {
			c.t.Fatalf("LIST: %v", r.Err())
		}
		if l.Limit > 0 && len(r.Files) > l.Limit {
			c.t.Fatalf("page of %d files, limit %d", len(r.Files), l.Limit)
		}
		out = append(out, r.Files...)
		if r.Next == "" {
			return out
		}
		l.After = r.Next
	}
}

func names(files []wire.ListedFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

// TestPathsKeptAndTakenPathsRenamed: files sent with paths land at
// users/USER/PATH; a path sent again is stored under a numbered name in
// the same directory, never over the first, and the stored path is what
// the completion reports, also to a resume.
func TestPathsKeptAndTakenPathsRenamed(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	tok := srv.Token("alice")
	c := dial(t, srv)
	first := []file{randomFile(t, "a/notes.txt", 3000), randomFile(t, "b/sub/notes.txt", 10), {name: "b/empty/e", data: nil}}
	done := c.upload(tok, first, nil)
	for i, f := range first {
		if done[i].Stored != f.name {
			t.Errorf("file %d stored as %q, want %q", i, done[i].Stored, f.name)
		}
		got, err := os.ReadFile(filepath.Join(srv.Root(), "users", "alice", filepath.FromSlash(f.name)))
		if err != nil || string(got) != string(f.data) {
			t.Errorf("%s on disk: %v (%d bytes, want %d)", f.name, err, len(got), len(f.data))
		}
	}

	again := []file{randomFile(t, "a/notes.txt", 2000), {name: "b/empty/e", data: nil}}
	c2 := dial(t, srv)
	done = c2.upload(tok, again, nil)
	if done[0].Stored != "a/notes (2).txt" || done[1].Stored != "b/empty/e (2)" {
		t.Fatalf("taken paths stored as %q and %q", done[0].Stored, done[1].Stored)
	}
	if got, _ := os.ReadFile(filepath.Join(srv.Root(), "users", "alice", "a", "notes.txt")); string(got) != string(first[0].data) {
		t.Fatal("the first a/notes.txt was overwritten")
	}
	// A resume of the finished upload reports the stored paths too.
	c3 := dial(t, srv)
	a := authMsg(tok, c2.fid, again, nil, 1024)
	r := c3.mustAuth(a)
	if len(r.Complete) != 2 || r.Complete[0].Stored != "a/notes (2).txt" || r.Complete[1].Stored != "b/empty/e (2)" {
		t.Fatalf("resume's complete list: %+v", r.Complete)
	}
	if !slices.Contains(r.Extensions, wire.ExtensionList) || !slices.Contains(r.Extensions, wire.ExtensionRemove) {
		t.Fatalf("extensions %v lack list and remove", r.Extensions)
	}
	// The operator's view (hoist ls --root) has both names.
	var stored []string
	for _, f := range srv.Files("alice") {
		stored = append(stored, f.Stored)
		if f.Stored == "a/notes (2).txt" && f.Name != "a/notes.txt" {
			t.Errorf("record of %s says it was sent as %q", f.Stored, f.Name)
		}
	}
	slices.Sort(stored)
	if want := []string{"a/notes (2).txt", "a/notes.txt", "b/empty/e", "b/empty/e (2)", "b/sub/notes.txt"}; !slices.Equal(stored, want) {
		t.Fatalf("records %q, want %q", stored, want)
	}
}

// TestListPagination: 2,500 files listed 1,000 at a time come back each
// exactly once, in path order, with their sizes and hashes.
func TestListPagination(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	tok := srv.Token("alice")
	var all []file
	for i := range 2500 {
		all = append(all, randomFile(t, fmt.Sprintf("d%d/f%04d.bin", i%7, i), i%3))
	}
	for start := 0; start < len(all); start += 1000 {
		dial(t, srv).upload(tok, all[start:min(start+1000, len(all))], []string{"bulk"})
	}
	want := map[string]file{}
	var wantNames []string
	for _, f := range all {
		want[f.name] = f
		wantNames = append(wantNames, f.name)
	}
	slices.Sort(wantNames)

	c := dial(t, srv)
	var pages []int
	l := wire.List{Token: tok, Limit: 1000}
	var got []wire.ListedFile
	for {
		l.MessageID = ""
		r := c.list(&l)
		if !r.OK() {
			t.Fatalf("LIST: %v", r.Err())
		}
		pages = append(pages, len(r.Files))
		got = append(got, r.Files...)
		if r.Limits == nil || r.Limits.MaxFiles != 1000 || r.Limits.MaxFileSize != server.DefaultMaxFileSize || r.Limits.MaxChunkSize <= 0 {
			t.Fatalf("limits %+v", r.Limits)
		}
		if r.Next == "" {
			break
		}
		if len(pages) > 10 {
			t.Fatal("pages never end")
		}
		l.After = r.Next
	}
	if !slices.Equal(pages, []int{1000, 1000, 500}) {
		t.Fatalf("page sizes %v, want [1000 1000 500]", pages)
	}
	if !slices.Equal(names(got), wantNames) {
		t.Fatalf("listed %d names; not each of the %d once in order", len(got), len(wantNames))
	}
	for _, lf := range got {
		f := want[lf.Name]
		if lf.Size != uint64(len(f.data)) || lf.SHA256 != sha(f.data) || !slices.Equal(lf.Tags, []string{"bulk"}) ||
			time.Since(lf.Time) > time.Hour || lf.Time.Location() != time.UTC {
			t.Fatalf("listed %+v for %s (%d bytes)", lf, f.name, len(f.data))
		}
	}
	// Default page size, and a small limit that makes many pages.
	if r := c.list(&wire.List{Token: tok}); len(r.Files) != 1000 || r.Next != wantNames[999] {
		t.Fatalf("default page: %d files, next %q", len(r.Files), r.Next)
	}
	if got := c.listAll(wire.List{Prefix: "d3/", Limit: 37}); len(got) != 357 {
		t.Fatalf("prefix d3/ in pages of 37: %d files, want 357", len(got))
	}
}

// TestListFiltersAndOwnership: prefix, exact paths and tags select; a user
// never sees another user's files; LIST needs a user.
func TestListFiltersAndOwnership(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	alice, bob := srv.Token("alice"), srv.Token("bob")
	dial(t, srv).upload(alice, []file{randomFile(t, "photos/cat.png", 5), randomFile(t, "photos2/dog.png", 6)}, []string{"pets", "2024"})
	dial(t, srv).upload(alice, []file{randomFile(t, "photos/sea.png", 7), randomFile(t, "notes.txt", 8)}, []string{"2024"})
	dial(t, srv).upload(bob, []file{randomFile(t, "photos/cat.png", 9), randomFile(t, "bob.txt", 1)}, []string{"pets"})

	c := dial(t, srv)
	// No token and no user yet: unauthorized, and the connection lives on.
	expectError(t, c.list(&wire.List{}), wire.CodeUnauthorized)
	expectError(t, c.list(&wire.List{Token: "not a token"}), wire.CodeUnauthorized)
	cases := []struct {
		l    wire.List
		want []string
	}{
		{wire.List{Token: alice}, []string{"notes.txt", "photos/cat.png", "photos/sea.png", "photos2/dog.png"}},
		{wire.List{Prefix: "photos/"}, []string{"photos/cat.png", "photos/sea.png"}},
		{wire.List{Prefix: "photos"}, []string{"photos/cat.png", "photos/sea.png", "photos2/dog.png"}},
		{wire.List{Tags: []string{"pets"}}, []string{"photos/cat.png", "photos2/dog.png"}},
		{wire.List{Tags: []string{"pets", "2024"}, Prefix: "photos2"}, []string{"photos2/dog.png"}},
		{wire.List{Tags: []string{"nope"}}, nil},
		{wire.List{Paths: []string{"bob.txt", "photos/sea.png", "notes.txt", "missing"}}, []string{"notes.txt", "photos/sea.png"}},
		{wire.List{Token: bob}, []string{"bob.txt", "photos/cat.png"}},
		{wire.List{Token: alice, After: "photos/cat.png", Limit: 1}, []string{"photos/sea.png", "photos2/dog.png"}},
	}
	for i, tc := range cases {
		if got := names(c.listAll(tc.l)); !slices.Equal(got, tc.want) {
			t.Errorf("case %d %+v: listed %q, want %q", i, tc.l, got, tc.want)
		}
	}
	// Bob's cat is bob's: its size in alice's listing is alice's file's.
	for _, f := range c.listAll(wire.List{Token: alice, Paths: []string{"photos/cat.png"}}) {
		if f.Size != 5 {
			t.Fatalf("alice's photos/cat.png listed with %d bytes", f.Size)
		}
	}
	for _, bad := range []wire.List{{Paths: []string{"../x"}}, {Paths: []string{"/abs"}}, {Limit: -1}} {
		expectError(t, c.list(&bad), wire.CodeBadRequest)
	}
	many := make([]string, wire.MaxListPaths+1)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	expectError(t, c.list(&wire.List{Paths: many}), wire.CodeTooLarge)
}

// TestListAfterAuthentication: on a connection that authenticated an
// upload, LIST needs no token, also between TRANSFERs.
func TestListAfterAuthentication(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	c := dial(t, srv)
	f := randomFile(t, "x/y.txt", 4000)
	c.mustAuth(authMsg(srv.Token("alice"), uuid.New(), []file{f}, nil, 1024))
	c.sendChunks(0, f.data, []uint64{0, 1}, false)
	if r := c.list(&wire.List{}); !r.OK() || len(r.Files) != 0 {
		t.Fatalf("LIST mid-upload: %+v", r)
	}
	c.sendChunks(0, f.data, []uint64{2, 3}, false)
	r := c.list(&wire.List{})
	if !r.OK() || len(r.Files) != 1 || r.Files[0].Name != "x/y.txt" || r.Files[0].SHA256 != sha(f.data) {
		t.Fatalf("LIST after the upload: %+v", r)
	}
}

// TestRemoveOwnFileReleasesQuota: REMOVE deletes the user's files, their
// bytes and the directories left empty, and the quota they took is free
// again at once.
func TestRemoveOwnFileReleasesQuota(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{Quota: 10_000}))
	tok := srv.Token("alice")
	c := dial(t, srv)
	c.upload(tok, []file{randomFile(t, "big/one.bin", 6000), randomFile(t, "keep.txt", 100)}, nil)

	next := []file{randomFile(t, "two.bin", 6000)}
	expectError(t, dial(t, srv).authenticate(authMsg(tok, uuid.New(), next, nil, 1024)), wire.CodeQuota)

	c2 := dial(t, srv)
	r := c2.request(wire.TypeRemove, &wire.Remove{MessageID: "rm-1", Token: tok, Paths: []string{"big/one.bin"}})
	if !r.OK() || r.MessageID != "rm-1" || !slices.Equal(r.Removed, []string{"big/one.bin"}) {
		t.Fatalf("REMOVE: %+v", r)
	}
	area := filepath.Join(srv.Root(), "users", "alice")
	if _, err := os.Lstat(filepath.Join(area, "big")); !os.IsNotExist(err) {
		t.Fatalf("big/ still there after its only file was removed: %v", err)
	}
	if got := names(c2.listAll(wire.List{})); !slices.Equal(got, []string{"keep.txt"}) {
		t.Fatalf("listed %q after removal", got)
	}
	dial(t, srv).upload(tok, next, nil)
	// Removing it again: not-found.
	expectError(t, c2.request(wire.TypeRemove, &wire.Remove{MessageID: "rm-2", Paths: []string{"big/one.bin"}}), wire.CodeNotFound)
}

// TestRemoveOthersFilesRefused: a REMOVE naming another user's path, even
// among the user's own, is not-found and removes nothing.
func TestRemoveOthersFilesRefused(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	alice, bob := srv.Token("alice"), srv.Token("bob")
	dial(t, srv).upload(alice, []file{randomFile(t, "a/mine.txt", 10)}, nil)
	dial(t, srv).upload(bob, []file{randomFile(t, "b/his.txt", 10), randomFile(t, "a/mine.txt", 11)}, nil)
	// catalog.db is rewritten in the background after completions: leave
	// it out; hoist.db holds the records.
	snap := func() map[string]string {
		m := snapshot(t, srv.Root())
		delete(m, "catalog.db")
		delete(m, "catalog.db.tmp")
		return m
	}
	before := snap()
	beforeFiles := len(srv.Files(""))

	c := dial(t, srv)
	for _, paths := range [][]string{{"b/his.txt"}, {"a/mine.txt", "b/his.txt"}, {"../bob/b/his.txt"}} {
		r := c.request(wire.TypeRemove, &wire.Remove{MessageID: "m", Token: alice, Paths: paths})
		if r.OK() {
			t.Fatalf("REMOVE %q as alice: Ok", paths)
		}
		if r.Code != wire.CodeNotFound && r.Code != wire.CodeBadRequest {
			t.Fatalf("REMOVE %q as alice: %v", paths, r.Err())
		}
	}
	expectError(t, c.request(wire.TypeRemove, &wire.Remove{MessageID: "m", Token: alice, Paths: []string{"b/his.txt"}}), wire.CodeNotFound)
	expectError(t, c.request(wire.TypeRemove, &wire.Remove{MessageID: "m", Token: alice}), wire.CodeBadRequest)
	checkUnchanged := func() {
		t.Helper()
		after := snap()
		for p, h := range after {
			if before[p] != h {
				t.Errorf("%s was written (before %q, after %q)", p, before[p], h)
			}
		}
		for p := range before {
			if _, ok := after[p]; !ok {
				t.Errorf("%s was removed", p)
			}
		}
	}
	checkUnchanged()
	if n := len(srv.Files("")); n != beforeFiles {
		t.Fatalf("%d file records, want %d", n, beforeFiles)
	}
	// Without a token on a fresh connection: unauthorized.
	expectError(t, dial(t, srv).request(wire.TypeRemove, &wire.Remove{MessageID: "m", Paths: []string{"a/mine.txt"}}), wire.CodeUnauthorized)
	checkUnchanged()
}

// serveAs serves one in-process stream for user and returns the client
// end; the stream is closed and its session waited for at cleanup.
func serveAs(t *testing.T, srv *servertest.Server, user string) *client {
	t.Helper()
	cliEnd, srvEnd := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- srv.Server().ServeConnAs(context.Background(), srvEnd, user) }()
	t.Cleanup(func() {
		cliEnd.Close()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the stream's session did not end")
		}
	})
	return &client{t: t, conn: cliEnd, r: wire.NewReader(cliEnd), w: wire.NewWriter(cliEnd)}
}

// TestStreamUser: on a stream served for alice (hoist serve --stdio --user
// alice), requests without a token act as alice; a token still decides,
// and a bad one is refused.
func TestStreamUser(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	c := serveAs(t, srv, "alice")
	f := randomFile(t, "ssh/hello.txt", 3000)
	done := c.upload("", []file{f}, []string{"ssh"})
	if done[0].Stored != "ssh/hello.txt" {
		t.Fatalf("stored %q", done[0].Stored)
	}
	if fs := srv.Files("alice"); len(fs) != 1 || fs[0].Stored != "ssh/hello.txt" {
		t.Fatalf("alice's files: %+v", fs)
	}
	if got := names(c.listAll(wire.List{})); !slices.Equal(got, []string{"ssh/hello.txt"}) {
		t.Fatalf("LIST without a token: %q", got)
	}

	bad := serveAs(t, srv, "alice")
	expectError(t, bad.authenticate(authMsg("not-a-jwt", uuid.New(), []file{randomFile(t, "x", 3)}, nil, 1024)), wire.CodeUnauthorized)
	forged, err := auth.Mint([]byte("a secret that is not the server's one"), auth.Claims{Subject: "alice", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	expectError(t, bad.list(&wire.List{Token: forged}), wire.CodeUnauthorized)
	expectError(t, bad.request(wire.TypeRemove, &wire.Remove{MessageID: "m", Token: "x.y.z", Paths: []string{"ssh/hello.txt"}}), wire.CodeUnauthorized)

	// A valid token for bob decides: bob's files, not alice's.
	asBob := serveAs(t, srv, "alice")
	asBob.upload(srv.Token("bob"), []file{randomFile(t, "bob.txt", 5)}, nil)
	if got := names(asBob.listAll(wire.List{Token: srv.Token("bob")})); !slices.Equal(got, []string{"bob.txt"}) {
		t.Fatalf("bob's LIST on alice's stream: %q", got)
	}
	if fs := srv.Files("alice"); len(fs) != 1 {
		t.Fatalf("alice has %d files, want 1", len(fs))
	}

	// An unsafe user is refused before anything is served.
	a, b := net.Pipe()
	defer a.Close()
	if err := srv.Server().ServeConnAs(context.Background(), b, "../etc"); err == nil {
		t.Fatal("ServeConnAs accepted the user ../etc")
	}
}
