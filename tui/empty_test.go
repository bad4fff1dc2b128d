package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmptyDirectorySaysSoOnce(t *testing.T) {
	home := makeTree(t)
	empty := filepath.Join(home, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, testOptions(home), 80, 12)
	d.keys("down", "enter")
	v := d.view()
	if n := strings.Count(v, "is empty") + strings.Count(v, "No entries"); n != 1 {
		t.Fatalf("the empty directory is announced %d times:\n%s", n, v)
	}
	d.requireView("~/empty", "This directory is empty.")

	// Hidden entries only: say how to see them.
	if err := os.WriteFile(filepath.Join(empty, ".profile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d.keys("backspace", "enter") // read it again
	d.requireView("Only 1 hidden entry here: . shows them.")
	d.keys(".")
	d.requireView(".profile")
	d.rejectView("hidden entry here")
}
