package tui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestQueueGroupsCarryTheirOwnTags(t *testing.T) {
	home := makeTree(t)
	d := newDriver(t, testOptions(home), 80, 24)

	// Group 1: two files from two directories, tagged "photos".
	d.keys("enter", "down", "space", "backspace", "down", "enter", "down", "space")
	d.keys("t", "photos", "enter", "esc")
	if !slices.Equal(d.m.pendingTags, []string{"hoist", "photos"}) {
		t.Fatalf("selection tags = %q", d.m.pendingTags)
	}
	d.keys("u")
	if d.m.screen != screenReview {
		t.Fatal("u did not show the review")
	}
	d.requireView("Upload 1 · 2 files · 3.0 MiB · tags: hoist, photos", "notes.txt", "beach.jpg")
	if d.m.sel.len() != 0 {
		t.Fatal("queueing left the selection in place")
	}
	if !slices.Equal(d.m.pendingTags, []string{"hoist"}) {
		t.Fatalf("after queueing, tags = %q, want the defaults back", d.m.pendingTags)
	}

	// Group 2: one file, the default tag removed, "misc" added.
	d.keys("esc", "down", "space", "t", "backspace", "misc", "enter", "esc", "u")
	d.requireView("Upload 2 · 1 file · 1.0 MiB · tags: misc", "2 uploads, 3 files, 4.0 MiB to tcp://127.0.0.1:7800")

	// Retag group 1 from the review.
	d.keys("up", "t", "2024", "enter", "esc")
	d.requireView("tags: hoist, photos, 2024")

	d.keys("enter")
	if d.m.screen != screenUpload {
		t.Fatal("enter in the review did not show the uploads")
	}
	started := d.up.startedUploads()
	if len(started) != 2 {
		t.Fatalf("%d uploads started, want 2", len(started))
	}
	want := []Upload{
		{FID: testFID(1), Tags: []string{"hoist", "photos", "2024"}, Files: []File{
			{Path: filepath.Join(home, "docs", "notes.txt"), Name: "notes.txt", Size: 2048},
			{Path: filepath.Join(home, "photos", "beach.jpg"), Name: "beach.jpg", Size: 3 << 20},
		}},
		{FID: testFID(2), Tags: []string{"misc"}, Files: []File{
			{Path: filepath.Join(home, "photos", "cat.jpg"), Name: "cat.jpg", Size: 1 << 20},
		}},
	}
	for i := range want {
		if !uploadsEqual(started[i], want[i]) {
			t.Errorf("upload %d = %+v, want %+v", i+1, started[i], want[i])
		}
	}
	if len(d.m.review.queue) != 0 {
		t.Fatal("starting left uploads in the queue")
	}
	d.requireView("Upload 1 · 2 files", "Upload 2 · 1 file", "… waiting")
}

func uploadsEqual(a, b Upload) bool {
	return a.FID == b.FID && slices.Equal(a.Tags, b.Tags) && slices.Equal(a.Files, b.Files)
}

func TestQueueRefusesWhatCannotBeUploaded(t *testing.T) {
	home := makeTree(t)
	if err := os.WriteFile(filepath.Join(home, "docs", "cat.jpg"), []byte("another cat"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, testOptions(home), 80, 24)
	d.keys("u")
	d.requireView("error: nothing selected")
	if len(d.m.review.queue) != 0 {
		t.Fatal("an empty selection was queued")
	}

	// Two files named cat.jpg, each picked on its own: files picked
	// alone go up by name. (Picked with their directories they go up
	// with their paths: TestDirectoriesGoUpAsOneJob.)
	d.keys("enter", "down", "space", "backspace", "down", "enter", "down", "down", "space")
	d.requireSelected("cat.jpg", "cat.jpg")
	d.keys("u")
	d.requireView(`error: two selected files are both named "cat.jpg"`)
	if len(d.m.review.queue) != 0 || d.m.sel.len() != 2 {
		t.Fatal("a refused queueing changed the queue or the selection")
	}

	d.keys("r", "enter")
	d.requireView("error: the queue is empty")
	if len(d.up.startedUploads()) != 0 {
		t.Fatal("an empty queue started uploads")
	}
}

func TestReviewRemovesQueuedUploads(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.keys("G", "space", "u", "esc", "up", "space", "u")
	d.requireView("Upload 1 · 1 file", "readme.md", "Upload 2 · 1 file", "archive.tar")
	d.keys("up", "x")
	d.requireView("Upload 1 · 1 file", "archive.tar")
	d.rejectView("readme.md")
	d.keys("x")
	d.requireView("The queue is empty")
}

func TestTagEditorRefusesWhatTheServerWould(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.keys("t")
	for _, bad := range []string{"a,b", strings.Repeat("x", maxTagBytes+1), "hoist"} {
		d.keys(bad, "enter")
		if !strings.Contains(d.view(), "refused") {
			t.Fatalf("tag %q was not refused:\n%s", bad, d.view())
		}
		d.m.tags.input.Reset()
	}
	d.keys("zero\u200bwidth", "enter")
	d.requireView("unprintable")
	d.m.tags.input.Reset()
	for i := len(d.m.tags.tags); i < maxTags; i++ {
		d.keys("t"+strings.Repeat("x", i), "enter")
	}
	d.keys("one-too-many", "enter")
	d.requireView("at most 32 tags")
	d.keys("esc")
	if len(d.m.pendingTags) != maxTags {
		t.Fatalf("%d tags kept, want %d", len(d.m.pendingTags), maxTags)
	}
}

func TestTagEditorRemovesAndCompletes(t *testing.T) {
	opts := testOptions(makeTree(t))
	opts.DefaultTags = []string{"hoist", "backup"}
	d := newDriver(t, opts, 80, 24)
	d.send(tagHistoryMsg{tags: []string{"holiday", "work"}})
	d.keys("t", "a", "enter", "b", "enter") // tags: hoist backup a b
	d.keys("left", "backspace")             // removes "a"
	if got := d.m.tags.tags; !slices.Equal(got, []string{"hoist", "backup", "b"}) {
		t.Fatalf("tags = %q", got)
	}
	d.keys("left", "left", "delete") // removes "hoist"
	if got := d.m.tags.tags; !slices.Equal(got, []string{"backup", "b"}) {
		t.Fatalf("tags = %q", got)
	}
	d.requireView("tab completes hoist; also: holiday  work")
	d.keys("wo", "tab", "enter")
	d.keys("esc")
	if !slices.Equal(d.m.pendingTags, []string{"backup", "b", "work"}) {
		t.Fatalf("tags = %q", d.m.pendingTags)
	}
}

func TestReviewScrollsToTheFocusedUpload(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 8)
	d.keys("space", "u", "esc", "space", "u", "esc", "G", "space", "u") // docs, photos, readme.md
	d.requireView("> Upload 3 · 1 file", "readme.md")
	d.rejectView("Upload 1 ·")
	d.keys("up", "up")
	// Trees show their roots, with what was selected below them.
	d.requireView("> Upload 1 · 3 files", "~/docs", "3 files · 123 KiB")
	d.rejectView("Upload 3 ·")
}
