//go:build unix

package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/hoist-dev/hoist/transfer/servertest"
)

// skipTree writes home/tree with two files, a dangling symbolic link, a
// named pipe and "linked", a link to home/outside (one file). It returns
// the tree's path.
func skipTree(t *testing.T, home string) string {
	t.Helper()
	tree := filepath.Join(home, "tree")
	mkTree(t, tree, map[string]string{"good.txt": "good", "sub/deep.txt": "deep"})
	mkTree(t, filepath.Join(home, "outside"), map[string]string{"o.txt": "outside"})
	if err := os.Symlink("gone", filepath.Join(tree, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside", filepath.Join(tree, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(tree, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	return tree
}

// storedPaths are the paths the server holds for user, sorted.
func storedPaths(srv *servertest.Server, user string) []string {
	var out []string
	for _, f := range srv.Files(user) {
		out = append(out, f.Stored)
	}
	sort.Strings(out)
	return out
}

// TestSendSkipsUnreadableAndListsThem: a recursive send skips a dangling
// link and a pipe with a warning, sends the rest (a linked directory's
// file under the link's name), lists the skipped paths at the end and
// exits 0; --strict (or HOIST_STRICT, or strict = true) exits 1 after
// sending the rest.
func TestSendSkipsUnreadableAndListsThem(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	s := newSandbox(t)
	tree := skipTree(t, s.home)
	all := []string{"tree/good.txt", "tree/linked/o.txt", "tree/sub/deep.txt"}
	send := func(user string, extra ...string) result {
		tok := writeFile(t, s.home, user+".jwt", srv.Token(user))
		return s.run(append([]string{"send", tree, "--server", srv.URL(), "--token-file", tok}, extra...)...)
	}

	r := send("plain")
	if r.code != 0 {
		t.Fatalf("exit %d without --strict\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"skipped 2:\n",
		"  " + filepath.Join(tree, "dangling") + ": dangling symbolic link: gone does not exist\n",
		"  " + filepath.Join(tree, "pipe") + ": not a regular file (named pipe)\n",
		"verified tree/linked/o.txt",
		"2 skipped (listed at the end)",
		"3 file(s) sent in 1 part(s), 0 already there, 2 skipped",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if got := storedPaths(srv, "plain"); !slices.Equal(got, all) {
		t.Fatalf("server holds %q, want %q", got, all)
	}

	r = send("strict", "--strict")
	if r.code != 1 || !strings.Contains(r.stderr, "2 path(s) skipped") || !strings.Contains(r.stdout, "skipped 2:") {
		t.Fatalf("--strict: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if got := storedPaths(srv, "strict"); !slices.Equal(got, all) {
		t.Fatalf("--strict: server holds %q, want %q", got, all)
	}
	s.vars["HOIST_STRICT"] = "true"
	r = send("env-strict")
	delete(s.vars, "HOIST_STRICT")
	if r.code != 1 {
		t.Fatalf("HOIST_STRICT=true: exit %d\n%s", r.code, r.stderr)
	}
	s.writeConfig("strict = true\n")
	if r = send("file-strict"); r.code != 1 {
		t.Fatalf("strict = true: exit %d\n%s", r.code, r.stderr)
	}
	if r = send("file-strict-off", "--strict=false"); r.code != 0 {
		t.Fatalf("strict = true, --strict=false: exit %d\n%s", r.code, r.stderr)
	}
}

// TestSendNoFollowLinksSkipsLinkedDirs: --no-follow-links (or
// follow_links = false) skips a symlinked directory and reports it; the
// JSON output has a "skipped" event per path and the count in the job's
// walk.
func TestSendNoFollowLinksSkipsLinkedDirs(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	s := newSandbox(t)
	tree := skipTree(t, s.home)
	tok := writeFile(t, s.home, "a.jwt", srv.Token("alice"))
	out := s.mustRun("send", tree, "--server", srv.URL(), "--token-file", tok, "--no-follow-links", "--json")
	skipped := map[string]string{}
	doneSkipped := -1
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev struct {
			Type, Kind, Path, Reason string
			Walk                     struct{ Skipped int }
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		switch {
		case ev.Type == "skipped":
			skipped[filepath.Base(ev.Path)] = ev.Reason
		case ev.Type == "job" && ev.Kind == "done":
			doneSkipped = ev.Walk.Skipped
		}
	}
	if len(skipped) != 3 || skipped["linked"] != "symlinked directory not followed: use --follow-links" || doneSkipped != 3 {
		t.Fatalf("skipped %q, done walk.skipped %d:\n%s", skipped, doneSkipped, out)
	}
	if got, want := storedPaths(srv, "alice"), []string{"tree/good.txt", "tree/sub/deep.txt"}; !slices.Equal(got, want) {
		t.Fatalf("server holds %q, want %q", got, want)
	}

	s.writeConfig("follow_links = false\n")
	bob := writeFile(t, s.home, "b.jwt", srv.Token("bob"))
	out = s.mustRun("send", tree, "--server", srv.URL(), "--token-file", bob)
	if !strings.Contains(out, "linked: symlinked directory not followed") {
		t.Fatalf("follow_links = false: the link was not reported:\n%s", out)
	}
	if got := storedPaths(srv, "bob"); slices.Contains(got, "tree/linked/o.txt") {
		t.Fatalf("follow_links = false: server holds %q", got)
	}
	carol := writeFile(t, s.home, "c.jwt", srv.Token("carol"))
	s.mustRun("send", tree, "--server", srv.URL(), "--token-file", carol, "--follow-links")
	if got := storedPaths(srv, "carol"); !slices.Contains(got, "tree/linked/o.txt") {
		t.Fatalf("--follow-links over follow_links = false: server holds %q", got)
	}
}

// TestSendNamedUnreadableFileIsAnError: a dangling link named on the
// command line is an error, not skipped.
func TestSendNamedUnreadableFileIsAnError(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t)
	s := newSandbox(t)
	tree := skipTree(t, s.home)
	tok := writeFile(t, s.home, "a.jwt", srv.Token("alice"))
	r := s.run("send", filepath.Join(tree, "dangling"), "--server", srv.URL(), "--token-file", tok)
	if r.code == 0 || !strings.Contains(r.stderr, "dangling") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}
