package tui

import (
	"unicode"

	"github.com/charmbracelet/bubbles/textinput"
)

// deleteWordForward deletes from the cursor to the end of the next word,
// as alt+d does in a shell. The text inputs (tag editor, filter) do it
// here: bubbles/textinput v1.0.0's own reads past the end of the value when
// the cursor is on its last word, and panics.
func deleteWordForward(in *textinput.Model) {
	v := []rune(in.Value())
	pos := min(in.Position(), len(v))
	end := pos
	for end < len(v) && unicode.IsSpace(v[end]) {
		end++
	}
	for end < len(v) && !unicode.IsSpace(v[end]) {
		end++
	}
	if end == pos {
		return
	}
	in.SetValue(string(v[:pos]) + string(v[end:]))
	in.SetCursor(pos)
}
