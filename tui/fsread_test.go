package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestExamineAllKeepsOrderAndKinds: a directory big enough to be examined
// several entries at a time comes back in its listing's order, each entry
// with what a lone stat says of it: files with their size, directories,
// links followed, and dangling links with their error.
func TestExamineAllKeepsOrderAndKinds(t *testing.T) {
	dir := t.TempDir()
	const n = 3*examineBatch + 17
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf("e%04d", i))
		var err error
		switch i % 4 {
		case 0:
			err = os.WriteFile(name, make([]byte, i), 0o644)
		case 1:
			err = os.Mkdir(name, 0o755)
		case 2:
			err = os.Symlink(filepath.Join(dir, "e0000"), name)
		case 3:
			err = os.Symlink(filepath.Join(dir, "missing"), name)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := examineAll(dir, des)
	if len(got) != n {
		t.Fatalf("%d entries, want %d", len(got), n)
	}
	for i, de := range des {
		want := examine(dir, de)
		g := got[i]
		if g.name != want.name || g.path != want.path || g.dir != want.dir || g.link != want.link ||
			g.regular != want.regular || g.size != want.size || !g.modTime.Equal(want.modTime) || (g.err == nil) != (want.err == nil) {
			t.Fatalf("entry %d: got %+v, want %+v", i, g, want)
		}
	}
	if e := got[3]; e.name != "e0003" || e.problem() != "dangling" {
		t.Fatalf("entry 3 is %+v, want the dangling link e0003", e)
	}
	if e := got[4]; !e.regular || e.size != 4 {
		t.Fatalf("entry 4 is %+v, want a file of 4 bytes", e)
	}
}
