package tui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// remoteFixture is what the fake server holds for the Remote tests.
func remoteFixture() []client.RemoteFile {
	at := fixedNow.Add(-2 * time.Hour)
	return []client.RemoteFile{
		{Path: "a/notes.txt", Size: 2048, SHA256: strings.Repeat("1a", 32), Tags: []string{"work"}, Time: at},
		{Path: "b/sub/notes.txt", Size: 4096, SHA256: strings.Repeat("2b", 32), Tags: []string{"work", "old"}, Time: at},
		{Path: "b/sub/photo.jpg", Size: 3 << 20, SHA256: strings.Repeat("3c", 32), Tags: []string{"photos"}, Time: at.Add(-30 * 24 * time.Hour)},
		{Path: "readme.md", Size: 1100, SHA256: strings.Repeat("4d", 32), Time: at},
	}
}

func newRemoteDriver(t *testing.T, width, height int) *driver {
	t.Helper()
	up := newFakeUploader(t)
	up.remote = remoteFixture()
	return newDriverWith(t, testOptions(makeTree(t)), up, width, height)
}

// TestGoldenRemote is the Remote screen over the fake server's files: the
// tree, and the focused file's sha256, tags and time.
func TestGoldenRemote(t *testing.T) {
	d := newRemoteDriver(t, 80, 24)
	d.keys("R")
	d.requireView("[Remote]", "a/", "sub/", "photo.jpg", "4 files")
	d.keys("down", "down", "down", "down") // b/sub/notes.txt
	d.requireView("sha256 "+strings.Repeat("2b", 32), "tags: work, old")
	requireGoldenView(t, d.view())
}

// TestRemoteDirectoriesCollapse: enter closes and opens a directory, left
// closes the one the cursor is in.
func TestRemoteDirectoriesCollapse(t *testing.T) {
	d := newRemoteDriver(t, 80, 24)
	d.keys("tab", "tab", "tab") // Browse → Review → Upload → Remote
	d.requireView("[Remote]", "photo.jpg")
	d.keys("down", "down", "enter") // b/
	d.rejectView("photo.jpg")
	d.requireView("▸ b/", "2 files")
	d.keys("enter", "down", "down", "left", "left") // in b/sub: up to sub, close it
	d.requireView("▸ sub/")
	d.rejectView("photo.jpg")
}

// TestRemoteRemovalAsksFirst: x on a file asks; n leaves everything as
// it was, y calls Remove with the file's path and drops it from the tree.
func TestRemoteRemovalAsksFirst(t *testing.T) {
	d := newRemoteDriver(t, 80, 24)
	d.keys("R", "down") // a/notes.txt
	d.keys("x")
	d.requireView("Remove a/notes.txt (2.0 KiB) from the server?")
	d.keys("n")
	d.rejectView("Remove a/notes.txt")
	d.requireView("notes.txt")
	if calls := d.up.callLog(); len(calls) != 0 {
		t.Fatalf("n called %v", calls)
	}
	d.keys("x", "y")
	if calls := d.up.callLog(); !slices.Equal(calls, []string{"remove a/notes.txt"}) {
		t.Fatalf("calls = %v, want one removal of a/notes.txt", calls)
	}
	d.requireView("removed from the server: a/notes.txt", "3 files")
	d.rejectView("▾ a/")

	d.keys("g", "x") // a directory: nothing to remove
	d.requireView("nothing to remove")
}

// TestRemoteFiltersByTag: f, a tag and enter list only the files with it.
func TestRemoteFiltersByTag(t *testing.T) {
	d := newRemoteDriver(t, 80, 24)
	d.keys("R", "f", "work", "enter")
	d.requireView(`tag "work"`, "2 files", "notes.txt")
	d.rejectView("photo.jpg", "readme.md")
	d.keys("f", "backspace", "backspace", "backspace", "backspace", "enter")
	d.requireView("4 files", "photo.jpg")
}

// TestRemoteListingErrorOpensInDetails: a listing that fails says so in
// the status line, and d opens it in full.
func TestRemoteListingErrorOpensInDetails(t *testing.T) {
	up := newFakeUploader(t)
	up.listErr = errors.New("dial tcp 127.0.0.1:7800: connect: connection refused")
	d := newDriverWith(t, testOptions(makeTree(t)), up, 80, 24)
	d.keys("R")
	d.requireView("error: listing your files on the server: dial tcp")
	d.keys("d")
	d.requireView("Error", "What to do", "connect: connection", "Nothing listens")
}

// TestRemoteLoadsInPages: a listing larger than a page arrives page by
// page, and the tree holds every file at the end.
func TestRemoteLoadsInPages(t *testing.T) {
	up := newFakeUploader(t)
	for i := range 3*remotePageSize + 7 {
		up.remote = append(up.remote, client.RemoteFile{Path: "many/" + strings.Repeat("f", 1+i%3) + "-" + time.Duration(i).String(), Size: 1})
	}
	slices.SortFunc(up.remote, byRemotePath)
	d := newDriverWith(t, testOptions(makeTree(t)), up, 80, 24)
	d.keys("R")
	d.requireView("1,507 files")
	if len(d.m.remote.rows) != 3*remotePageSize+8 {
		t.Fatalf("%d rows, want every file and their directory", len(d.m.remote.rows))
	}
}

// TestRemoteShowsLoadingWithoutBlocking: while the listing is on its way
// the screen says loading… and keys still work; the files show when it
// answers.
func TestRemoteShowsLoadingWithoutBlocking(t *testing.T) {
	up := newFakeUploader(t)
	up.remote = remoteFixture()
	up.listGate = make(chan struct{})
	d := newDriverWith(t, testOptions(makeTree(t)), up, 80, 24)
	_, cmd := d.m.Update(keyMsgs("R")[0]) // the page reader, not run yet
	d.requireView("[Remote]", "loading…")
	d.keys("tab") // the UI answers keys meanwhile
	d.requireView("[Browse")
	d.keys("R")
	d.requireView("loading…")
	close(up.listGate)
	d.run(cmd)
	d.requireView("Your files on the server: 4 files", "photo.jpg")
	d.rejectView("loading…")
}

// TestRemoteRefreshes: r lists again, and so does an upload finishing.
func TestRemoteRefreshes(t *testing.T) {
	d := newRemoteDriver(t, 80, 24)
	d.keys("R")
	d.requireView("4 files")
	d.up.mu.Lock()
	d.up.remote = append(d.up.remote, client.RemoteFile{Path: "zz/new.txt", Size: 5})
	d.up.mu.Unlock()
	d.keys("r")
	d.requireView("5 files", "new.txt")

	d.keys("esc", "space", "u", "enter") // docs, as a job
	d.up.mu.Lock()
	d.up.remote = append(d.up.remote, client.RemoteFile{Path: "zz/newer.txt", Size: 5})
	d.up.mu.Unlock()
	d.events(&client.JobEvent{Job: testJobID(1), At: fixedNow, Kind: client.JobDone, Parts: 1})
	d.keys("R")
	d.requireView("6 files", "newer.txt")
}
