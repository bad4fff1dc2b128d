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

func (l *eventLog) add(line logLine) {
	if line.text == "" {
		return
	}
	if len(l.lines) == maxLogLines {
		l.lines = append(l.lines[:0], l.lines[maxLogLines/10:]...)
	}
	l.lines = append(l.lines, line)
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
