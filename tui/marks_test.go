package tui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestMarksSkipPathsTheServerCannotHold: a file whose name the protocol
// refuses is not looked up (the server would refuse the whole lookup, and
// marks would go off for the session); the others are marked as usual.
func TestMarksSkipPathsTheServerCannotHold(t *testing.T) {
	home := makeTree(t)
	if err := os.WriteFile(filepath.Join(home, "bad\x07name.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	up := newFakeUploader(t)
	up.remote = []client.RemoteFile{{Path: "readme.md", Size: 1100}}
	d := newDriverWith(t, testOptions(home), up, 80, 24)
	d.requireView("readme.md ✓ on server")
	for _, l := range up.lookups {
		for _, p := range l {
			if strings.Contains(p, "bad") {
				t.Fatalf("looked up %q, a path the protocol refuses", p)
			}
		}
	}
}
