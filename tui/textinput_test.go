package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestDeleteWordForwardAtTheEnd deletes the last word with alt+d in the tag
// editor and in the filter, where bubbles/textinput itself panicked.
func TestDeleteWordForwardAtTheEnd(t *testing.T) {
	altD := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'d'}, Alt: true}

	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.keys("t", "one two", "left", "left")
	d.send(altD)
	if got := d.m.tags.input.Value(); got != "one t" {
		t.Fatalf("tag input = %q after alt+d, want %q", got, "one t")
	}
	d.keys("esc", "esc", "/", "docs", "left")
	d.send(altD)
	if got := d.m.browse.list.FilterValue(); got != "doc" {
		t.Fatalf("filter = %q after alt+d, want %q", got, "doc")
	}
	d.requireView("1 entry", "docs/") // the filter "doc" applied at once
	d.rejectView("photos/")
}
