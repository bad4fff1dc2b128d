package tui

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	"github.com/charmbracelet/bubbles/paginator"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/client"
)

// sortOrder is how the browser orders entries; directories always come first.
type sortOrder int

const (
	sortByName sortOrder = iota
	sortBySize
	sortByTime
	sortOrders
)

func (s sortOrder) String() string {
	return [...]string{"name", "size", "newest"}[s]
}

// browser is the Browse screen: one directory as a bubbles list, with a
// multi-selection that persists across directories.
type browser struct {
	keys   *KeyMap
	styles *Styles
	list   list.Model
	sel    *selection
	stop   <-chan struct{}

	home string
	dir  string
	// root is the chosen upload root (the start directory): exclude
	// patterns and the on-server marks take paths relative to it.
	root    string
	exclude client.Excludes
	// hideExcluded hides excluded entries instead of greying them;
	// excludedHere counts the excluded entries of the directory.
	hideExcluded bool
	excludedHere int
	// marks holds, per directory looked up, the sizes of its files on the
	// server by name (nil while the lookup runs).
	marks map[string]map[string]uint64

	entries    []entry
	showHidden bool
	// followLinks enters and walks links to directories.
	followLinks bool
	sortBy      sortOrder

	// seq numbers directory reads; answers to older reads are dropped.
	seq     int
	loading string
	// walks counts directory selections being collected.
	walks int
	// focusName is the entry to put the cursor on when the directory loads.
	focusName string
}

// manyEntries is the size from which a directory's pages are counted with
// numbers, not dots.
const manyEntries = 1000

func newBrowser(keys *KeyMap, styles *Styles, sel *selection, opts Options, stop <-chan struct{}) *browser {
	d := browseDelegate{styles: styles, sel: sel, now: opts.Now, skipLinkedDirs: opts.SkipLinkedDirs}
	l := list.New(nil, d, 0, 0)
	l.SetShowHelp(false)
	l.SetShowPagination(true)
	l.SetStatusBarItemName("entry", "entries")
	l.DisableQuitKeybindings()
	l.Styles.TitleBar = styles.Heading.Padding(0, 0, 0, 0)
	l.Styles.Title = styles.Heading
	l.Styles.StatusBar = styles.Meta.Padding(0, 0, 0, 2)
	l.Styles.NoItems = styles.Meta.Padding(0, 0, 0, 2)
	l.Styles.PaginationStyle = styles.Meta.PaddingLeft(2)
	l.FilterInput.Prompt = "Filter: "
	l.FilterInput.Cursor.SetMode(cursor.CursorStatic)
	l.KeyMap = listKeyMap(keys)
	l.Filter = (&fuzzyFilter{}).filter
	l.Title = shortPath(opts.Home, opts.StartDir)
	return &browser{
		keys:       keys,
		styles:     styles,
		list:       l,
		sel:        sel,
		stop:       stop,
		home:       opts.Home,
		dir:        opts.StartDir,
		root:       opts.StartDir,
		marks:      map[string]map[string]uint64{},
		showHidden: opts.ShowHidden,

		followLinks: !opts.SkipLinkedDirs,
	}
}

// listKeyMap adapts our KeyMap to the list's, leaving the keys the browser
// handles itself (h/l, arrows sideways, q, ?) to the browser.
func listKeyMap(k *KeyMap) list.KeyMap {
	km := list.DefaultKeyMap()
	km.CursorUp = k.Up
	km.CursorDown = k.Down
	km.PrevPage = k.PageUp
	km.NextPage = k.PageDown
	km.GoToStart = k.Top
	km.GoToEnd = k.Bottom
	km.Filter = k.Filter
	km.ClearFilter = k.ClearFilter
	km.ShowFullHelp = key.NewBinding(key.WithDisabled())
	km.CloseFullHelp = key.NewBinding(key.WithDisabled())
	km.Quit = key.NewBinding(key.WithDisabled())
	km.ForceQuit = key.NewBinding(key.WithDisabled())
	return km
}

// init starts reading the start directory.
func (b *browser) init() tea.Cmd { return b.open(b.dir, "") }

// open starts reading dir; focus names the entry to put the cursor on.
func (b *browser) open(dir, focus string) tea.Cmd {
	b.seq++
	b.loading = dir
	b.focusName = focus
	return readDir(b.seq, dir)
}

