package tui

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// level grades a log line; each level has its own symbol, so the log reads
// the same without colour.
type level int

const (
	levelInfo level = iota
	levelOK
	levelWarn
	levelError
)

// logLine is one line of the event log.
type logLine struct {
	at    time.Time
	level level
	text  string
}

// maxLogLines bounds the event log's memory.
const maxLogLines = 1000

// eventLog keeps the latest log lines: reconnects, retries and why,
// verifications, failures.
type eventLog struct {
	lines []logLine
}

// add appends line: live events come in the order they happen.
func (l *eventLog) add(line logLine) {
	l.insertAt(line, len(l.lines))
}

// addReplayed puts a line replayed on attaching to the agent (a job's notes
// and skipped paths from before this UI came) where its time puts it among
// the lines already there, after those of the same time: the log stays a
// timeline when several jobs are adopted at once. A line without a time
// goes at the end.
func (l *eventLog) addReplayed(line logLine) {
	i := len(l.lines)
	for !line.at.IsZero() && i > 0 && l.lines[i-1].at.After(line.at) {
		i--
	}
	l.insertAt(line, i)
}

func (l *eventLog) insertAt(line logLine, i int) {
	if line.text == "" {
		return
	}
	if len(l.lines) == maxLogLines {
		drop := maxLogLines / 10
		l.lines = append(l.lines[:0], l.lines[drop:]...)
		i = max(0, i-drop)
	}
	l.lines = slices.Insert(l.lines, i, line)
}

// render returns the last height screen lines of the log, ending scroll
// entries before the newest. Long entries wrap, indented under their text.
func (l *eventLog) render(s *Styles, width, height, scroll int) string {
	if height <= 0 {
		return ""
	}
	if len(l.lines) == 0 {
		return s.Meta.Render("(no events yet)")
	}
	const indent = 11 // "15:04:05 ! "
	var out []string  // newest first
	for i := len(l.lines) - 1 - min(scroll, len(l.lines)-1); i >= 0; i-- {
		line := l.lines[i]
		sym, style := "·", s.Meta
		switch line.level {
		case levelOK:
			sym, style = "✓", s.StateOK
		case levelWarn:
			sym, style = "!", s.StateWarn
		case levelError:
			sym, style = "✗", s.StateFailed
		}
		text := line.text
		if width > indent+10 {
			text = ansi.Wrap(text, width-indent, "")
		}
		parts := strings.Split(text, "\n")
		if len(out)+len(parts) > height {
			if len(out) > 0 {
				break // only whole entries, but the newest
			}
			parts = parts[:height]
		}
		for j := len(parts) - 1; j >= 0; j-- {
			prefix := strings.Repeat(" ", indent)
			if j == 0 {
				prefix = line.at.Format("15:04:05") + " " + sym + " "
			}
			out = append(out, style.Render(truncate(prefix+parts[j], width)))
		}
	}
	slices.Reverse(out)
	return strings.Join(out, "\n")
}
