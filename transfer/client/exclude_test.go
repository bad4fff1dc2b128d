package client

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

func TestExcludesMatch(t *testing.T) {
	cases := []struct {
		globs []string
		path  string
		want  bool
	}{
		// A pattern without "/" matches a name at any depth.
		{[]string{"*.tmp"}, "x.tmp", true},
		{[]string{"*.tmp"}, "a/b/x.tmp", true},
		{[]string{"*.tmp"}, "a/b/x.tmpl", false},
		{[]string{"node_modules"}, "web/node_modules", true},
		{[]string{"node_modules"}, "node_modules", true},
		{[]string{"node_modules"}, "web/node_modules_old", false},
		// With "/", from the directory sent.
		{[]string{"a/*.txt"}, "a/x.txt", true},
		{[]string{"a/*.txt"}, "b/a/x.txt", false},
		{[]string{"a/*.txt"}, "a/b/x.txt", false},
		{[]string{"/a/*.txt"}, "a/x.txt", true},
		{[]string{"build/"}, "build", true},
		// ** spans any number of elements, none included.
		{[]string{"a/**/x.txt"}, "a/x.txt", true},
		{[]string{"a/**/x.txt"}, "a/b/x.txt", true},
		{[]string{"a/**/x.txt"}, "a/b/c/d/x.txt", true},
		{[]string{"a/**/x.txt"}, "b/a/x.txt", false},
		{[]string{"a/**"}, "a/b/c", true},
		{[]string{"a/**"}, "ab/c", false},
		{[]string{"**/cache/**"}, "x/cache/y/z", true},
		{[]string{"**/cache/**"}, "cache", true},
		{[]string{"**/cache/**"}, "x/cachet/y", false},
		{[]string{"a/**/**/b"}, "a/b", true},
		{[]string{"**"}, "anything/at/all", true},
		// "**" inside an element is "*".
		{[]string{"x**y"}, "d/xzzy", true},
		// ? and classes stay within an element.
		{[]string{"?.log"}, "d/a.log", true},
		{[]string{"?.log"}, "d/ab.log", false},
		{[]string{"a?b"}, "a/b", false},
		{[]string{"[ab].txt"}, "b.txt", true},
		{[]string{"[ab].txt"}, "c.txt", false},
		// Wide characters.
		{[]string{"日本*"}, "d/日本語.txt", true},
		// Several patterns: any one.
		{[]string{"*.o", "*.tmp"}, "x.tmp", true},
		{nil, "x.tmp", false},
		{[]string{"*.tmp"}, "", false},
	}
	for _, c := range cases {
		x, err := NewExcludes(c.globs)
		if err != nil {
			t.Fatalf("NewExcludes(%q): %v", c.globs, err)
		}
		if got := x.Match(c.path); got != c.want {
			t.Errorf("%q matching %q = %v, want %v", c.globs, c.path, got, c.want)
		}
	}
}

func TestExcludesRefuseMalformedPatterns(t *testing.T) {
	if _, err := NewExcludes([]string{"ok", "[abc"}); err == nil {
		t.Fatal("an unclosed [ was accepted")
	}
	x, err := NewExcludes([]string{"", " ", "/"})
	if err != nil || !x.Empty() {
		t.Fatalf("blank patterns: %v, empty %v", err, x.Empty())
	}
}

// Excludes made Within a directory match the paths under it relative to
// it, whichever directory inside it is sent, in a job's walk and in
// CollectFiles alike; paths outside it are matched as before.
func TestExcludesWithinADirectory(t *testing.T) {
	start := t.TempDir()
	writeTree(t, start, map[string]string{"build/x.o": "o", "build/keep.c": "c", "other/y.o": "o"})
	outside := filepath.Join(t.TempDir(), "build")
	writeTree(t, outside, map[string]string{"z.o": "o"})
	x, err := NewExcludes([]string{"build/*.o"})
	if err != nil {
		t.Fatal(err)
	}
	build := filepath.Join(start, "build")
	walk := func(x Excludes, paths ...string) []string {
		t.Helper()
		roots, err := resolveRoots(paths)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		_, err = walkRoots(context.Background(), roots, x, false, walkHooks{
			emit:       func(lf LocalFile, _ uint64) error { names = append(names, lf.Name); return nil },
			report:     func(WalkProgress) {},
			unsendable: func(string, error) {},
			skipped:    func(string, string) {},
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(names)
		return names
	}
	collect := func(x Excludes, paths ...string) []string {
		t.Helper()
		files, err := CollectFiles(paths, x)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range files {
			names = append(names, f.Name)
		}
		slices.Sort(names)
		return names
	}
	for name, list := range map[string]func(Excludes, ...string) []string{"walk": walk, "CollectFiles": collect} {
		// Relative to the directory sent, "build/*.o" matches nothing in build.
		if got := list(x, build); !slices.Equal(got, []string{"build/keep.c", "build/x.o"}) {
			t.Fatalf("%s without Within: %q", name, got)
		}
		if got := list(x.Within(start), build); !slices.Equal(got, []string{"build/keep.c"}) {
			t.Fatalf("%s of build Within its parent: %q, want build/x.o left out", name, got)
		}
		if got := list(x.Within(start), start); !slices.Equal(got, []string{filepath.Base(start) + "/build/keep.c", filepath.Base(start) + "/other/y.o"}) {
			t.Fatalf("%s of the start directory itself: %q", name, got)
		}
		if got := list(x.Within(start), outside); !slices.Equal(got, []string{"build/z.o"}) {
			t.Fatalf("%s of a directory outside: %q, want it matched from itself", name, got)
		}
	}
}
