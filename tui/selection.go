package tui

import (
	"path/filepath"
	"slices"
	"strings"
)

// selection is the set of files picked for the next upload. It survives
// moving between directories and keeps the order files were picked in.
type selection struct {
	files map[string]File
	order []string
	bytes uint64
	// under counts selected files below each directory, for the browser's
	// markers.
	under map[string]int
	// whole holds directories selected as a whole, until one of their files
	// is deselected.
	whole map[string]bool
	// hiddenLeft is set when a directory was selected while hidden files
	// were not shown: a tree sent from the selection leaves them out too.
	hiddenLeft bool
}

func newSelection() *selection {
	return &selection{files: map[string]File{}, under: map[string]int{}, whole: map[string]bool{}}
}

func (s *selection) len() int          { return len(s.files) }
func (s *selection) size() uint64      { return s.bytes }
func (s *selection) has(p string) bool { _, ok := s.files[p]; return ok }

// countUnder reports how many selected files lie below dir.
func (s *selection) countUnder(dir string) int { return s.under[dir] }

// wholeDir reports whether dir was selected as a whole and still is.
func (s *selection) wholeDir(dir string) bool { return s.whole[dir] && s.under[dir] > 0 }

func (s *selection) add(f File) {
	if s.has(f.Path) {
		return
	}
	s.files[f.Path] = f
	s.order = append(s.order, f.Path)
	s.bytes += f.Size
	for d := filepath.Dir(f.Path); ; d = filepath.Dir(d) {
		s.under[d]++
		if d == filepath.Dir(d) {
			break
		}
	}
}

func (s *selection) remove(p string) {
	f, ok := s.files[p]
	if !ok {
		return
	}
	delete(s.files, p)
	s.bytes -= f.Size
	if len(s.order) > 2*len(s.files)+64 {
		s.order = s.ordered()
	}
	for d := filepath.Dir(p); ; d = filepath.Dir(d) {
		if s.under[d]--; s.under[d] == 0 {
			delete(s.under, d)
		}
		delete(s.whole, d)
		if d == filepath.Dir(d) {
			break
		}
	}
}

// addDir selects files as the contents of directory dir: dir and every
// directory between it and the files count as selected whole.
func (s *selection) addDir(dir string, files []File) {
	for _, f := range files {
		s.add(f)
		for d := filepath.Dir(f.Path); len(d) >= len(dir); d = filepath.Dir(d) {
			s.whole[d] = true
			if d == dir || d == filepath.Dir(d) {
				break
			}
		}
	}
}

// roots returns the directories selected as a whole that lie in no other
// such directory, sorted, and the selected files outside them, in the
// order they were picked: a tree sent from the selection sends the
// directories with their paths and the files by name.
func (s *selection) roots() (dirs []string, loose []File) {
	for d := range s.whole {
		if !s.wholeDir(d) {
			continue
		}
		top := true
		for c, p := d, filepath.Dir(d); p != c; c, p = p, filepath.Dir(p) {
			if s.wholeDir(p) {
				top = false
				break
			}
		}
		if top {
			dirs = append(dirs, d)
		}
	}
	slices.Sort(dirs)
	for _, f := range s.list() {
		in := false
		for _, d := range dirs {
			in = in || strings.HasPrefix(f.Path, d+string(filepath.Separator))
		}
		if !in {
			loose = append(loose, f)
		}
	}
	return dirs, loose
}

// removeDir deselects every file below dir.
func (s *selection) removeDir(dir string) {
	prefix := dir + string(filepath.Separator)
	if dir == filepath.Dir(dir) {
		prefix = dir
	}
	for _, p := range s.ordered() {
		if strings.HasPrefix(p, prefix) {
			s.remove(p)
		}
	}
	delete(s.whole, dir)
}

// ordered returns the selected paths in the order they were picked. The
// order slice may hold removed paths, and paths removed and picked again
// twice; removal only compacts it now and then.
func (s *selection) ordered() []string {
	out := make([]string, 0, len(s.files))
	seen := make(map[string]bool, len(s.files))
	for i := len(s.order) - 1; i >= 0; i-- {
		p := s.order[i]
		if s.has(p) && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	slices.Reverse(out)
	return out
}

// list returns the selected files in the order they were picked.
func (s *selection) list() []File {
	out := make([]File, 0, len(s.files))
	for _, p := range s.ordered() {
		out = append(out, s.files[p])
	}
	return out
}

func (s *selection) clear() {
	*s = *newSelection()
}
