package tui

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/hoist-dev/hoist/internal/units"
)

// browseDelegate renders one directory entry per line:
//
//	> [x] name.txt            1.2 KiB  Mar  3 10:04
//
// The cursor is a marker and the selection a checkbox, never only a colour.
// Directories read "[x]" when selected as a whole and "[-]" when some of the
// files below them are selected.
type browseDelegate struct {
	styles *Styles
	sel    *selection
	now    func() time.Time
	// skipLinkedDirs shows links to directories as links, greyed.
	skipLinkedDirs bool
}

// Checkbox markers.
const (
	markNone    = "[ ]"
	markChecked = "[x]"
	markPartial = "[-]"
	markBlocked = "[!]"
)

// Columns, in cells.
const (
	sizeColumn = 10
	timeColumn = 12
)

func (d browseDelegate) Height() int                         { return 1 }
func (d browseDelegate) Spacing() int                        { return 0 }
func (d browseDelegate) Update(tea.Msg, *list.Model) tea.Cmd { return nil }

func (d browseDelegate) Render(w io.Writer, m list.Model, index int, item list.Item) {
	e, ok := item.(entry)
	if !ok {
		return
	}
	width := m.Width()
	cursor := "  "
	if index == m.Index() {
		cursor = d.styles.Cursor.Render("> ")
	}

	mark := d.mark(e)
	var meta []string
	if width >= 40 {
		meta = append(meta, fmt.Sprintf("%*s", sizeColumn, d.sizeText(e)))
	}
	if width >= 60 {
		meta = append(meta, fmt.Sprintf("%-*s", timeColumn, formatModTime(e.modTime, d.now())))
	}
	metaText := strings.Join(meta, "  ")

	nameWidth := width - 2 - lipgloss.Width(mark) - 1 - lipgloss.Width(metaText) - 2
	onServer := ""
	if e.onServer && nameWidth > 2*len(onServerMark) {
		onServer = d.styles.Meta.Render(onServerMark)
		nameWidth -= lipgloss.Width(onServerMark)
	}
	name := d.name(e, nameWidth, m.MatchesForItem(index)) + onServer
	line := cursor + mark + " " + name
	pad := max(1, width-lipgloss.Width(line)-lipgloss.Width(metaText))
	fmt.Fprint(w, truncate(line+strings.Repeat(" ", pad)+d.styles.Meta.Render(metaText), width))
}

func (d browseDelegate) mark(e entry) string {
	switch {
	case e.err != nil:
		return d.styles.Unreadable.Render(markBlocked)
	case e.dir && d.sel.wholeDir(e.path):
		return d.styles.Checked.Render(markChecked)
	case e.dir && d.sel.countUnder(e.path) > 0:
		return d.styles.Checked.Render(markPartial)
	case !e.dir && d.sel.has(e.path):
		return d.styles.Checked.Render(markChecked)
	}
	return markNone
}

func (d browseDelegate) sizeText(e entry) string {
	switch {
	case e.err != nil:
		return e.problem()
	case e.excluded:
		return "excluded"
	case e.dir:
		if n := d.sel.countUnder(e.path); n > 0 {
			return fmt.Sprintf("%d sel", n)
		}
		if e.link {
			return "dir link"
		}
		return "dir"
	case !e.regular:
		return "special"
	}
	return units.FormatSize(e.size)
}

// name renders the entry's name with "/" after directories and "@" after
// links (as ls -F does), the fuzzy matches underlined.
func (d browseDelegate) name(e entry, width int, matches []int) string {
	notFollowed := e.dir && e.link && d.skipLinkedDirs
	suffix := ""
	switch {
	case e.dir && !notFollowed:
		suffix = "/"
	case e.link:
		suffix = "@"
	}
	// Shown inert here already (as View does for the whole screen), so that
	// the row is laid out at the width it is drawn with.
	name := truncate(inertControls(e.name), width-len(suffix))
	base := d.styles.File
	switch {
	case e.err != nil:
		base = d.styles.Unreadable
	case notFollowed, e.excluded:
		base = d.styles.Meta
	case e.dir:
		base = d.styles.Dir
	}
	var styled string
	if len(matches) > 0 {
		runes := utf8.RuneCountInString(name)
		in := make([]int, 0, len(matches))
		for _, i := range matches {
			if i < runes {
				in = append(in, i)
			}
		}
		styled = lipgloss.StyleRunes(name, in, base.Inherit(d.styles.Match), base)
	} else {
		styled = base.Render(name)
	}
	return styled + base.Render(suffix)
}
