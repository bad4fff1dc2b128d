package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// tagEditor edits one list of tags: the selection's, or a queued upload's.
// Typing a tag and enter adds it; with the input empty, ←/→ pick a tag and
// backspace removes it; tab completes from tags used before and the
// configured defaults. Tags the server would refuse are refused here.
type tagEditor struct {
	keys   *KeyMap
	styles *Styles
	input  textinput.Model

	title string
	tags  []string
	// chip is the index of the tag ←/→ picked; -1 means the last one.
	chip int
	// known are the tags offered as suggestions.
	known []string
	err   error
	width int
}

func newTagEditor(keys *KeyMap, styles *Styles) *tagEditor {
	in := textinput.New()
	in.Prompt = "add> "
	in.Placeholder = "type a tag, enter adds it"
	// The input's own inline completion is told apart from typed text only
	// by colour; the editor lists suggestions in words and completes on tab
	// itself.
	in.ShowSuggestions = false
	in.CharLimit = maxTagBytes * 2
	in.Cursor.SetMode(cursor.CursorStatic)
	return &tagEditor{keys: keys, styles: styles, input: in, chip: -1}
}

// open starts editing tags under title, offering known as suggestions.
func (t *tagEditor) open(title string, tags, known []string) tea.Cmd {
	t.title = title
	t.tags = slices.Clone(tags)
	t.known = known
	t.chip = -1
	t.err = nil
	t.input.Reset()
	return t.input.Focus()
}

// SetSize implements component.
func (t *tagEditor) SetSize(width, _ int) {
	t.width = width
	t.input.Width = max(10, width-lipgloss.Width(t.input.Prompt)-4)
}

// ShortHelp implements component.
func (t *tagEditor) ShortHelp() []key.Binding {
	k := t.keys
	return []key.Binding{k.AddTag, k.AcceptSuggestion, k.RemoveTag, k.PrevTag, k.NextTag, k.CloseTags}
}

// FullHelp implements component.
func (t *tagEditor) FullHelp() [][]key.Binding { return t.keys.tagsHelp() }

// update handles a key; done reports that the editor closed.
func (t *tagEditor) update(msg tea.Msg) (cmd tea.Cmd, done bool) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		t.input, cmd = t.input.Update(msg)
		return cmd, false
	}
	k := t.keys
	empty := t.input.Value() == ""
	switch {
	case key.Matches(km, k.CloseTags):
		t.input.Blur()
		return nil, true
	case key.Matches(km, k.AddTag):
		if empty {
			t.input.Blur()
			return nil, true
		}
		t.add(strings.TrimSpace(t.input.Value()))
		return nil, false
	case key.Matches(km, k.AcceptSuggestion):
		if sugg := t.suggestions(); len(sugg) > 0 {
			t.input.SetValue(sugg[0])
			t.input.CursorEnd()
		}
		return nil, false
	case empty && key.Matches(km, k.RemoveTag):
		t.remove()
		return nil, false
	case empty && key.Matches(km, k.PrevTag):
		t.moveChip(-1)
		return nil, false
	case empty && key.Matches(km, k.NextTag):
		t.moveChip(+1)
		return nil, false
	}
	t.err = nil
	if key.Matches(km, t.input.KeyMap.DeleteWordForward) {
		deleteWordForward(&t.input)
		return nil, false
	}
	t.input, cmd = t.input.Update(msg)
	return cmd, false
}

func (t *tagEditor) add(tag string) {
	tags, err := addTag(t.tags, tag)
	t.err = err
	if err != nil {
		return
	}
	t.tags = tags
	t.chip = -1
	t.input.Reset()
}

func (t *tagEditor) remove() {
	if len(t.tags) == 0 {
		return
	}
	i := t.chip
	if i < 0 || i >= len(t.tags) {
		i = len(t.tags) - 1
	}
	t.tags = slices.Delete(slices.Clone(t.tags), i, i+1)
	if t.chip >= len(t.tags) {
		t.chip = len(t.tags) - 1
	}
	t.err = nil
}

func (t *tagEditor) moveChip(d int) {
	if len(t.tags) == 0 {
		return
	}
	i := t.chip
	if i < 0 {
		i = len(t.tags) - 1
		if d > 0 {
			return
		}
	}
	t.chip = max(0, min(len(t.tags)-1, i+d))
}

// suggestions are the known tags not yet added that start with what is typed.
func (t *tagEditor) suggestions() []string {
	typed := strings.ToLower(strings.TrimSpace(t.input.Value()))
	var out []string
	for _, s := range t.known {
		if !slices.Contains(t.tags, s) && strings.HasPrefix(strings.ToLower(s), typed) {
			out = append(out, s)
		}
	}
	return out
}

func (t *tagEditor) view() string {
	s := t.styles
	var b strings.Builder
	b.WriteString(s.Heading.Render(t.title) + "\n\n")

	b.WriteString("tags: ")
	if len(t.tags) == 0 {
		b.WriteString(s.Meta.Render("(none)"))
	}
	for i, tag := range t.tags {
		chip := "[" + tag + "]"
		if i == t.chip || (t.chip < 0 && i == len(t.tags)-1 && t.input.Value() == "") {
			chip = s.TagFocused.Render("<" + tag + ">")
		} else {
			chip = s.Tag.Render(chip)
		}
		b.WriteString(chip + " ")
	}
	b.WriteString("\n" + s.Meta.Render(plural(len(t.tags), "tag", "tags")+fmt.Sprintf(" (at most %d)", maxTags)) + "\n\n")
	b.WriteString(t.input.View() + "\n")

	if sugg := t.suggestions(); len(sugg) > 0 {
		line := "tab completes " + sugg[0]
		if len(sugg) > 1 {
			line += "; also: " + strings.Join(sugg[1:], "  ")
		}
		b.WriteString(s.Suggestion.Render(truncate(line, t.width-4)) + "\n")
	} else {
		b.WriteString("\n")
	}
	if t.err != nil {
		b.WriteString(s.Error.Render(truncate("refused: "+t.err.Error(), t.width-4)))
	}
	return s.Dialog.Width(max(1, t.width-2)).Render(b.String())
}
