package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Styles holds every lipgloss style of the UI. Colours come from the
// terminal's own 16-colour palette, so they suit light and dark themes alike
// without querying the terminal (a round trip that is slow over SSH). No
// information is carried by colour alone: states have words or symbols, the
// cursor is a marker, so the UI reads the same with NO_COLOR.
type Styles struct {
	// Frame.
	Brand     lipgloss.Style
	TabActive lipgloss.Style
	Tab       lipgloss.Style
	Server    lipgloss.Style

	// Lists.
	Cursor     lipgloss.Style
	Checked    lipgloss.Style
	Dir        lipgloss.Style
	File       lipgloss.Style
	Match      lipgloss.Style
	Meta       lipgloss.Style
	Unreadable lipgloss.Style
	Heading    lipgloss.Style

	// Messages.
	Status lipgloss.Style
	Notice lipgloss.Style
	Error  lipgloss.Style

	// Tags.
	Tag        lipgloss.Style
	TagFocused lipgloss.Style
	Suggestion lipgloss.Style

	// Upload states.
	StateOK      lipgloss.Style
	StateActive  lipgloss.Style
	StateWarn    lipgloss.Style
	StateFailed  lipgloss.Style
	StateIdle    lipgloss.Style
	ChunkHeld    lipgloss.Style
	ChunkFlight  lipgloss.Style
	ChunkResent  lipgloss.Style
	ChunkMissing lipgloss.Style
	// BarFull and BarEmpty draw progress bars: shapes, not just colours.
	BarFull  rune
	BarEmpty rune

	// Dialogs.
	Dialog lipgloss.Style

	Help help.Styles
}

// ANSI palette indexes.
const (
	colorRed     = lipgloss.Color("1")
	colorGreen   = lipgloss.Color("2")
	colorYellow  = lipgloss.Color("3")
	colorBlue    = lipgloss.Color("4")
	colorMagenta = lipgloss.Color("5")
	colorCyan    = lipgloss.Color("6")
	colorGrey    = lipgloss.Color("8")
)

// DefaultStyles returns hoist's styles.
func DefaultStyles() Styles {
	s := lipgloss.NewStyle
	h := help.New().Styles
	h.ShortKey = s().Bold(true)
	h.FullKey = s().Bold(true)
	h.ShortDesc = s().Foreground(colorGrey)
	h.FullDesc = s().Foreground(colorGrey)
	return Styles{
		Brand:     s().Bold(true).Foreground(colorMagenta),
		TabActive: s().Bold(true).Underline(true),
		Tab:       s().Foreground(colorGrey),
		Server:    s().Foreground(colorCyan),

		Cursor:     s().Bold(true).Foreground(colorMagenta),
		Checked:    s().Bold(true).Foreground(colorGreen),
		Dir:        s().Bold(true).Foreground(colorBlue),
		File:       s(),
		Match:      s().Underline(true),
		Meta:       s().Foreground(colorGrey),
		Unreadable: s().Foreground(colorGrey),
		Heading:    s().Bold(true),

		Status: s(),
		Notice: s().Foreground(colorCyan),
		Error:  s().Bold(true).Foreground(colorRed),

		Tag:        s().Foreground(colorCyan),
		TagFocused: s().Bold(true).Reverse(true),
		Suggestion: s().Foreground(colorGrey),

		StateOK:      s().Foreground(colorGreen),
		StateActive:  s().Foreground(colorCyan),
		StateWarn:    s().Foreground(colorYellow),
		StateFailed:  s().Bold(true).Foreground(colorRed),
		StateIdle:    s().Foreground(colorGrey),
		ChunkHeld:    s().Foreground(colorGreen),
		ChunkFlight:  s().Foreground(colorCyan),
		ChunkResent:  s().Bold(true).Foreground(colorYellow),
		ChunkMissing: s().Foreground(colorGrey),
		BarFull:      '█',
		BarEmpty:     '░',

		Dialog: s().Border(lipgloss.RoundedBorder()).BorderForeground(colorMagenta).Padding(0, 1),

		Help: h,
	}
}
