package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/server"
	"github.com/hoist-dev/hoist/transfer/servertest"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// writeTree creates files (path relative to dir → content) and empty
// directories under dir.
func writeTree(t *testing.T, dir string, files map[string]string, emptyDirs ...string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range emptyDirs {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// runJob starts a job and waits for it, returning its error and its
// events.
func runJob(t *testing.T, e *Engine, rec *recorder, spec TreeSpec) ([]Event, error) {
	t.Helper()
	id, err := e.StartTree(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	jerr := e.WaitJob(ctx, id)
	if ctx.Err() != nil {
		t.Fatalf("job %s did not end in time", id)
	}
	var evs []Event
	// The JobDone event is queued when WaitJob returns; wait for it.
	deadline := time.After(30 * time.Second)
	for {
		rec.mu.Lock()
		evs = evs[:0]
		done := false
		for _, ev := range rec.events {
			if j, ok := ev.(*JobEvent); ok && j.Job == id {
				evs = append(evs, ev)
				done = done || j.Kind == JobDone
			}
			if a, ok := ev.(*AlreadyThereEvent); ok && a.Job == id {
				evs = append(evs, ev)
			}
		}
		changed := rec.changed
		rec.mu.Unlock()
		if done {
			return evs, jerr
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no JobDone event for job %s", id)
		}
	}
}

func serverPaths(t *testing.T, srv *servertest.Server, user string) []string {
	t.Helper()
	var out []string
	for _, f := range srv.Files(user) {
		out = append(out, f.Stored)
	}
	sort.Strings(out)
	return out
}

func jobDone(t *testing.T, evs []Event) *JobEvent {
	t.Helper()
	for _, ev := range evs {
		if j, ok := ev.(*JobEvent); ok && j.Kind == JobDone {
			return j
		}
	}
	t.Fatal("no JobDone")
	return nil
}

// TestTreeKeepsPathsSkipsWhatIsThereAndReportsNewNames is the issue's
// tree: a/notes.txt, b/sub/notes.txt and an empty directory go up with
// their paths; sent again, nothing travels and both are already there;
// with one file changed, only it travels and it is stored under a new name.
func TestTreeKeepsPathsSkipsWhatIsThereAndReportsNewNames(t *testing.T) {
	srv := servertest.Start(t)
	dir := filepath.Join(t.TempDir(), "data")
	writeTree(t, dir, map[string]string{"a/notes.txt": "first notes", "b/sub/notes.txt": "second notes"}, "empty")
	e, rec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))

	evs, err := runJob(t, e, rec, TreeSpec{Paths: []string{dir}, Tags: []string{"trip"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := serverPaths(t, srv, "alice"), []string{"data/a/notes.txt", "data/b/sub/notes.txt"}; !slices.Equal(got, want) {
		t.Fatalf("server holds %q, want %q", got, want)
	}
	done := jobDone(t, evs)
	if done.Walk.EmptyDirs != 1 || done.Walk.Files != 2 || done.Parts != 1 || done.AlreadyThere != 0 {
		t.Fatalf("first job: %+v", done)
	}

	// Again: no chunk sent, both reported already there.
	sentBefore := countSent(rec)
	evs, err = runJob(t, e, rec, TreeSpec{Paths: []string{dir}, Tags: []string{"trip"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := countSent(rec); n != sentBefore {
		t.Fatalf("%d chunks sent for a tree the server holds", n-sentBefore)
	}
	var there []string
	for _, ev := range evs {
		if a, ok := ev.(*AlreadyThereEvent); ok {
			there = append(there, a.Name)
		}
	}
	sort.Strings(there)
	if want := []string{"data/a/notes.txt", "data/b/sub/notes.txt"}; !slices.Equal(there, want) {
		t.Fatalf("already there: %q, want %q", there, want)
	}
	if done := jobDone(t, evs); done.Parts != 0 || done.AlreadyThere != 2 {
		t.Fatalf("second job: %+v", done)
	}

	// One file changed: it alone is sent, and stored under a new name.
	if err := os.WriteFile(filepath.Join(dir, "b/sub/notes.txt"), []byte("second notes, changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	evs, err = runJob(t, e, rec, TreeSpec{Paths: []string{dir}, Tags: []string{"trip"}})
	if err != nil {
		t.Fatal(err)
	}
	var part *JobEvent
	for _, ev := range evs {
		if j, ok := ev.(*JobEvent); ok && j.Kind == JobPartStarted {
			part = j
		}
	}
	if part == nil {
		t.Fatal("the changed file was not sent")
	}
	last := rec.log(part.FID).last
	if len(last.Files) != 1 || last.Files[0].Name != "data/b/sub/notes.txt" || last.Files[0].Stored != "data/b/sub/notes (2).txt" {
		t.Fatalf("changed file's progress: %+v", last.Files)
	}
	if got, want := serverPaths(t, srv, "alice"), []string{"data/a/notes.txt", "data/b/sub/notes (2).txt", "data/b/sub/notes.txt"}; !slices.Equal(got, want) {
		t.Fatalf("server holds %q, want %q", got, want)
	}

	// Once more: the changed file is found at its new name, nothing is
	// sent, and the report says where it is.
	sentBefore = countSent(rec)
	evs, err = runJob(t, e, rec, TreeSpec{Paths: []string{dir}, Tags: []string{"trip"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := countSent(rec); n != sentBefore {
		t.Fatalf("%d chunks sent for a tree the server holds under new names", n-sentBefore)
	}
	stored := map[string]string{}
	for _, ev := range evs {
		if a, ok := ev.(*AlreadyThereEvent); ok {
			stored[a.Name] = a.Stored
		}
	}
	if stored["data/b/sub/notes.txt"] != "data/b/sub/notes (2).txt" || stored["data/a/notes.txt"] != "data/a/notes.txt" {
		t.Fatalf("already there at %v", stored)
	}
}

func TestSplitExtAsTheServer(t *testing.T) {
	for _, c := range [][3]string{
		{"notes.txt", "notes", ".txt"}, {".bashrc", ".bashrc", ""}, {"a.tar.gz", "a.tar", ".gz"},
		{"noext", "noext", ""}, {"x." + strings.Repeat("e", 40), "x." + strings.Repeat("e", 40), ""},
	} {
		if stem, ext := splitExt(c[0]); stem != c[1] || ext != c[2] {
			t.Errorf("splitExt(%q) = %q, %q; want %q, %q", c[0], stem, ext, c[1], c[2])
		}
	}
}

func countSent(rec *recorder) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, ev := range rec.events {
		if c, ok := ev.(*ChunkEvent); ok && c.Action == ChunkSent {
			n++
		}
	}
	return n
}

// TestTreeWithTrailingSlashSendsContents: "dir/" sends what dir holds.
func TestTreeWithTrailingSlashSendsContents(t *testing.T) {
	srv := servertest.Start(t)
	dir := filepath.Join(t.TempDir(), "data")
	writeTree(t, dir, map[string]string{"a/x.txt": "x", "y.txt": "y"})
	e, rec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))
	if _, err := runJob(t, e, rec, TreeSpec{Paths: []string{dir + "/"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := serverPaths(t, srv, "alice"), []string{"a/x.txt", "y.txt"}; !slices.Equal(got, want) {
		t.Fatalf("server holds %q, want %q", got, want)
	}
}

// TestTreeSplitsIntoParts sends 2,500 files to a server that takes 1,000
// per upload: one job, three parts, every file arrives.
func TestTreeSplitsIntoParts(t *testing.T) {
	srv := servertest.Start(t, servertest.WithLimits(server.Limits{MaxFiles: 1000}))
	dir := filepath.Join(t.TempDir(), "many")
	files := map[string]string{}
	for i := range 2500 {
		files[fmt.Sprintf("d%02d/f%04d.txt", i%25, i)] = fmt.Sprint(i)
	}
	writeTree(t, dir, files)
	o := testOptions(t, srv.URL(), StaticToken(srv.Token("alice")))
	e, rec := newEngine(t, o)
	evs, err := runJob(t, e, rec, TreeSpec{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if done := jobDone(t, evs); done.Parts != 3 || done.Walk.Files != 2500 {
		t.Fatalf("job: %d parts, %d files; want 3 and 2500", done.Parts, done.Walk.Files)
	}
	if n := len(srv.Files("alice")); n != 2500 {
		t.Fatalf("server holds %d files, want 2500", n)
	}
	// The walk reported its end, and the parts are distinct uploads of
	// one job.
	walked, fids := false, map[string]int{}
	for _, ev := range evs {
		j := ev.(*JobEvent)
		switch {
		case j.Kind == JobWalking && j.Walk.Done:
			walked = j.Walk.Files == 2500 && j.Walk.Dirs == 26
		case j.Kind == JobPartStarted:
			fids[j.FID] = j.Part
		}
	}
	if !walked || len(fids) != 3 {
		t.Fatalf("walk reported done: %v; parts %v", walked, fids)
	}
	// Verified parts are forgotten: a big tree holds one part in memory.
	e.mu.Lock()
	kept := len(e.uploads)
	e.mu.Unlock()
	if kept != 0 {
		t.Fatalf("the engine still holds %d uploads of the job", kept)
	}
}

// TestTreeExcludes leaves out what the patterns match and counts it.
func TestTreeExcludes(t *testing.T) {
	srv := servertest.Start(t)
	dir := filepath.Join(t.TempDir(), "src")
	writeTree(t, dir, map[string]string{
		"main.go": "m", "main.o": "o", "web/node_modules/x/y.js": "y", "web/app.js": "a", "build/out/bin": "b",
	})
	x, err := NewExcludes([]string{"*.o", "**/node_modules", "build"})
	if err != nil {
		t.Fatal(err)
	}
	e, rec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))
	evs, err := runJob(t, e, rec, TreeSpec{Paths: []string{dir}, Exclude: x})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := serverPaths(t, srv, "alice"), []string{"src/main.go", "src/web/app.js"}; !slices.Equal(got, want) {
		t.Fatalf("server holds %q, want %q", got, want)
	}
	if done := jobDone(t, evs); done.Walk.Excluded != 3 {
		t.Fatalf("excluded %d, want 3 (main.o, node_modules, build)", done.Walk.Excluded)
	}
}

// TestListAndRemove lists with filters and pages, and removes one's own
// file; another user's path is refused and nothing changes.
func TestListAndRemove(t *testing.T) {
	srv := servertest.Start(t)
	dir := filepath.Join(t.TempDir(), "d")
	writeTree(t, dir, map[string]string{"a.txt": "a", "s/b.txt": "bb"})
	alice, rec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))
	if _, err := runJob(t, alice, rec, TreeSpec{Paths: []string{dir}, Tags: []string{"t1"}}); err != nil {
		t.Fatal(err)
	}
	bob, brec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("bob"))))
	if _, err := runJob(t, bob, brec, TreeSpec{Paths: []string{filepath.Join(dir, "a.txt")}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var got []RemoteFile
	limits, err := alice.List(ctx, ListQuery{Prefix: "d/s/", Tags: []string{"t1"}}, func(f RemoteFile) error {
		got = append(got, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Path != "d/s/b.txt" || got[0].Size != 2 || len(got[0].SHA256) != 64 || !slices.Equal(got[0].Tags, []string{"t1"}) {
		t.Fatalf("listed %+v", got)
	}
	if limits.MaxFiles != 1000 {
		t.Fatalf("limits %+v", limits)
	}
	found, err := alice.Lookup(ctx, []string{"d/a.txt", "d/nope.txt", "a.txt"})
	if err != nil || len(found) != 1 || found["d/a.txt"].Size != 1 {
		t.Fatalf("Lookup: %+v, %v; want only alice's d/a.txt", found, err)
	}

	// bob holds a.txt; alice cannot remove it, and nothing of hers goes.
	if _, err := bob.Remove(ctx, []string{"d/a.txt"}); !errors.Is(err, wire.ErrNotFound) {
		t.Fatalf("bob removing alice's d/a.txt: %v, want not-found", err)
	}
	if _, err := alice.Remove(ctx, []string{"d/a.txt", "a.txt"}); !errors.Is(err, wire.ErrNotFound) {
		t.Fatalf("alice removing bob's a.txt: %v, want not-found", err)
	}
	if got := serverPaths(t, srv, "alice"); !slices.Equal(got, []string{"d/a.txt", "d/s/b.txt"}) {
		t.Fatalf("after refusals alice holds %q", got)
	}
	if got := serverPaths(t, srv, "bob"); !slices.Equal(got, []string{"a.txt"}) {
		t.Fatalf("after refusals bob holds %q", got)
	}
	removed, err := alice.Remove(ctx, []string{"d/a.txt"})
	if err != nil || !slices.Equal(removed, []string{"d/a.txt"}) {
		t.Fatalf("removing d/a.txt: %q, %v", removed, err)
	}
	if got := serverPaths(t, srv, "alice"); !slices.Equal(got, []string{"d/s/b.txt"}) {
		t.Fatalf("after removal alice holds %q", got)
	}
}

// TestTreeRootsDotAndSymlinks: "." sends what the working directory
// holds; a symbolic link to a directory is sent under the link's name.
func TestTreeRootsDotAndSymlinks(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	writeTree(t, real, map[string]string{"in.txt": "i"})
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	roots, err := resolveRoots([]string{link, real + "/."})
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 2 || roots[0].prefix != "link" || roots[1].prefix != "" || !roots[0].dir {
		t.Fatalf("roots %+v", roots)
	}
	var names []string
	_, err = walkRoots(context.Background(), roots, Excludes{}, false, walkHooks{
		emit: func(lf LocalFile, _ uint64) error {
			names = append(names, lf.Name)
			return nil
		},
		report:     func(WalkProgress) {},
		unsendable: func(string, error) { t.Error("a good path was found unsendable") },
		skipped:    func(p, why string) { t.Errorf("%s skipped: %s", p, why) },
	})
	if err != nil || !slices.Equal(names, []string{"link/in.txt", "in.txt"}) {
		t.Fatalf("walked %q, %v", names, err)
	}
	if _, err := resolveRoots([]string{filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("a path that does not exist was accepted")
	}
	other := filepath.Join(t.TempDir(), "real")
	writeTree(t, other, map[string]string{"x": "x"})
	if _, err := resolveRoots([]string{real, other}); err == nil || !strings.Contains(err.Error(), `both be sent as "real"`) {
		t.Fatalf("two roots named real: %v", err)
	}
}

// TestCancelJobStopsItsPart cancels a job while its part crawls under a
// rate limit: the job ends canceled and its part leaves no journal entry.
func TestCancelJobStopsItsPart(t *testing.T) {
	srv := servertest.Start(t)
	dir := filepath.Join(t.TempDir(), "slow")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "big.bin", 4<<20, 5)
	o := testOptions(t, srv.URL(), StaticToken(srv.Token("alice")))
	o.RateLimit = 16 << 10
	e, rec := newEngine(t, o)
	id, err := e.StartTree(TreeSpec{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	var fid string
	deadline := time.After(30 * time.Second)
	for fid == "" {
		rec.mu.Lock()
		for _, ev := range rec.events {
			if j, ok := ev.(*JobEvent); ok && j.Kind == JobPartStarted {
				fid = j.FID
			}
		}
		changed := rec.changed
		rec.mu.Unlock()
		if fid != "" {
			break
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatal("the part never started")
		}
	}
	if err := e.CancelJob(id); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitJob(context.Background(), id); !errors.Is(err, ErrCanceled) {
		t.Fatalf("canceled job ended with %v", err)
	}
	if err := e.Wait(context.Background(), fid); !errors.Is(err, ErrCanceled) {
		t.Fatalf("its part ended with %v", err)
	}
	if left, _ := e.Unfinished(); len(left) != 0 {
		t.Fatalf("journal keeps %d entries after cancel", len(left))
	}
}

// TestTreeWithAnUnsendableNameSendsTheRest: a file whose name the protocol
// cannot carry is named in a note and not sent; the others arrive, and the
// job fails, naming it.
func TestTreeWithAnUnsendableNameSendsTheRest(t *testing.T) {
	srv := servertest.Start(t)
	dir := filepath.Join(t.TempDir(), "mixed")
	writeTree(t, dir, map[string]string{"good.txt": "g", "bad\\name.txt": "b"})
	e, rec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))
	evs, err := runJob(t, e, rec, TreeSpec{Paths: []string{dir}})
	if err == nil || !strings.Contains(err.Error(), `bad\name.txt`) || !strings.Contains(err.Error(), "1 file(s) not sent") {
		t.Fatalf("job error %v, want one file not sent, named", err)
	}
	if got := serverPaths(t, srv, "alice"); !slices.Equal(got, []string{"mixed/good.txt"}) {
		t.Fatalf("server holds %q", got)
	}
	noted := false
	for _, ev := range evs {
		if j, ok := ev.(*JobEvent); ok && j.Kind == JobNote && strings.Contains(j.Note, `bad\name.txt`) {
			noted = true
		}
	}
	if !noted || jobDone(t, evs).Walk.Unsendable != 1 {
		t.Fatalf("noted %v, walk %+v", noted, jobDone(t, evs).Walk)
	}
}
