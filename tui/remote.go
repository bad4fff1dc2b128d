package tui

import (
	"cmp"
	"context"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/client"
)

// remoteScreen is the Remote screen: the user's files on the server as a
// tree of collapsible directories, the focused file's details, a filter by
// tag. The listing loads in the background, page by page.
type remoteScreen struct {
	keys   *KeyMap
	styles *Styles
	now    func() time.Time

	// files are the files listed so far, in path order.
	files []client.RemoteFile
	// seq numbers listings; pages of older ones are dropped. cancel stops
	// the running one.
	seq     int
	cancel  context.CancelFunc
	started bool
	loading bool
	// tag filters the listing (the server filters); empty lists all.
	tag string

	collapsed map[string]bool
	rows      []remoteRow
	cursor    int
	offset    int
	// focusKey is the row the cursor stays on across rebuilds.
	focusKey string

	typing bool
	input  textinput.Model

	width, height int
}

// remoteRow is one line of the tree: a directory or a file.
type remoteRow struct {
	depth int
	name  string
	// path is the directory's or the file's path; file indexes files for
	// a file row (-1 for a directory).
	path string
	file int
	// count and bytes sum the files below a directory.
	count int
	bytes uint64
}

func (r remoteRow) key() string {
	if r.file >= 0 {
		return "f:" + r.path
	}
	return "d:" + r.path
}

// remotePageSize is how many files a page of the listing brings to the UI.
const remotePageSize = 500

func newRemoteScreen(keys *KeyMap, styles *Styles, now func() time.Time) *remoteScreen {
	in := textinput.New()
	in.Prompt = "Tag: "
	in.Placeholder = "empty shows every file"
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = maxTagBytes
	return &remoteScreen{keys: keys, styles: styles, now: now, collapsed: map[string]bool{}, input: in}
}

// SetSize implements component.
func (r *remoteScreen) SetSize(width, height int) {
	r.width, r.height = width, height
	r.input.Width = max(1, width-len(r.input.Prompt)-2)
}

