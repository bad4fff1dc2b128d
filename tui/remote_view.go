package tui

import (
	"fmt"
	"strings"

	"github.com/hoist-dev/hoist/internal/units"
)

// detailLines is how many lines the focused file's details take.
const detailLines = 4

// listHeight is what the tree gets of the screen's height.
func (r *remoteScreen) listHeight() int {
	if r.height > detailLines+3 {
		return r.height - detailLines
	}
	return r.height
}

func (r *remoteScreen) view() string {
	s := r.styles
	var top string
	if r.typing {
		top = r.input.View()
	} else {
		top = s.Heading.Render(truncate(r.title(), r.width))
	}
	h := r.listHeight() - 1
	var body string
	switch {
	case len(r.rows) == 0 && r.loading:
		body = s.Meta.Render("loading…")
	case len(r.rows) == 0 && !r.started:
		body = s.Meta.Render("Nothing listed yet: press " + r.keys.Refresh.Help().Key + " to list your files on the server.")
	case len(r.rows) == 0 && r.tag != "":
		body = s.Meta.Render(wrap(fmt.Sprintf("No file of yours on the server has the tag %q. %s clears the filter: enter it empty.", r.tag, r.keys.TagFilter.Help().Key), r.width))
	case len(r.rows) == 0:
		body = s.Meta.Render(wrap("You have no files on the server yet. Upload some from Browse.", r.width))
	default:
		body = r.treeView(max(1, h))
	}
	out := top + "\n" + fitLines(body, max(1, h))
	if r.listHeight() < r.height {
		out += "\n" + r.detailView()
	}
	return fitLines(out, r.height)
}

// title is the first line: what is listed and whether more is coming.
func (r *remoteScreen) title() string {
	n, bytes := r.totals()
	t := fmt.Sprintf("Your files on the server: %s, %s", plural(n, "file", "files"), units.FormatSize(bytes))
	if r.tag != "" {
		t += fmt.Sprintf(" · tag %q", r.tag)
	}
	if r.loading {
		t += " · loading…"
	}
	return t
}

// treeView draws height rows of the tree around the cursor.
func (r *remoteScreen) treeView(height int) string {
	s := r.styles
	r.offset = scrollWindow(r.offset, r.cursor, len(r.rows), height)
	end := min(len(r.rows), r.offset+height)
	lines := make([]string, 0, end-r.offset)
	for i := r.offset; i < end; i++ {
		row := r.rows[i]
		marker := "  "
		if i == r.cursor {
			marker = s.Cursor.Render("> ")
		}
		indent := strings.Repeat("  ", min(row.depth, 20))
		var name, meta string
		if row.file < 0 {
			sign := "▾ "
			if r.collapsed[row.path] {
				sign = "▸ "
			}
			name = indent + sign + s.Dir.Render(row.name+"/")
			meta = fmt.Sprintf("%s  %*s", plural(row.count, "file", "files"), sizeColumn, units.FormatSize(row.bytes))
		} else {
			f := r.files[row.file]
			name = indent + s.File.Render(row.name)
			meta = fmt.Sprintf("%*s  %-*s", sizeColumn, units.FormatSize(f.Size), timeColumn, formatModTime(f.Time, r.now()))
		}
		if r.width < 50 {
			meta = ""
		}
		lines = append(lines, truncate(marker+spread(truncate(name, max(1, r.width-2-len(meta)-2)), s.Meta.Render(meta), r.width-2), r.width))
	}
	return strings.Join(lines, "\n")
}

// detailView describes the focused row: a file's sha256, tags and time, or
// what a directory holds.
func (r *remoteScreen) detailView() string {
	s := r.styles
	if r.cursor >= len(r.rows) {
		return rule(s, "Details", r.width)
	}
	row := r.rows[r.cursor]
	if row.file < 0 {
		return rule(s, row.path+"/", r.width) + "\n" +
			truncate(fmt.Sprintf("%s, %s", plural(row.count, "file", "files"), units.FormatSize(row.bytes)), r.width)
	}
	f := r.files[row.file]
	when := "time unknown"
	if !f.Time.IsZero() {
		when = "uploaded " + f.Time.Local().Format("2006-01-02 15:04:05")
	}
	return strings.Join([]string{
		rule(s, f.Path, r.width),
		truncate(fmt.Sprintf("%s · %s · tags: %s", units.FormatSize(f.Size), when, tagList(f.Tags)), r.width),
		truncate("sha256 "+orDefault(f.SHA256, "unknown"), r.width),
	}, "\n")
}

// status is the status line: the filter and what the keys do.
func (r *remoteScreen) status() string {
	switch {
	case r.loading:
		return fmt.Sprintf("loading… %s so far", plural(len(r.files), "file", "files"))
	case r.tag != "":
		return fmt.Sprintf("only files tagged %q · %s changes the filter", r.tag, r.keys.TagFilter.Help().Key)
	}
	return fmt.Sprintf("%s filters by tag · %s refreshes", r.keys.TagFilter.Help().Key, r.keys.Refresh.Help().Key)
}
