package client

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Excludes is a set of globs that leave paths out of a tree being sent.
// Paths are relative to the directory being sent, with "/" between
// elements. In a pattern:
//
//   - "*", "?" and "[...]" work as in path.Match, within one element;
//   - an element "**" matches any number of elements, none included;
//   - a pattern without "/" matches the last element at any depth
//     ("*.tmp" leaves out every .tmp file), as if it began with "**/";
//   - a leading "/" anchors nothing more (patterns with a "/" are matched
//     from the directory sent anyway) and a trailing "/" is ignored.
//
// A directory that matches is left out with everything under it. The zero
// value excludes nothing.
type Excludes struct {
	patterns [][]string // split at "/"
	sources  []string
	// base, when set (Within), is the directory that paths under it are
	// matched relative to.
	base string
}

// Within returns x matching the paths under dir relative to dir, and only
// the others relative to the directory being sent. The terminal UI passes
// the directory its browser started in: a pattern such as "build/*.o" then
// leaves out what the browser shows excluded, whichever directory inside
// it the user picked ("build" itself, or its parent).
func (x Excludes) Within(dir string) Excludes {
	if abs, err := filepath.Abs(dir); err == nil {
		x.base = abs
	}
	return x
}

// Patterns returns the globs x was made from (NewExcludes), so that x can
// be passed on and made again.
func (x Excludes) Patterns() []string { return slices.Clone(x.sources) }

// Base returns the directory Within made x match from, or "".
func (x Excludes) Base() string { return x.base }

// matchPath reports whether the file or directory at path, rel from the
// directory being sent, is excluded.
func (x Excludes) matchPath(path, rel string) bool {
	if x.base != "" {
		if abs, err := filepath.Abs(path); err == nil {
			if r, err := filepath.Rel(x.base, abs); err == nil && r != "." && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				return x.Match(filepath.ToSlash(r))
			}
		}
	}
	return x.Match(rel)
}

// NewExcludes compiles globs; a malformed one (an unclosed "[") is an error
// naming it.
func NewExcludes(globs []string) (Excludes, error) {
	var x Excludes
	for _, g := range globs {
		p := strings.Trim(strings.TrimSpace(g), "/")
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			p = "**/" + p
		}
		elems := strings.Split(p, "/")
		for _, e := range elems {
			if _, err := path.Match(e, ""); err != nil {
				return Excludes{}, fmt.Errorf("exclude pattern %q: %w", g, err)
			}
		}
		x.patterns = append(x.patterns, elems)
		x.sources = append(x.sources, g)
	}
	return x, nil
}

// Empty reports whether x excludes nothing.
func (x Excludes) Empty() bool { return len(x.patterns) == 0 }

// Match reports whether the relative path rel ("a/b/c.txt") is excluded.
func (x Excludes) Match(rel string) bool {
	if rel == "" || rel == "." {
		return false
	}
	elems := strings.Split(rel, "/")
	for _, p := range x.patterns {
		if matchElems(p, elems) {
			return true
		}
	}
	return false
}

// matchElems matches path elements against pattern elements, "**"
// standing for any number of them.
func matchElems(pat, elems []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			// Collapse runs of "**", then try every split.
			for len(pat) > 0 && pat[0] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 0 {
				return true
			}
			for i := range len(elems) + 1 {
				if matchElems(pat, elems[i:]) {
					return true
				}
			}
			return false
		}
		if len(elems) == 0 {
			return false
		}
		if ok, _ := path.Match(strings.ReplaceAll(pat[0], "**", "*"), elems[0]); !ok {
			return false
		}
		pat, elems = pat[1:], elems[1:]
	}
	return len(elems) == 0
}
