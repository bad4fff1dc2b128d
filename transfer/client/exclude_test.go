package client

import "testing"

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
