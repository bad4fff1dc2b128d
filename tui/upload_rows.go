package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/client"
)

// fileRows draws every upload's header and files, scrolled so that the
// focused file shows, in height lines.
func (u *uploadScreen) fileRows(now time.Time, height int) string {
	var lines []string
	focusLine, topLine, idx := 0, 0, 0
	for _, t := range u.uploads {
		lines = append(lines, u.uploadHeader(t))
		for i := range t.files {
			if idx == u.focus {
				focusLine, topLine = len(lines), len(lines)
				if i == 0 {
					topLine-- // the first file brings its upload's header
				}
			}
			lines = append(lines, u.fileRow(t, &t.files[i], idx == u.focus, now)...)
			idx++
		}
	}
	// Keep the focused file's rows on screen, and its upload's header
	// when it is the upload's first file.
	rowHeight := 2
	if u.narrow() {
		rowHeight = 1
	}
	u.offset = scrollWindow(u.offset, min(len(lines)-1, focusLine+rowHeight-1), len(lines), height)
	u.offset = scrollWindow(u.offset, topLine, len(lines), height)
	end := min(len(lines), u.offset+height)
	return fitLines(strings.Join(lines[u.offset:end], "\n"), height)
}

func (u *uploadScreen) uploadHeader(t *tracked) string {
	s := u.styles
	if t.job != nil {
		return truncate(s.Heading.Render(u.jobHeader(t))+u.sessionWord(t), u.width)
	}
	acked, total := t.size()
	text := fmt.Sprintf("Upload %d · %s · %s · tags: %s · ", t.num,
		plural(len(t.files), "file", "files"), percent(acked, total), tagList(t.tags))
	if u.narrow() {
		text = fmt.Sprintf("Upload %d · %s · ", t.num, percent(acked, total))
	}
	return truncate(s.Heading.Render(text)+u.sessionWord(t), u.width)
}

// fileRow draws one file: two lines on a roomy screen,
//
//	> a.bin                                   13/25 chunks · 52% · ↑ sending
//	  ███████████░░░░░░░░░  2 in flight · 1 retry · 1.2 MiB/s · ETA 3s
//
// and one line on a narrow one.
func (u *uploadScreen) fileRow(t *tracked, f *trackedFile, focused bool, now time.Time) []string {
	s := u.styles
	marker := "  "
	if focused {
		marker = s.Cursor.Render("> ")
	}
	state := u.fileStateWord(t, f)
	frac := 0.0
	if f.Size > 0 {
		frac = float64(f.AckedBytes) / float64(f.Size)
	} else if f.State == client.FileVerified {
		frac = 1
	}
	pct := percent(f.AckedBytes, f.Size)

	if u.narrow() {
		right := truncate(pct+" "+state, (u.width-2)*2/3)
		return []string{marker + spread(storedName(f), right, u.width-2)}
	}

	chunks := units.FormatSize(f.Size)
	if f.Chunks > 0 {
		chunks = fmt.Sprintf("%d/%d chunks", f.AckedChunks, f.Chunks)
	}
	right := truncate(chunks+" · "+pct+" · "+state, (u.width-2)*3/4)
	line1 := marker + spread(storedName(f), right, u.width-2)

	var stats []string
	switch f.State {
	case client.FileVerified:
		stats = []string{plural(f.Retries, "retry", "retries"), "sha256 " + shortHash(f.SHA256)}
	case client.FileFailed:
		stats = []string{plural(f.Retries, "retry", "retries")}
	default:
		if !t.sending() {
			// Paused, backing off, over: no bytes move, so no rate, no
			// ETA, nothing in flight.
			stats = []string{plural(f.Retries, "retry", "retries")}
			break
		}
		rate := f.rate.PerSecond(now)
		stats = []string{fmt.Sprintf("%d in flight", f.InFlight), plural(f.Retries, "retry", "retries"), units.FormatRate(rate)}
		if d, ok := eta(f.Size-f.AckedBytes, rate); ok {
			stats = append(stats, "ETA "+formatDuration(d))
		} else {
			stats = append(stats, "ETA —")
		}
	}
	statText := strings.Join(stats, " · ")
	barWidth := u.width - 4 - lipgloss.Width(statText)
	if barWidth < 10 {
		barWidth = u.width - 4
		statText = ""
	}
	u.bar.Width = barWidth
	line2 := "  " + u.bar.ViewAs(frac)
	if statText != "" {
		line2 += "  " + s.Meta.Render(statText)
	}
	return []string{line1, truncate(line2, u.width)}
}

// sessionWord names an upload's session state with a symbol and a word.
func (u *uploadScreen) sessionWord(t *tracked) string {
	s := u.styles
	if t.startErr != nil {
		return s.StateFailed.Render("✗ not started")
	}
	if j := t.job; j != nil && !j.done {
		switch {
		case j.part == 0:
			return s.StateActive.Render("⋯ walking")
		case t.state.Final():
			return s.StateActive.Render("⋯ next part")
		}
	}
	switch t.state {
	case client.StateQueued:
		return s.StateIdle.Render("… waiting")
	case client.StateConnecting, client.StateAuthenticating:
		return s.StateActive.Render("⇄ " + t.state.String())
	case client.StateSending:
		return s.StateActive.Render("↑ sending")
	case client.StateBackingOff:
		return s.StateWarn.Render("↻ backing off")
	case client.StatePaused:
		return s.StateIdle.Render("‖ paused")
	case client.StateDone:
		return s.StateOK.Render("✓ done")
	case client.StateFailed:
		return s.StateFailed.Render("✗ failed")
	case client.StateCanceled:
		return s.StateIdle.Render("⊘ canceled")
	}
	return t.state.String()
}

// fileStateWord names a file's state; while the session is not sending, a
// file that has not finished shares its upload's state.
func (u *uploadScreen) fileStateWord(t *tracked, f *trackedFile) string {
	s := u.styles
	switch f.State {
	case client.FileVerified:
		return s.StateOK.Render("✓ verified")
	case client.FileFailed:
		return s.StateFailed.Render("✗ failed: " + errText(f.Err, "unknown reason"))
	}
	if t.startErr != nil {
		return s.StateFailed.Render("✗ failed: " + t.startErr.Error())
	}
	switch t.state {
	case client.StateFailed:
		return s.StateFailed.Render("✗ failed: " + errText(t.lastErr, "unknown reason"))
	case client.StateSending:
	default:
		return u.sessionWord(t)
	}
	switch f.State {
	case client.FileSending:
		return s.StateActive.Render("↑ sending")
	case client.FileVerifying:
		return s.StateActive.Render("⋯ verifying")
	}
	return s.StateIdle.Render("… waiting")
}

// storedName is a file's name, and the path the server stored it under
// when that is another one.
func storedName(f *trackedFile) string {
	if f.Stored != "" && f.Stored != f.Name {
		return f.Name + " → stored as " + f.Stored
	}
	return f.Name
}
