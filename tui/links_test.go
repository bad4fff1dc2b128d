package tui

import (
	"os"
	"path/filepath"
	"testing"
)

// makeLinkedTree adds to the fixture tree a link to photos, and an album
// directory holding a file, a link to photos and a link to itself.
func makeLinkedTree(t *testing.T) string {
	t.Helper()
	home := makeTree(t)
	album := filepath.Join(home, "album")
	if err := os.Mkdir(album, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(album, "a.jpg"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		filepath.Join(home, "photos-link"): "photos",
		filepath.Join(album, "more"):       filepath.Join("..", "photos"),
		filepath.Join(album, "self"):       ".",
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

// moveTo puts the browser's cursor on the entry named name.
func (d *driver) moveTo(name string) {
	d.t.Helper()
	d.keys("g")
	for range 50 {
		if d.cursorName() == name {
			return
		}
		d.keys("down")
	}
	d.t.Fatalf("no entry %q", name)
}

func TestLinkedDirectoriesAreFollowed(t *testing.T) {
	d := newDriver(t, testOptions(makeLinkedTree(t)), 80, 24)
	d.requireView("photos-link/", "dir link", "dir links followed")
	d.rejectView("unreadable")

	d.moveTo("photos-link")
	d.keys("enter")
	d.requireView("~/photos-link", "beach.jpg", "cat.jpg")
	d.keys("backspace")

	d.moveTo("photos-link")
	d.keys("space")
	d.requireView("selected 3 files from photos-link")
	d.requireSelected("beach.jpg", "cat.jpg", "IMG_0001.CR2")

	// A directory with links inside: each directory is walked once, the
	// link back to the album itself included.
	d.keys("A")
	d.moveTo("album")
	d.keys("space")
	d.requireView("selected 4 files from album (following 2 links to directories)")
	d.requireSelected("a.jpg", "beach.jpg", "cat.jpg", "IMG_0001.CR2")
}

func TestLinkedDirectoriesNotFollowedBySetting(t *testing.T) {
	opts := testOptions(makeLinkedTree(t))
	opts.SkipLinkedDirs = true
	d := newDriver(t, opts, 80, 24)
	d.requireView("photos-link@", "dir link", "dir links not followed")

	d.moveTo("photos-link")
	d.keys("enter")
	d.requireView("photos-link is a link to a directory: links to")
	d.keys("space")
	d.requireView("cannot select photos-link: links to directories are not followed")
	d.requireSelected()

	d.moveTo("album")
	d.keys("space")
	d.requireView("selected 1 file from album (2 links to directories not followed)")
	d.requireSelected("a.jpg")
}
