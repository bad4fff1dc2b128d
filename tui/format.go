package tui

import (
	"github.com/dustin/go-humanize"

	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// formatDuration renders a duration for humans at a glance: "4s", "2m05s",
// "1h03m". Negative durations render as "0s".
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	default:
		return fmt.Sprintf("%ds", s)
	}
}

// formatModTime renders a modification time ls-style: time of day for this
// year's files, the year for older ones.
func formatModTime(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	if t.Year() == now.Year() {
		return t.Format("Jan _2 15:04")
	}
	return t.Format("Jan _2  2006")
}

// plural returns "1 file", "2 files", "2,500 files".
func plural(n int, one, many string) string {
	if n == 1 {
		return count(n) + " " + one
	}
	return count(n) + " " + many
}

// count writes n with thousands separated: "100,000".
func count(n int) string { return humanize.Comma(int64(n)) }

// truncate shortens s to at most width cells, ending in "…" when cut.
func truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, "…")
}

// spread lays left and right out on one line of width cells, right-aligned
// right. When both do not fit, left is truncated first.
func spread(left, right string, width int) string {
	lw, rw := lipgloss.Width(left), lipgloss.Width(right)
	if lw+1+rw > width {
		left = truncate(left, width-rw-1)
		lw = lipgloss.Width(left)
		if lw+1+rw > width {
			return truncate(left+" "+right, width)
		}
	}
	return left + strings.Repeat(" ", width-lw-rw) + right
}

// fitLines pads or cuts s to exactly height lines.
func fitLines(s string, height int) string {
	if height <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// scrollWindow returns the first line to show so that line cursor stays
// visible in a window of height lines over total lines, keeping the previous
// offset when it already shows the cursor.
func scrollWindow(offset, cursor, total, height int) int {
	if height <= 0 || total <= height {
		return 0
	}
	if cursor < offset {
		offset = cursor
	}
	if cursor >= offset+height {
		offset = cursor - height + 1
	}
	return max(0, min(offset, total-height))
}

// rule draws a titled horizontal line: "── title ─────".
func rule(s *Styles, title string, width int) string {
	head := "── " + title + " "
	return truncate(s.Heading.Render(head)+s.Meta.Render(strings.Repeat("─", max(0, width-lipgloss.Width(head)))), width)
}