// SetSize implements component.
func (b *browser) SetSize(width, height int) { b.list.SetSize(width, height) }

// busy reports whether a directory is being read or a directory selection
// collected: keys typed meanwhile wait, so that they act on what the user
// will see, in order.
func (b *browser) busy() bool { return b.loading != "" || b.walks > 0 }

// capturing reports whether keys must go to the filter input.
func (b *browser) capturing() bool { return b.list.SettingFilter() }

// ShortHelp implements component.
func (b *browser) ShortHelp() []key.Binding {
	if b.list.SettingFilter() {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	k := b.keys
	bs := []key.Binding{k.Toggle, k.Open, k.Parent, k.Filter}
	if b.list.IsFiltered() {
		bs = append(bs, k.ClearFilter)
	}
	return append(bs, k.Tags, k.Queue, k.Review, k.Help, k.Quit)
}

// FullHelp implements component.
func (b *browser) FullHelp() [][]key.Binding { return b.keys.browseHelp() }

func (b *browser) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dirLoadedMsg:
		return b.loaded(msg)
	case treeWalkedMsg:
		return b.walked(msg)
	case list.FilterMatchesMsg:
		// The list filters in the background and its answers can come
		// after later keys, or in another order than asked: the browser
		// filters at once instead (refilter), so any such answer is stale.
		return nil
	case tea.KeyMsg:
		if !b.list.SettingFilter() {
			if cmd, handled := b.handleKey(msg); handled {
				return cmd
			}
		} else if key.Matches(msg, b.list.FilterInput.KeyMap.DeleteWordForward) {
			deleteWordForward(&b.list.FilterInput)
			b.refilter()
			return nil
		}
	}
	filter := b.list.FilterValue()
	var cmd tea.Cmd
	b.list, cmd = b.list.Update(msg)
	if b.list.FilterValue() != filter {
		// The list's command would filter the entries a second time, in
		// the background, only to have its answer dropped.
		b.refilter()
		return nil
	}
	return cmd
}

// refilter applies the filter to the entries at once. bubbles/list does it
// in a command whose answer arrives after whatever keys were already read
// (a paste, a laggy link): enter and space then acted on the unfiltered
// entries, and the answer left the list on a page past its end, which
// panicked in its view. The cursor goes to the first match, as the list
// does when the filter changes.
func (b *browser) refilter() {
	state := b.list.FilterState()
	if state == list.Unfiltered {
		return
	}
	pos := b.list.FilterInput.Position()
	b.list.SetFilterText(b.list.FilterValue()) // filters now, leaves it applied
	if state == list.Filtering {
		b.list.SetFilterState(list.Filtering)
	} else {
		b.list.FilterInput.Blur()
	}
	b.list.FilterInput.SetCursor(pos)
}

func (b *browser) handleKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := b.keys
	cur, haveCur := b.list.SelectedItem().(entry)
	switch {
	case key.Matches(msg, k.Open):
		switch {
		case !haveCur || !cur.dir || cur.err != nil:
		case cur.link && !b.followLinks:
			return errorCmd(fmt.Errorf("%s is a link to a directory: links to directories are not followed (a setting)", cur.name)), true
		default:
			return b.open(cur.path, ""), true
		}
		return nil, true
	case key.Matches(msg, k.Parent):
		if parent := filepath.Dir(b.dir); parent != b.dir {
			return b.open(parent, filepath.Base(b.dir)), true
		}
		return nil, true
	case key.Matches(msg, k.Home):
		if b.home == "" {
			return errorCmd(errors.New("no home directory known (is $HOME set?)")), true
		}
		return b.open(b.home, ""), true
	case key.Matches(msg, k.Toggle):
		if !haveCur {
			return nil, true
		}
		cmd := b.toggle(cur)
		b.list.CursorDown()
		return cmd, true
	case key.Matches(msg, k.SelectAll):
		return b.selectVisible(), true
	case key.Matches(msg, k.ClearAll):
		b.sel.clear()
		return nil, true
	case key.Matches(msg, k.Hidden):
		b.showHidden = !b.showHidden
		return b.refresh(), true
	case key.Matches(msg, k.Excluded):
		b.hideExcluded = !b.hideExcluded
		return b.refresh(), true
	case key.Matches(msg, k.Sort):
		b.sortBy = (b.sortBy + 1) % sortOrders
		return b.refresh(), true
	}
	return nil, false
}

