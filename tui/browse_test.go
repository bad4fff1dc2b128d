package tui

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// selectedNames returns the base names of the selection, in pick order.
func (d *driver) selectedNames() []string {
	var names []string
	for _, f := range d.m.sel.list() {
		names = append(names, f.Name)
	}
	return names
}

// cursorName is the name of the entry under the browser's cursor.
func (d *driver) cursorName() string {
	e, _ := d.m.browse.list.SelectedItem().(entry)
	return e.name
}

func (d *driver) requireSelected(want ...string) {
	d.t.Helper()
	if got := d.selectedNames(); !slices.Equal(got, want) {
		d.t.Fatalf("selection = %q, want %q", got, want)
	}
}

func TestSelectionPersistsAcrossDirectories(t *testing.T) {
	home := makeTree(t)
	d := newDriver(t, testOptions(home), 80, 24)
	d.requireView("docs/", "photos/", "archive.tar", "readme.md")
	d.rejectView(".bashrc")

	d.keys("enter") // docs
	if d.m.browse.dir != filepath.Join(home, "docs") {
		t.Fatalf("enter opened %s", d.m.browse.dir)
	}
	d.keys("down", "space") // notes.txt
	d.requireSelected("notes.txt")
	if d.cursorName() != "report.pdf" {
		t.Fatalf("space left the cursor on %q, want it moved down to report.pdf", d.cursorName())
	}

	d.keys("backspace")
	if d.cursorName() != "docs" {
		t.Fatalf("going up put the cursor on %q, want the directory we came from", d.cursorName())
	}
	d.requireView("[-] docs/", "1 file selected (2.0 KiB)")

	d.keys("down", "l", "down", "space") // photos/beach.jpg
	d.requireSelected("notes.txt", "beach.jpg")
	d.requireView("2 files selected (3.0 MiB)")

	d.keys("h", "up", "right") // back to docs: the pick is still there
	d.requireView("[x] notes.txt")
	d.keys("down", "space")
	d.requireSelected("beach.jpg")

	d.keys("~")
	if d.m.browse.dir != home {
		t.Fatalf("~ went to %s, want %s", d.m.browse.dir, home)
	}
	d.keys("A")
	d.requireSelected()
	d.requireView("nothing selected")
}

func TestToggleDirectorySelectsItsFiles(t *testing.T) {
	home := makeTree(t)
	d := newDriver(t, testOptions(home), 80, 24)
	d.keys("space") // docs, as a whole: hidden files below are skipped
	d.requireSelected("notes.txt", "2019.txt", "report.pdf")
	d.requireView("[x] docs/", "3 sel", "selected 3 files from docs")

	d.keys("up")
	d.requireView("3 files selected (123 KiB)")
	d.keys("enter")
	d.requireView("[x] old/")
	d.keys("space") // the cursor is on old/: deselect it
	d.requireSelected("notes.txt", "report.pdf")
	d.keys("backspace")
	d.requireView("[-] docs/")

	d.keys("space") // partly selected: space clears it
	d.requireSelected()
	d.requireView("[ ] docs/")
}

func TestSelectAllVisibleAfterFilter(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.keys("/", "rdm")
	if !d.m.browse.capturing() {
		t.Fatal("typing a filter does not capture keys")
	}
	d.requireView("Filter: rdm", "readme.md")
	d.rejectView("archive.tar")

	d.keys("q", "u") // typed into the filter: neither quits nor queues
	if d.m.browse.list.FilterValue() != "rdmqu" {
		t.Fatalf("filter is %q, want the keys typed into it", d.m.browse.list.FilterValue())
	}
	d.keys("backspace", "backspace", "enter")
	if d.m.browse.capturing() {
		t.Fatal("enter did not apply the filter")
	}
	d.keys("a")
	d.requireSelected("readme.md")

	d.keys("esc")
	d.requireView("archive.tar", "docs/")
	d.keys("a") // everything shown now: directories are walked
	d.requireSelected("readme.md", "archive.tar", "notes.txt", "2019.txt", "report.pdf",
		"beach.jpg", "cat.jpg", "IMG_0001.CR2")
}

func TestFilterIsFuzzy(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.keys("enter", "right") // docs/old
	d.keys("backspace", "/", "nts")
	d.requireView("notes.txt")
	d.rejectView("report.pdf")
	d.keys("esc")
	d.requireView("notes.txt", "report.pdf")
}

func TestHiddenFilesAndSort(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	order := func() []string {
		var names []string
		for _, it := range d.m.browse.list.VisibleItems() {
			names = append(names, it.(entry).name)
		}
		return names
	}
	if got, want := order(), []string{"docs", "photos", "archive.tar", "readme.md"}; !slices.Equal(got, want) {
		t.Fatalf("by name: %q, want %q", got, want)
	}
	d.keys(".")
	if got, want := order(), []string{".cache", "docs", "photos", ".bashrc", "archive.tar", "readme.md"}; !slices.Equal(got, want) {
		t.Fatalf("hidden shown: %q, want %q", got, want)
	}
	d.keys(".", "s")
	if got, want := order(), []string{"docs", "photos", "archive.tar", "readme.md"}; !slices.Equal(got, want) {
		t.Fatalf("by size: %q, want %q", got, want)
	}
	d.requireView("sort: size")
	d.keys("s")
	if got, want := order(), []string{"docs", "photos", "readme.md", "archive.tar"}; !slices.Equal(got, want) {
		t.Fatalf("newest first: %q, want %q", got, want)
	}
}

func TestUnreadableEntriesAreShownNotFatal(t *testing.T) {
	home := makeTree(t)
	if err := os.Symlink(filepath.Join(home, "gone"), filepath.Join(home, "broken")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(home, "nowhere"), filepath.Join(home, "docs", "dangling")); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, testOptions(home), 80, 24)
	d.requireView("[!] broken@", "dangling", "archive.tar")

	for d.cursorName() != "broken" {
		d.keys("down")
	}
	d.keys("space")
	d.requireSelected()
	d.requireView("cannot select broken: it is a link whose target does not exist")

	d.keys("enter") // not a directory: nothing happens
	d.keys("g", "space")
	d.requireView("selected 3 files from docs (1 unreadable skipped)")
}

func TestOpeningAMissingDirectoryKeepsTheCurrentOne(t *testing.T) {
	home := makeTree(t)
	d := newDriver(t, testOptions(home), 80, 24)
	if err := os.RemoveAll(filepath.Join(home, "docs")); err != nil {
		t.Fatal(err)
	}
	d.keys("enter")
	if d.m.browse.dir != home {
		t.Fatalf("browser moved to %s", d.m.browse.dir)
	}
	d.requireView("error: cannot open", "docs", "archive.tar")
}
