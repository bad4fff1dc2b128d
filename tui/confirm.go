package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// confirmation is a yes/no question that blocks every other key until
// answered: quitting while uploads run, cancelling an upload.
type confirmation struct {
	prompt string
	// yes runs when the answer is yes.
	yes func() tea.Cmd
	// yesOnEnter makes enter answer yes: yes is the default.
	yesOnEnter bool
	// alt, when set, is a third answer, running altRun.
	alt    key.Binding
	altRun func() tea.Cmd
}

// view draws the question as a dialog centred in width x height.
func (c *confirmation) view(s *Styles, k *KeyMap, width, height int) string {
	body := c.prompt + "\n\n" + s.Heading.Render(k.Yes.Help().Key) + " " + k.Yes.Help().Desc +
		"   " + s.Heading.Render(k.No.Help().Key) + " " + k.No.Help().Desc
	if c.altRun != nil {
		body += "   " + s.Heading.Render(c.alt.Help().Key) + " " + c.alt.Help().Desc
	}
	box := s.Dialog.Width(min(60, max(20, width-4))).Render(body)
	return lipgloss.Place(width, height, lipgloss.Center, lipgloss.Center, box)
}

// shortHelp is the footer while the question is open.
func (c *confirmation) shortHelp(k *KeyMap) []key.Binding {
	if c.altRun != nil {
		return []key.Binding{k.Yes, k.No, c.alt}
	}
	return []key.Binding{k.Yes, k.No}
}
