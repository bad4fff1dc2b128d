package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/hoist-dev/hoist/internal/units"
)

// Below these sizes the UI drops decoration to keep what matters.
const (
	narrowWidth  = 60
	narrowHeight = 15
	minWidth     = 20
	minHeight    = 5
)

// View implements tea.Model: a header with the screens and the server, the
// active screen, a status line and a help footer.
func (m *Model) View() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	if m.width < minWidth || m.height < minHeight {
		return truncate(fmt.Sprintf("hoist needs at least %dx%d (this is %dx%d)", minWidth, minHeight, m.width, m.height), m.width)
	}
	h := m.contentHeight()
	var content string
	switch {
	case m.confirm != nil:
		content = m.confirm.view(&m.styles, &m.keys, m.width, h)
	case m.details != nil:
		content = m.details.view(m, m.width, h)
	case m.showHelp:
		content = m.helpView(h)
	case m.editing:
		content = m.tags.view()
	default:
		content = m.screenView()
	}
	lines := strings.Split(strings.Join([]string{
		m.header(),
		fitLines(content, h),
		m.statusLine(),
		m.footer(),
	}, "\n"), "\n")
	// Whatever a screen drew, no control character in a name reaches the
	// terminal (inert.go), and no line wraps: a wrapped line scrolls the
	// terminal and garbles every later redraw.
	for i, l := range lines {
		l = inertControls(l)
		lines[i] = l
		if lipgloss.Width(l) > m.width {
			lines[i] = truncate(l, m.width)
		}
	}
	return strings.Join(lines, "\n")
}

func (m *Model) screenView() string {
	switch m.screen {
	case screenReview:
		return m.review.view()
	case screenUpload:
		return m.uploads.view()
	case screenResume:
		return m.resume.view()
	case screenRemote:
		return m.remote.view()
	}
	return m.browse.view()
}

// header names the screens, the active one in brackets, and the server.
func (m *Model) header() string {
	s := &m.styles
	type tab struct {
		screen screen
		name   string
		count  string
	}
	files, _ := m.review.totals()
	tabs := []tab{
		{screenBrowse, "Browse", countText(m.sel.len())},
		{screenReview, "Review", countText(files)},
		{screenUpload, "Upload", countText(m.uploads.running())},
		{screenRemote, "Remote", ""},
	}
	if m.screen == screenResume {
		tabs = append(tabs, tab{screenResume, "Resume", countText(len(m.resume.entries))})
	}
	var b strings.Builder
	b.WriteString(s.Brand.Render("hoist"))
	for _, t := range tabs {
		label := t.name + t.count
		if m.width < narrowWidth && t.screen != m.screen {
			continue // narrow: only the active screen
		}
		if t.screen == m.screen {
			b.WriteString(" " + s.TabActive.Render("["+label+"]"))
		} else {
			b.WriteString(" " + s.Tab.Render(" "+label+" "))
		}
	}
	right := m.opts.Server
	if m.rateLimit > 0 {
		right = "≤ " + units.FormatRate(float64(m.rateLimit)) + " · " + right
	}
	// The tabs come first: a long server address is cut, not them.
	left := b.String()
	right = truncate(right, m.width-lipgloss.Width(left)-1)
	return spread(left, s.Server.Render(right), m.width)
}

func countText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" %d", n)
}

// statusLine shows an error or notice if there is one, else the screen's
// status.
func (m *Model) statusLine() string {
	s := &m.styles
	switch {
	case m.err != nil:
		return s.Error.Render(truncate("✗ error: "+oneLine(m.err.Error()), m.width))
	case m.notice != "":
		return s.Notice.Render(truncate("• "+m.notice, m.width))
	}
	switch m.screen {
	case screenUpload:
		return s.Status.Render(truncate(m.uploads.status(), m.width))
	case screenReview:
		if n := len(m.review.queue); n > 0 {
			files, bytes := m.review.totals()
			return truncate(fmt.Sprintf("enter starts %s: %s, %s", plural(n, "upload", "uploads"), plural(files, "file", "files"), units.FormatSize(bytes)), m.width)
		}
		return ""
	case screenRemote:
		return s.Status.Render(truncate(m.remote.status(), m.width))
	case screenResume:
		return truncate(fmt.Sprintf("%d of %s picked", len(m.resume.chosen()), plural(len(m.resume.entries), "unfinished upload", "unfinished uploads")), m.width)
	}
	left := "nothing selected"
	if n := m.sel.len(); n > 0 {
		left = fmt.Sprintf("%s selected (%s)", plural(n, "file", "files"), units.FormatSize(m.sel.size()))
	}
	left += " · tags: " + tagList(m.pendingTags)
	if n := len(m.review.queue); n > 0 {
		left += " · " + plural(n, "upload", "uploads") + " queued"
	}
	return spread(left, s.Meta.Render(m.browse.info()), m.width)
}