// ShortHelp implements component.
func (r *remoteScreen) ShortHelp() []key.Binding {
	k := r.keys
	if r.typing {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	return []key.Binding{k.Up, k.Down, k.Open, k.TagFilter, k.Remove, k.Refresh, k.Back, k.Help, k.Quit}
}

// FullHelp implements component.
func (r *remoteScreen) FullHelp() [][]key.Binding { return r.keys.remoteHelp() }

// remotePage is a page of a listing, or its end (done, with the error
// that ended it if any).
type remotePage struct {
	files []client.RemoteFile
	done  bool
	err   error
}

// remotePageMsg brings a page of listing seq; ch is where the next comes
// from.
type remotePageMsg struct {
	seq  int
	page remotePage
	ch   <-chan remotePage
}

// remoteRemovedMsg answers a removal.
type remoteRemovedMsg struct {
	paths []string
	err   error
}

// load starts a new listing, stopping the one running, under ctx.
func (r *remoteScreen) load(ctx context.Context, up Uploader) tea.Cmd {
	if r.cancel != nil {
		r.cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	r.seq++
	r.cancel = cancel
	r.started, r.loading = true, true
	r.files = nil
	r.rebuild()
	q := client.ListQuery{}
	if r.tag != "" {
		q.Tags = []string{r.tag}
	}
	ch := make(chan remotePage, 1)
	go listPages(ctx, up, q, ch)
	return readPage(r.seq, ch)
}

// listPages runs a listing, sending its files to ch a page at a time and
// closing ch at the end. It returns when the listing ends or ctx does.
func listPages(ctx context.Context, up Uploader, q client.ListQuery, ch chan<- remotePage) {
	defer close(ch)
	send := func(p remotePage) bool {
		select {
		case ch <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var page []client.RemoteFile
	err := up.List(ctx, q, func(f client.RemoteFile) error {
		page = append(page, f)
		if len(page) < remotePageSize {
			return nil
		}
		if !send(remotePage{files: page}) {
			return ctx.Err()
		}
		page = nil
		return nil
	})
	send(remotePage{files: page, done: true, err: err})
}

// readPage returns a command that waits for the next page of listing seq.
func readPage(seq int, ch <-chan remotePage) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-ch
		if !ok {
			return remotePageMsg{seq: seq, page: remotePage{done: true}}
		}
		return remotePageMsg{seq: seq, page: p, ch: ch}
	}
}

// addPage folds a page in and returns the command reading the next, or the
// error that ended the listing.
func (r *remoteScreen) addPage(msg remotePageMsg) (tea.Cmd, error) {
	if msg.seq != r.seq {
		return nil, nil // a listing since replaced
	}
	r.files = append(r.files, msg.page.files...)
	if !slices.IsSortedFunc(r.files, byRemotePath) {
		slices.SortFunc(r.files, byRemotePath)
	}
	r.rebuild()
	if msg.page.done || msg.ch == nil {
		r.loading = false
		if r.cancel != nil {
			r.cancel()
			r.cancel = nil
		}
		return nil, msg.page.err
	}
	return readPage(msg.seq, msg.ch), nil
}

func byRemotePath(a, b client.RemoteFile) int { return cmp.Compare(a.Path, b.Path) }

// removed drops removed files from the tree.
func (r *remoteScreen) removed(paths []string) {
	r.files = slices.DeleteFunc(r.files, func(f client.RemoteFile) bool { return slices.Contains(paths, f.Path) })
	r.rebuild()
}

// rebuild lays the files out as rows, directories before the files they
// hold, skipping what collapsed directories hold, and keeps the cursor on
// the row it was on.
func (r *remoteScreen) rebuild() {
	sums := map[string]*remoteRow{}
	for _, f := range r.files {
		for d := path.Dir(f.Path); d != "." && d != "/"; d = path.Dir(d) {
			s := sums[d]
			if s == nil {
				s = &remoteRow{}
				sums[d] = s
			}
			s.count++
			s.bytes += f.Size
		}
	}
	var rows []remoteRow
	var open []string // the directories of the previous file, outermost first
	for i, f := range r.files {
		elems := strings.Split(f.Path, "/")
		dirs := elems[:len(elems)-1]
		k := 0
		for k < len(open) && k < len(dirs) && open[k] == strings.Join(dirs[:k+1], "/") {
			k++
		}
		open = open[:k]
		for ; k < len(dirs); k++ {
			d := strings.Join(dirs[:k+1], "/")
			if r.hidden(open) {
				open = append(open, d)
				continue
			}
			open = append(open, d)
			s := sums[d]
			rows = append(rows, remoteRow{depth: k, name: dirs[k], path: d, file: -1, count: s.count, bytes: s.bytes})
		}
		if !r.hidden(open) {
			rows = append(rows, remoteRow{depth: len(dirs), name: elems[len(elems)-1], path: f.Path, file: i})
		}
	}
	r.rows = rows
	r.cursor = 0
	for i, row := range rows {
		if row.key() == r.focusKey {
			r.cursor = i
		}
	}
	r.cursor = min(r.cursor, max(0, len(rows)-1))
	r.remember()
}

// hidden reports whether one of dirs is collapsed.
func (r *remoteScreen) hidden(dirs []string) bool {
	for _, d := range dirs {
		if r.collapsed[d] {
			return true
		}
	}
	return false
}

func (r *remoteScreen) remember() {
	if r.cursor < len(r.rows) {
		r.focusKey = r.rows[r.cursor].key()
	}
}

// focusedFile is the file under the cursor, if the cursor is on a file.
func (r *remoteScreen) focusedFile() (client.RemoteFile, bool) {
	if r.cursor >= len(r.rows) || r.rows[r.cursor].file < 0 {
		return client.RemoteFile{}, false
	}
	return r.files[r.rows[r.cursor].file], true
}

// update handles a key of the screen's own (moving, opening and closing
// directories, typing a tag); it returns the tag to filter by when one
// was entered.
func (r *remoteScreen) update(msg tea.KeyMsg) (tag string, apply bool) {
	k := r.keys
	if r.typing {
		switch msg.Type {
		case tea.KeyEnter:
			r.typing = false
			r.input.Blur()
			return strings.TrimSpace(r.input.Value()), true
		case tea.KeyEsc:
			r.typing = false
			r.input.Blur()
			return "", false
		}
		if key.Matches(msg, r.input.KeyMap.DeleteWordForward) {
			deleteWordForward(&r.input)
			return "", false
		}
		r.input, _ = r.input.Update(msg)
		return "", false
	}
	page := max(1, r.listHeight()-1)
	switch {
	case key.Matches(msg, k.Up):
		r.cursor = max(0, r.cursor-1)
	case key.Matches(msg, k.Down):
		r.cursor = max(0, min(len(r.rows)-1, r.cursor+1))
	case key.Matches(msg, k.PageUp):
		r.cursor = max(0, r.cursor-page)
	case key.Matches(msg, k.PageDown):
		r.cursor = max(0, min(len(r.rows)-1, r.cursor+page))
	case key.Matches(msg, k.Top):
		r.cursor = 0
	case key.Matches(msg, k.Bottom):
		r.cursor = max(0, len(r.rows)-1)
	case key.Matches(msg, k.Open), key.Matches(msg, k.Toggle):
		if r.cursor < len(r.rows) && r.rows[r.cursor].file < 0 {
			d := r.rows[r.cursor].path
			r.collapsed[d] = !r.collapsed[d]
			r.rebuild()
		}
	case key.Matches(msg, k.Parent):
		r.collapseOrUp()
	case key.Matches(msg, k.TagFilter):
		r.typing = true
		r.input.SetValue(r.tag)
		r.input.CursorEnd()
		r.input.Focus()
	}
	r.remember()
	return "", false
}

// collapseOrUp closes the directory under the cursor, or moves to the
// directory holding the row.
func (r *remoteScreen) collapseOrUp() {
	if r.cursor >= len(r.rows) {
		return
	}
	row := r.rows[r.cursor]
	if row.file < 0 && !r.collapsed[row.path] {
		r.collapsed[row.path] = true
		r.rebuild()
		return
	}
	for i := r.cursor - 1; i >= 0; i-- {
		if r.rows[i].file < 0 && r.rows[i].depth < row.depth {
			r.cursor = i
			return
		}
	}
}

// totals counts the files listed and their bytes.
func (r *remoteScreen) totals() (int, uint64) {
	var n uint64
	for _, f := range r.files {
		n += f.Size
	}
	return len(r.files), n
}
