package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/hoist-dev/hoist/internal/units"
)

// review is the Review screen: the queue of uploads waiting to start, each a
// group of files with its own tags. Enter starts them all.
type review struct {
	keys   *KeyMap
	styles *Styles
	server string
	home   string

	queue  []Upload
	cursor int
	offset int
	width  int
	height int
}

func newReview(keys *KeyMap, styles *Styles, opts Options) *review {
	return &review{keys: keys, styles: styles, server: opts.Server, home: opts.Home}
}

// SetSize implements component.
func (r *review) SetSize(width, height int) { r.width, r.height = width, height }

// ShortHelp implements component.
func (r *review) ShortHelp() []key.Binding {
	k := r.keys
	return []key.Binding{k.Start, k.Up, k.Down, k.Tags, k.Remove, k.Back, k.Help, k.Quit}
}

// FullHelp implements component.
func (r *review) FullHelp() [][]key.Binding { return r.keys.reviewHelp() }

// add queues u and puts the cursor on it.
func (r *review) add(u Upload) {
	r.queue = append(r.queue, u)
	r.cursor = len(r.queue) - 1
}

// take empties the queue and returns what it held.
func (r *review) take() []Upload {
	q := r.queue
	r.queue, r.cursor, r.offset = nil, 0, 0
	return q
}

// focused returns the index of the upload under the cursor, or -1.
func (r *review) focused() int {
	if len(r.queue) == 0 {
		return -1
	}
	return r.cursor
}

func (r *review) setTags(i int, tags []string) {
	if i >= 0 && i < len(r.queue) {
		r.queue[i].Tags = tags
	}
}

func (r *review) totals() (files int, bytes uint64) {
	for _, u := range r.queue {
		files += len(u.Files)
		bytes += u.Size()
	}
	return files, bytes
}

func (r *review) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || len(r.queue) == 0 {
		return nil
	}
	switch {
	case key.Matches(km, r.keys.Up):
		r.cursor = max(0, r.cursor-1)
	case key.Matches(km, r.keys.Down):
		r.cursor = min(len(r.queue)-1, r.cursor+1)
	case key.Matches(km, r.keys.Remove):
		r.queue = slices.Delete(r.queue, r.cursor, r.cursor+1)
		r.cursor = max(0, min(r.cursor, len(r.queue)-1))
	}
	return nil
}

func (r *review) view() string {
	s := r.styles
	if len(r.queue) == 0 {
		msg := "The queue is empty.\n\nIn Browse, select files with space, add tags with t,\nand press u to queue them as one upload."
		return fitLines(s.Meta.Width(r.width).Render(msg), r.height)
	}
	files, bytes := r.totals()
	head := fmt.Sprintf("%s, %s, %s to %s",
		plural(len(r.queue), "upload", "uploads"), plural(files, "file", "files"), units.FormatSize(bytes), r.server)

	var lines []string
	cursorLine, cursorEnd := 0, 0
	for i, u := range r.queue {
		marker := "  "
		if i == r.cursor {
			marker = s.Cursor.Render("> ")
			cursorLine, cursorEnd = len(lines), len(lines)+len(u.Files)
		}
		title := fmt.Sprintf("Upload %d · %s · %s · tags: %s",
			i+1, plural(len(u.Files), "file", "files"), units.FormatSize(u.Size()), tagList(u.Tags))
		lines = append(lines, truncate(marker+s.Heading.Render(title), r.width))
		if len(u.Roots) > 0 {
			// A tree: its roots, not its files, which may be 100,000.
			for _, rs := range u.rootSums {
				lines = append(lines, "    "+spread(s.Meta.Render(shortPath(r.home, rs.path)),
					plural(rs.files, "file", "files")+" · "+units.FormatSize(rs.bytes), r.width-4))
			}
			if i == r.cursor {
				cursorEnd = len(lines)
			}
			continue
		}
		nameWidth := 0
		for _, f := range u.Files {
			nameWidth = max(nameWidth, lipgloss.Width(f.Name))
		}
		nameWidth = min(nameWidth, max(8, r.width/3))
		for _, f := range u.Files {
			name := truncate(f.Name, nameWidth)
			name += strings.Repeat(" ", nameWidth-lipgloss.Width(name))
			lines = append(lines, "    "+spread(name+"  "+s.Meta.Render(shortPath(r.home, f.Path)), units.FormatSize(f.Size), r.width-4))
		}
	}
	body := r.height - 2
	// Show the focused upload's files too, as many as fit below its title.
	r.offset = scrollWindow(r.offset, min(cursorEnd, cursorLine+body-1), len(lines), body)
	r.offset = scrollWindow(r.offset, cursorLine, len(lines), body)
	end := min(len(lines), r.offset+body)
	return fitLines(truncate(head, r.width)+"\n\n"+strings.Join(lines[r.offset:end], "\n"), r.height)
}

// tagList renders tags for display.
func tagList(tags []string) string {
	if len(tags) == 0 {
		return "(none)"
	}
	return strings.Join(tags, ", ")
}
