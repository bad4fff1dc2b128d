package tui

import (
	"slices"
	"testing"

	"github.com/hoist-dev/hoist/transfer/client"
)

// TestBrowseMarksFilesAlreadyOnServer: a local file whose path relative to
// the start directory and size match a file on the server is marked; one
// of another size is not; each directory is looked up once.
func TestBrowseMarksFilesAlreadyOnServer(t *testing.T) {
	up := newFakeUploader(t)
	up.remote = []client.RemoteFile{
		{Path: "readme.md", Size: 1100},           // same size: marked
		{Path: "archive.tar", Size: 1},            // other size: not
		{Path: "docs/notes.txt", Size: 2048},      // in a directory
		{Path: "photos/cat.jpg/x", Size: 1 << 20}, // another path
	}
	d := newDriverWith(t, testOptions(makeTree(t)), up, 80, 24)
	d.requireView("readme.md ✓ on server", "1 on server")
	d.rejectView("archive.tar ✓")

	d.keys("enter") // docs
	d.requireView("notes.txt ✓ on server")
	d.rejectView("report.pdf ✓")
	d.keys("backspace", "down", "enter") // photos
	d.rejectView("✓ on server")
	d.keys("backspace")
	d.requireView("readme.md ✓ on server")

	var asked []string
	for _, l := range up.lookups {
		asked = append(asked, l...)
	}
	want := []string{".bashrc", "archive.tar", "readme.md", "docs/notes.txt", "docs/report.pdf", "photos/beach.jpg", "photos/cat.jpg"}
	if !slices.Equal(asked, want) {
		t.Fatalf("looked up %v, want %v (each directory once)", asked, want)
	}
}

// TestHelpExplainsTheOnServerMark: the help says what the mark means.
func TestHelpExplainsTheOnServerMark(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 120, 40)
	d.keys("?")
	d.requireView("same name and size on the server")
}
