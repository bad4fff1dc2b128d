package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/internal/units"
)

// resumeOffer is shown at start when the engine's journal holds uploads an
// earlier run left unfinished: pick which to continue now. Those not picked
// stay in the journal for next time.
type resumeOffer struct {
	keys    *KeyMap
	styles  *Styles
	now     func() time.Time
	entries []Unfinished
	picked  []bool
	cursor  int
	offset  int
	width   int
	height  int
}

func newResumeOffer(keys *KeyMap, styles *Styles, now func() time.Time) *resumeOffer {
	return &resumeOffer{keys: keys, styles: styles, now: now}
}

// set offers entries, all picked.
func (r *resumeOffer) set(entries []Unfinished) {
	r.entries = entries
	r.picked = make([]bool, len(entries))
	for i := range r.picked {
		r.picked[i] = true
	}
	r.cursor = 0
}

// chosen returns the picked entries.
func (r *resumeOffer) chosen() []Unfinished {
	var out []Unfinished
	for i, e := range r.entries {
		if r.picked[i] {
			out = append(out, e)
		}
	}
	return out
}

// SetSize implements component.
func (r *resumeOffer) SetSize(width, height int) { r.width, r.height = width, height }

// ShortHelp implements component.
func (r *resumeOffer) ShortHelp() []key.Binding {
	k := r.keys
	return []key.Binding{k.ResumeSelected, k.Toggle, k.Up, k.Down, k.Skip, k.Quit}
}

// FullHelp implements component.
func (r *resumeOffer) FullHelp() [][]key.Binding {
	k := r.keys
	return [][]key.Binding{{k.Up, k.Down, k.Toggle}, {k.ResumeSelected, k.Skip}}
}

func (r *resumeOffer) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || len(r.entries) == 0 {
		return nil
	}
	switch k := r.keys; {
	case key.Matches(km, k.Up):
		r.cursor = max(0, r.cursor-1)
	case key.Matches(km, k.Down):
		r.cursor = min(len(r.entries)-1, r.cursor+1)
	case key.Matches(km, k.Toggle):
		r.picked[r.cursor] = !r.picked[r.cursor]
	}
	return nil
}

func (r *resumeOffer) view() string {
	s := r.styles
	head := s.Heading.Render("Unfinished uploads from an earlier run") + "\n" +
		s.Meta.Render(truncate("Resuming sends only the chunks the server does not hold yet.", r.width)) + "\n"
	var lines []string
	cursorLine := 0
	for i, e := range r.entries {
		marker := "  "
		if i == r.cursor {
			marker = s.Cursor.Render("> ")
			cursorLine = len(lines)
		}
		box := markNone
		if r.picked[i] {
			box = s.Checked.Render(markChecked)
		}
		var size uint64
		names := make([]string, len(e.Files))
		for j, f := range e.Files {
			size += f.Size
			names[j] = f.Name
		}
		title := fmt.Sprintf("%s · %s · tags: %s", plural(len(e.Files), "file", "files"), units.FormatSize(size), tagList(e.Tags))
		if !e.Started.IsZero() {
			title += " · started " + formatModTime(e.Started, r.now())
		}
		lines = append(lines,
			truncate(marker+box+" "+title, r.width),
			truncate("      "+s.Meta.Render(strings.Join(names, ", ")+" → "+e.Server+" (fid "+e.FID+")"), r.width))
	}
	body := max(1, r.height-3)
	r.offset = scrollWindow(r.offset, cursorLine+1, len(lines), body)
	r.offset = scrollWindow(r.offset, cursorLine, len(lines), body)
	end := min(len(lines), r.offset+body)
	return fitLines(head+"\n"+strings.Join(lines[r.offset:end], "\n"), r.height)
}
