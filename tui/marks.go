package tui

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/wire"
)

// The Browse screen marks local files the user already has on the server:
// a file on the server at the same path relative to the upload root (the
// start directory), of the same size. The sha256 is not compared: the mark
// says "same name and size", and uploading the file again still sends
// nothing if the content is the same. Each directory shown is looked up
// once, in the background; an upload finishing forgets the answers.

// onServerMark follows the names of marked files.
const onServerMark = " ✓ on server"

// marksMsg answers the lookup of directory dir's files: the sizes of the
// ones the server holds, by name.
type marksMsg struct {
	dir   string
	sizes map[string]uint64
	err   error
}

// relToRoot is dir's path relative to the upload root, with "/" between
// elements ("" for the root itself); ok is false outside the root.
func (b *browser) relToRoot(dir string) (rel string, ok bool) {
	r, err := filepath.Rel(b.root, dir)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	if r == "." {
		return "", true
	}
	return filepath.ToSlash(r), true
}

// lookupMarks returns a command looking up the shown directory's files on
// the server, or nil when they were looked up already, lie outside the
// root, or marks are off.
func (m *Model) lookupMarks() tea.Cmd {
	b := m.browse
	if m.marksOff || b.loading != "" {
		return nil
	}
	if sizes, ok := b.marks[b.dir]; ok {
		b.applyMarks(b.dir, sizes)
		return nil
	}
	rel, ok := b.relToRoot(b.dir)
	if !ok {
		return nil
	}
	var paths []string
	for _, e := range b.entries {
		if !e.regular || e.err != nil {
			continue
		}
		// A path the protocol refuses (a control character in a name, say)
		// cannot be on the server; asking would fail the whole lookup.
		if p := path.Join(rel, e.name); wire.CheckPath(p) == nil {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	b.marks[b.dir] = nil // asked: not again while the answer is on its way
	ctx, up, dir := m.ctx, m.up, b.dir
	return func() tea.Msg {
		sizes := map[string]uint64{}
		for start := 0; start < len(paths); start += wire.MaxListPaths {
			found, err := up.Lookup(ctx, paths[start:min(len(paths), start+wire.MaxListPaths)])
			if err != nil {
				return marksMsg{dir: dir, err: err}
			}
			for p, f := range found {
				sizes[path.Base(p)] = f.Size
			}
		}
		return marksMsg{dir: dir, sizes: sizes}
	}
}

// marksAnswered records a lookup's answer. The first error turns marks off
// for the session: a server too old to list, or out of reach, would
// otherwise fail every directory.
func (m *Model) marksAnswered(msg marksMsg) tea.Cmd {
	if msg.err != nil {
		if m.marksOff || m.ctx.Err() != nil {
			return nil
		}
		m.marksOff = true
		return errorCmd(fmt.Errorf("cannot mark files already on the server (marks are off until hoist restarts): %w", msg.err))
	}
	m.browse.marks[msg.dir] = msg.sizes
	m.browse.applyMarks(msg.dir, msg.sizes)
	return nil
}

// applyMarks marks dir's entries the server holds with the same size, if
// dir is shown.
func (b *browser) applyMarks(dir string, sizes map[string]uint64) {
	if dir != b.dir {
		return
	}
	changed := false
	for i := range b.entries {
		e := &b.entries[i]
		size, found := sizes[e.name]
		on := found && e.regular && size == e.size
		changed = changed || on != e.onServer
		e.onServer = on
	}
	if changed {
		b.refresh()
	}
}

// forgetMarks drops the answers: files may have reached the server.
func (b *browser) forgetMarks() {
	b.marks = map[string]map[string]uint64{}
	for i := range b.entries {
		b.entries[i].onServer = false
	}
}

// countOnServer counts the shown directory's marked files.
func (b *browser) countOnServer() int {
	n := 0
	for _, e := range b.entries {
		if e.onServer {
			n++
		}
	}
	return n
}