// footer is the short help of whatever has the keyboard.
func (m *Model) footer() string {
	var bindings []key.Binding
	switch {
	case m.confirm != nil:
		bindings = m.confirm.shortHelp(&m.keys)
	case m.details != nil:
		bindings = m.detailsHelp()
	case m.showHelp:
		bindings = []key.Binding{m.keys.Up, m.keys.Down,
			key.NewBinding(key.WithKeys("?"), key.WithHelp("?/esc", "close help")), m.keys.Quit}
	default:
		bindings = m.active().ShortHelp()
		if m.hasDetails() {
			bindings = append([]key.Binding{m.keys.Details}, bindings...)
		}
	}
	if m.width < narrowWidth || m.height < narrowHeight {
		bindings = append([]key.Binding{m.keys.Help}, bindings...)
	}
	// help truncates with an ellipsis only when one fits; cut what is left.
	return truncate(m.help.ShortHelpView(bindings), m.width)
}

// helpView lists every key of every screen, packing the sections side by
// side as the width allows and reflowing a section's columns into fewer
// when they do not fit; up and down scroll it when it is taller than the
// screen, and its last line says when more is below.
func (m *Model) helpView(height int) string {
	s := &m.styles
	var blocks []string
	for _, sec := range m.keys.helpSections() {
		blocks = append(blocks, s.Heading.Render(sec.title)+"\n"+m.helpColumns(sec.groups))
	}
	var rows []string
	for len(blocks) > 0 {
		row, n := blocks[0], 1
		for ; n < len(blocks); n++ {
			next := lipgloss.JoinHorizontal(lipgloss.Top, row, "    ", blocks[n])
			if lipgloss.Width(next) > m.width {
				break
			}
			row = next
		}
		rows = append(rows, row)
		blocks = blocks[n:]
	}
	intro := s.Meta.Render("Select with space, tag with t, queue with u, then start with enter in Review. In Browse," +
		onServerMark + " marks a file of the same name and size on the server (its path relative to the start directory).")
	lines := strings.Split(wrap(intro, m.width)+"\n\n"+strings.Join(rows, "\n\n"), "\n")
	m.helpOffset = max(0, min(m.helpOffset, len(lines)-height))
	end := min(len(lines), m.helpOffset+height)
	shown := lines[m.helpOffset:end]
	if end < len(lines) && height > 1 {
		shown[len(shown)-1] = s.Meta.Render(fmt.Sprintf("↓ more (%d of %d lines)", end, len(lines)))
	}
	for i, l := range shown {
		shown[i] = truncate(l, m.width)
	}
	return strings.Join(shown, "\n")
}

// helpColumns renders groups of bindings as columns side by side. When
// they are wider than the screen, the bindings are poured into fewer
// columns, down to one, in the same order; only a single column too wide
// for the screen is cut.
func (m *Model) helpColumns(groups [][]key.Binding) string {
	full := m.help
	full.Width = 0 // no cutting: fitting is done here
	var all []key.Binding
	for _, g := range groups {
		for _, b := range g {
			if b.Enabled() {
				all = append(all, b)
			}
		}
	}
	for cols := len(groups); cols > 1; cols-- {
		body := full.FullHelpView(groups)
		if lipgloss.Width(body) <= m.width {
			return body
		}
		per := max(1, (len(all)+cols-2)/(cols-1))
		groups = slices.Collect(slices.Chunk(all, per))
	}
	return full.FullHelpView(groups)
}
