package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/transfer/client"
)

// TestBrowseGreysOrHidesExcludedEntries: entries the exclude patterns
// match are greyed (marked "excluded") and counted in the status line; e
// hides them; they cannot be selected, and selecting their directory
// leaves them out.
func TestBrowseGreysOrHidesExcludedEntries(t *testing.T) {
	opts := testOptions(makeTree(t))
	opts.Exclude = []string{"*.tar", "raw"}
	d := newDriver(t, opts, 80, 24)
	d.requireView("archive.tar", "excluded", "1 excluded (greyed)")
	d.keys("e")
	d.rejectView("archive.tar")
	d.requireView("1 excluded (hidden)")
	d.keys("e", "G", "up", "space")
	d.requireView("archive.tar", "cannot select archive.tar: the exclude patterns leave it out")
	if d.m.sel.len() != 0 {
		t.Fatal("an excluded file was selected")
	}

	d.keys("g", "down", "enter") // photos
	d.requireView("~/photos", "raw/", "1 excluded (greyed)")
	d.keys("backspace", "space") // photos as a whole
	var names []string
	for _, f := range d.m.sel.list() {
		names = append(names, f.Name)
	}
	if want := []string{"beach.jpg", "cat.jpg"}; !slices.Equal(names, want) {
		t.Fatalf("selecting photos selected %v, want %v (raw/ excluded)", names, want)
	}
	d.requireView("(1 excluded)")
	d.keys("u", "enter")
	x := d.up.startedTrees()[0].Exclude
	if !x.Match("raw") || !x.Match("a/b.tar") || x.Match("beach.jpg") {
		t.Fatal("the tree started does not carry the exclude patterns")
	}
}

func TestBadExcludePatternIsReported(t *testing.T) {
	opts := testOptions(makeTree(t))
	opts.Exclude = []string{"[unclosed"}
	m := New(opts, newFakeUploader(t))
	defer m.Close()
	if m.excludeErr == nil || !strings.Contains(m.excludeErr.Error(), "[unclosed") {
		t.Fatalf("excludeErr = %v, want one naming the pattern", m.excludeErr)
	}
}

// A pattern with a "/" is matched from the browser's start directory both
// on screen and in the job: picking the directory that holds the excluded
// entry leaves it out, as the browser showed.
func TestExcludesWithASlashMatchFromTheStartDirectory(t *testing.T) {
	opts := testOptions(makeTree(t))
	opts.Exclude = []string{"photos/raw", "docs/*.txt"}
	d := newDriver(t, opts, 80, 24)
	d.keys("g", "down", "enter") // into photos
	d.requireView("~/photos", "raw/", "1 excluded (greyed)")
	d.keys("backspace", "g", "space", "space", "u", "enter") // docs and photos (space moves down)
	trees := d.up.startedTrees()
	if len(trees) != 1 {
		t.Fatalf("%d trees started, want 1", len(trees))
	}
	files, err := client.CollectFiles(trees[0].Paths, trees[0].Exclude)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	if want := []string{"docs/old/2019.txt", "docs/report.pdf", "photos/beach.jpg", "photos/cat.jpg"}; !slices.Equal(names, want) {
		t.Fatalf("the job sends %q, want %q", names, want)
	}
}
