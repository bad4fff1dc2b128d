package tui

import (
	"strings"
	"unicode/utf8"
)

// Names on screen come from outside: local file names, the server's
// listing, its error messages, paths in a job's events. A name may hold
// control characters, and a terminal obeys them: an escape sequence can
// set the window title, move the cursor or clear the screen. The view is
// made inert as a whole, last, so that no screen can forget it: every
// control character is shown as a visible symbol, except the colour
// sequences (SGR) that the styles write themselves.

// inertControls returns line with every control character but SGR
// sequences replaced by a visible symbol of width 1 (␛ for ESC, ␇ for BEL,
// and so on; � for C1 controls, which some terminals obey as well).
func inertControls(line string) string {
	var b strings.Builder
	copied := 0 // line[:copied] is in b (or needs no change)
	for i := 0; i < len(line); {
		c := line[i]
		size := 1
		switch {
		case c >= 0x20 && c < 0x7f:
			i++
			continue
		case c == '\x1b':
			if n := sgrLen(line[i:]); n > 0 {
				i += n
				continue
			}
		case c >= 0x80:
			// In UTF-8 only U+0080 to U+009F (C2 80 to C2 9F) are controls.
			if c != 0xc2 || i+1 == len(line) || line[i+1] < 0x80 || line[i+1] > 0x9f {
				i++
				continue
			}
			size = 2
		}
		r, _ := utf8.DecodeRuneInString(line[i : i+size])
		if b.Len() == 0 {
			b.Grow(len(line) + 8)
		}
		b.WriteString(line[copied:i])
		b.WriteRune(controlPicture(r))
		i += size
		copied = i
	}
	if copied == 0 {
		return line
	}
	b.WriteString(line[copied:])
	return b.String()
}

// controlPicture is the visible stand-in for control character r.
func controlPicture(r rune) rune {
	switch {
	case r < 0x20:
		return 0x2400 + r // ␀ to ␟
	case r == 0x7f:
		return '␡'
	}
	return utf8.RuneError
}

// sgrLen returns the length of the SGR sequence (ESC [ digits and ; or :
// then m) that s starts with, or 0 if it starts with anything else.
func sgrLen(s string) int {
	if len(s) < 3 || s[0] != '\x1b' || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c == 'm':
			return i + 1
		case c >= '0' && c <= '9' || c == ';' || c == ':':
		default:
			return 0
		}
	}
	return 0
}