// toggle flips e in the selection. A directory is deselected at once when
// anything below it is selected; otherwise its files are collected in the
// background.
func (b *browser) toggle(e entry) tea.Cmd {
	switch {
	case e.err != nil:
		return errorCmd(fmt.Errorf("cannot select %s: %s", e.name, e.whyUnreadable()))
	case e.excluded:
		return errorCmd(fmt.Errorf("cannot select %s: the exclude patterns leave it out (see 'hoist config --help')", e.name))
	case e.dir && e.link && !b.followLinks:
		return errorCmd(fmt.Errorf("cannot select %s: links to directories are not followed (a setting)", e.name))
	case e.dir:
		if b.sel.countUnder(e.path) > 0 {
			b.sel.removeDir(e.path)
			return nil
		}
		b.walks++
		return walkTree(e.path, b.showHidden, b.followLinks, b.exclude, b.stop)
	case !e.regular:
		return errorCmd(fmt.Errorf("cannot select %s: not a regular file", e.name))
	case b.sel.has(e.path):
		b.sel.remove(e.path)
		return nil
	}
	b.sel.add(File{Path: e.path, Name: e.name, Size: e.size})
	return nil
}

// selectVisible adds every entry the list shows (after filtering).
func (b *browser) selectVisible() tea.Cmd {
	var cmds []tea.Cmd
	for _, it := range b.list.VisibleItems() {
		e := it.(entry)
		switch {
		case e.err != nil || e.excluded || (!e.dir && !e.regular) || (e.dir && e.link && !b.followLinks):
		case e.dir:
			if b.sel.countUnder(e.path) == 0 {
				b.walks++
				cmds = append(cmds, walkTree(e.path, b.showHidden, b.followLinks, b.exclude, b.stop))
			}
		default:
			b.sel.add(File{Path: e.path, Name: e.name, Size: e.size})
		}
	}
	return tea.Batch(cmds...)
}

func (b *browser) walked(msg treeWalkedMsg) tea.Cmd {
	b.walks--
	if msg.err != nil {
		return errorCmd(msg.err)
	}
	b.sel.addDir(msg.root, msg.files)
	if !msg.hidden && len(msg.files) > 0 {
		b.sel.hiddenLeft = true
	}
	note := fmt.Sprintf("selected %s from %s", plural(len(msg.files), "file", "files"), filepath.Base(msg.root))
	var also []string
	if msg.linksFollowed > 0 {
		also = append(also, "following "+plural(msg.linksFollowed, "link to a directory", "links to directories"))
	}
	if msg.linksNotFollowed > 0 {
		also = append(also, plural(msg.linksNotFollowed, "link to a directory", "links to directories")+" not followed")
	}
	if msg.skipped > 0 {
		also = append(also, fmt.Sprintf("%d unreadable skipped", msg.skipped))
	}
	if len(also) > 0 {
		note += " (" + strings.Join(also, "; ") + ")"
	}
	if msg.excluded > 0 {
		note += fmt.Sprintf(" (%d excluded)", msg.excluded)
	}
	return func() tea.Msg { return noticeMsg(note) }
}

func (b *browser) loaded(msg dirLoadedMsg) tea.Cmd {
	if msg.seq != b.seq {
		return nil
	}
	b.loading = ""
	if msg.entries == nil && msg.err != nil {
		if b.entries == nil {
			// Nothing shown yet (the start directory failed): show it empty.
			b.dir = msg.dir
			b.list.Title = b.displayPath(msg.dir)
		}
		return errorCmd(msg.err)
	}
	if msg.dir != b.dir {
		b.list.ResetFilter()
		b.list.ResetSelected()
	}
	b.dir = msg.dir
	b.entries = msg.entries
	for i := range b.entries {
		b.entries[i].excluded = b.excluded(b.entries[i])
	}
	return tea.Batch(b.refresh(), errorCmd(msg.err))
}

