package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestHelpShowsEveryKeyAtAnySize scrolls through the help at sizes down to
// 40x10: every binding of every section shows whole, none cut to "…".
func TestHelpShowsEveryKeyAtAnySize(t *testing.T) {
	d := newDriver(t, testOptions(makeTree(t)), 80, 24)
	d.keys("?")
	for _, size := range [][2]int{{120, 40}, {80, 24}, {60, 15}, {50, 12}, {40, 10}} {
		d.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		d.m.helpOffset = 0
		var seen strings.Builder
		for range 100 {
			v := d.view()
			lines := strings.Split(v, "\n")
			content := lines[1 : len(lines)-2] // between the header and the status line
			for _, l := range content {
				if strings.HasSuffix(strings.TrimRight(l, " "), "…") {
					t.Errorf("at %dx%d the help cuts a line: %q", size[0], size[1], l)
				}
			}
			seen.WriteString(strings.Join(content, "\n") + "\n")
			if !strings.Contains(v, "↓ more") {
				break
			}
			d.keys("down")
		}
		for _, sec := range d.m.keys.helpSections() {
			for _, g := range sec.groups {
				for _, b := range g {
					h := b.Help()
					if !strings.Contains(seen.String(), h.Key) || !strings.Contains(seen.String(), h.Desc) {
						t.Errorf("at %dx%d the help never shows %q %q", size[0], size[1], h.Key, h.Desc)
					}
				}
			}
		}
	}
}
