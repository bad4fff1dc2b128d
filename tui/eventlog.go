package tui

import (
	"strings"
	"time"
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

// render returns the height lines that end scroll lines before the newest.
func (l *eventLog) render(s *Styles, width, height, scroll int) string {
	if height <= 0 {
		return ""
	}
	end := max(0, len(l.lines)-scroll)
	start := max(0, end-height)
	var b strings.Builder
	for i, line := range l.lines[start:end] {
		if i > 0 {
			b.WriteByte('\n')
		}
		sym, style := "·", s.Meta
		switch line.level {
		case levelOK:
			sym, style = "✓", s.StateOK
		case levelWarn:
			sym, style = "!", s.StateWarn
		case levelError:
			sym, style = "✗", s.StateFailed
		}
		text := line.at.Format("15:04:05") + " " + sym + " " + line.text
		b.WriteString(style.Render(truncate(text, width)))
	}
	if len(l.lines) == 0 {
		b.WriteString(s.Meta.Render("(no events yet)"))
	}
	return b.String()
}
