//go:build unix

package client

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/hoist-dev/hoist/transfer/servertest"
)

// awkwardTree builds base/tree holding two good files, a dangling
// symbolic link, a link to itself, a named pipe, a link back up to the
// tree (a loop when links are followed) and a link to base/outside, a
// directory with one file. It returns the tree's path.
func awkwardTree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	tree := filepath.Join(base, "tree")
	writeTree(t, tree, map[string]string{"good.txt": "good", "sub/deep.txt": "deep"})
	writeTree(t, filepath.Join(base, "outside"), map[string]string{"o.txt": "outside"})
	for link, target := range map[string]string{
		"dangling": "no-such-file",
		"self":     "self",
		"linked":   "../outside",
		"sub/up":   "..",
	} {
		if err := os.Symlink(target, filepath.Join(tree, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(tree, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	return tree
}

// skippedPaths returns the JobSkipped events' paths, relative to tree,
// with their reasons.
func skippedPaths(t *testing.T, tree string, evs []Event) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ev := range evs {
		if j, ok := ev.(*JobEvent); ok && j.Kind == JobSkipped {
			rel, err := filepath.Rel(tree, j.Path)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.ToSlash(rel)] = j.Reason
		}
	}
	return out
}

// wantSkipped checks that exactly the paths of want were skipped, each
// for a reason containing want's text.
func wantSkipped(t *testing.T, got, want map[string]string) {
	t.Helper()
	for p, why := range want {
		if !strings.Contains(got[p], why) {
			t.Errorf("%s: skipped for %q, want %q", p, got[p], why)
		}
	}
	for p, why := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s skipped unexpectedly: %s", p, why)
		}
	}
}

// TestTreeSkipsWhatCannotBeSent: dangling links, link loops and special
// files are skipped, each named in a JobSkipped event with its reason;
// everything else arrives, a followed link to a directory under the
// link's name, and the job succeeds.
func TestTreeSkipsWhatCannotBeSent(t *testing.T) {
	srv := servertest.Start(t)
	tree := awkwardTree(t)
	e, rec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))
	evs, err := runJob(t, e, rec, TreeSpec{Paths: []string{tree}})
	if err != nil {
		t.Fatalf("job failed: %v", err)
	}
	want := []string{"tree/good.txt", "tree/linked/o.txt", "tree/sub/deep.txt"}
	if got := serverPaths(t, srv, "alice"); !slices.Equal(got, want) {
		t.Fatalf("server holds %q, want %q", got, want)
	}
	wantSkipped(t, skippedPaths(t, tree, evs), map[string]string{
		"dangling": "dangling symbolic link: no-such-file does not exist",
		"self":     "symbolic link loop",
		"pipe":     "not a regular file (named pipe)",
		"sub/up":   "symbolic link loop: leads back to " + tree,
	})
	if w := jobDone(t, evs).Walk; w.Skipped != 4 || w.Files != 3 {
		t.Fatalf("walk %+v, want 3 files and 4 skipped", w)
	}
}

// TestStrictTreeFailsAfterSendingTheRest: with Strict, the same tree
// sends everything it can, then fails naming the count skipped.
func TestStrictTreeFailsAfterSendingTheRest(t *testing.T) {
	srv := servertest.Start(t)
	tree := awkwardTree(t)
	e, rec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))
	_, err := runJob(t, e, rec, TreeSpec{Paths: []string{tree}, Strict: true})
	if err == nil || !strings.Contains(err.Error(), "4 path(s) skipped") {
		t.Fatalf("strict job ended with %v, want 4 paths skipped", err)
	}
	want := []string{"tree/good.txt", "tree/linked/o.txt", "tree/sub/deep.txt"}
	if got := serverPaths(t, srv, "alice"); !slices.Equal(got, want) {
		t.Fatalf("server holds %q, want %q", got, want)
	}
}

// TestTreeWithLinkedDirsNotFollowed: with SkipLinkedDirs, links to
// directories are skipped and reported, not walked.
func TestTreeWithLinkedDirsNotFollowed(t *testing.T) {
	srv := servertest.Start(t)
	tree := awkwardTree(t)
	e, rec := newEngine(t, testOptions(t, srv.URL(), StaticToken(srv.Token("alice"))))
	evs, err := runJob(t, e, rec, TreeSpec{Paths: []string{tree}, SkipLinkedDirs: true})
	if err != nil {
		t.Fatalf("job failed: %v", err)
	}
	want := []string{"tree/good.txt", "tree/sub/deep.txt"}
	if got := serverPaths(t, srv, "alice"); !slices.Equal(got, want) {
		t.Fatalf("server holds %q, want %q", got, want)
	}
	wantSkipped(t, skippedPaths(t, tree, evs), map[string]string{
		"dangling": "dangling",
		"self":     "loop",
		"pipe":     "named pipe",
		"linked":   "symlinked directory not followed: use --follow-links",
		"sub/up":   "symlinked directory not followed",
	})
}

// TestNamedUnreadablePathIsAnError: a dangling link or a pipe named
// explicitly is refused before anything is sent, not skipped.
func TestNamedUnreadablePathIsAnError(t *testing.T) {
	tree := awkwardTree(t)
	for _, name := range []string{"dangling", "self", "pipe"} {
		if _, err := resolveRoots([]string{filepath.Join(tree, name)}); err == nil {
			t.Errorf("%s named on the command line was accepted", name)
		}
	}
}