// refresh rebuilds the list from the directory's entries after a load, a
// sort change or the hidden toggle, keeping the cursor on the same entry.
func (b *browser) refresh() tea.Cmd {
	focus := b.focusName
	b.focusName = ""
	if cur, ok := b.list.SelectedItem().(entry); ok && focus == "" {
		focus = cur.name
	}
	shown := make([]entry, 0, len(b.entries))
	b.excludedHere = 0
	for _, e := range b.entries {
		if !b.showHidden && e.hidden() {
			continue
		}
		if e.excluded {
			b.excludedHere++
			if b.hideExcluded {
				continue
			}
		}
		shown = append(shown, e)
	}
	sortEntries(shown, b.sortBy)
	items := make([]list.Item, len(shown))
	focusIdx := 0
	for i, e := range shown {
		items[i] = e
		if e.name == focus {
			focusIdx = i
		}
	}
	b.list.Title = b.displayPath(b.dir)
	// Dots count the pages of a small directory; a big one gets "3/2857",
	// since the list draws, measures and drops every dot at each keystroke.
	// SetItems measures the pagination of the old page count (a big
	// directory's when leaving one), so the dots come back only after it.
	b.list.Paginator.Type = paginator.Arabic
	// The list's own filtering of the new items would answer late: drop
	// its command and filter at once.
	_ = b.list.SetItems(items)
	if len(items) <= manyEntries {
		b.list.Paginator.Type = paginator.Dots
	}
	if b.list.FilterState() == list.Unfiltered {
		b.list.Select(focusIdx)
		return nil
	}
	b.refilter()
	for i, it := range b.list.VisibleItems() {
		if it.(entry).name == focus {
			b.list.Select(i)
		}
	}
	return nil
}

func sortEntries(es []entry, by sortOrder) {
	slices.SortStableFunc(es, func(a, b entry) int {
		if a.dir != b.dir {
			if a.dir {
				return -1
			}
			return 1
		}
		switch by {
		case sortBySize:
			if c := cmp.Compare(b.size, a.size); c != 0 {
				return c
			}
		case sortByTime:
			if c := b.modTime.Compare(a.modTime); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), cmp.Compare(a.name, b.name))
	})
}

// displayPath shortens the home directory to "~".
func (b *browser) displayPath(p string) string { return shortPath(b.home, p) }

// shortPath writes the home directory in p as "~".
func shortPath(home, p string) string {
	if home != "" {
		if p == home {
			return "~"
		}
		if rel, ok := strings.CutPrefix(p, home+string(filepath.Separator)); ok {
			return "~" + string(filepath.Separator) + rel
		}
	}
	return p
}

// info is the right-hand side of the browser's header: sort and hidden state.
func (b *browser) info() string {
	s := "sort: " + b.sortBy.String()
	if b.showHidden {
		s += " · hidden shown"
	}
	for _, e := range b.entries {
		if e.link && e.dir && (b.showHidden || !e.hidden()) {
			if b.followLinks {
				s += " · dir links followed"
			} else {
				s += " · dir links not followed"
			}
			break
		}
	}
	if n := b.countOnServer(); n > 0 {
		s = fmt.Sprintf("%d on server · ", n) + s
	}
	if b.excludedHere > 0 {
		verb := "greyed"
		if b.hideExcluded {
			verb = "hidden"
		}
		s = fmt.Sprintf("%d excluded (%s) · ", b.excludedHere, verb) + s
	}
	if b.busy() {
		s = "reading… · " + s
	}
	return s
}

// view draws the list, or for a directory with nothing to list, its title
// and one line saying why: bubbles/list says "No entries" twice, in its
// status bar and in its body.
func (b *browser) view() string {
	if len(b.list.Items()) > 0 {
		return b.list.View()
	}
	msg := "This directory is empty."
	switch hidden := len(b.entries); {
	case b.entries == nil && b.loading != "":
		msg = "Reading…"
	case b.entries == nil:
		msg = "Nothing to show: the directory could not be read."
	case hidden > 0:
		msg = fmt.Sprintf("Only %s here: %s shows them.", plural(hidden, "hidden entry", "hidden entries"), b.keys.Hidden.Help().Key)
	}
	title := b.list.Styles.TitleBar.Render(b.list.Styles.Title.Render(b.list.Title))
	return title + "\n\n" + b.list.Styles.NoItems.Render(msg)
}

// excluded reports whether the exclude patterns leave e out: its path
// relative to the upload root is matched, or its name alone outside it.
func (b *browser) excluded(e entry) bool {
	if b.exclude.Empty() {
		return false
	}
	rel, err := filepath.Rel(b.root, e.path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		rel = e.name
	}
	return b.exclude.Match(filepath.ToSlash(rel))
}
