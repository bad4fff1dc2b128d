package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every key binding of the UI, one field per action. Screens
// pick the bindings they react to; the help view lists them per screen.
type KeyMap struct {
	// Everywhere.
	Quit       key.Binding
	Help       key.Binding
	NextScreen key.Binding
	PrevScreen key.Binding
	Back       key.Binding
	// RemoteScreen opens the Remote screen.
	RemoteScreen key.Binding
	// Faster and Slower step the upload rate limit up and down.
	Faster key.Binding
	Slower key.Binding

	// Moving in lists (browse, review, upload, resume).
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding

	// Browse.
	Open        key.Binding
	Parent      key.Binding
	Toggle      key.Binding
	SelectAll   key.Binding
	ClearAll    key.Binding
	Filter      key.Binding
	ClearFilter key.Binding
	Hidden      key.Binding
	Excluded    key.Binding
	Sort        key.Binding
	Home        key.Binding
	Tags        key.Binding
	Queue       key.Binding
	Review      key.Binding

	// Tags editor.
	AddTag           key.Binding
	RemoveTag        key.Binding
	PrevTag          key.Binding
	NextTag          key.Binding
	AcceptSuggestion key.Binding
	CloseTags        key.Binding

	// Review.
	Start  key.Binding
	Remove key.Binding

	// Upload.
	Pause    key.Binding
	Cancel   key.Binding
	RetryNow key.Binding
	Log      key.Binding

	// Remote (and Remove, as in Review).
	TagFilter key.Binding
	Refresh   key.Binding

	// Details opens the error the status line shows, in full, with what to
	// do about it.
	Details key.Binding

	// Resume offer.
	ResumeSelected key.Binding
	Skip           key.Binding

	// Confirmation dialogs.
	Yes key.Binding
	No  key.Binding
}

// DefaultKeyMap returns hoist's key bindings. Every action has a key that
// works on any terminal, mouse or not.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Quit:         key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:         key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		NextScreen:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next screen")),
		PrevScreen:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous screen")),
		Back:         key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		RemoteScreen: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "files on server")),
		Faster:       key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "raise rate limit")),
		Slower:       key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "lower rate limit")),

		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),

		Open:        key.NewBinding(key.WithKeys("enter", "right", "l"), key.WithHelp("enter/→/l", "open dir")),
		Parent:      key.NewBinding(key.WithKeys("backspace", "left", "h"), key.WithHelp("⌫/←/h", "parent dir")),
		Toggle:      key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "select")),
		SelectAll:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "select all shown")),
		ClearAll:    key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "clear selection")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Hidden:      key.NewBinding(key.WithKeys("."), key.WithHelp(".", "hidden files")),
		Excluded:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "grey/hide excluded")),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Home:        key.NewBinding(key.WithKeys("~"), key.WithHelp("~", "home dir")),
		Tags:        key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tags")),
		Queue:       key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "queue selection")),
		Review:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "review queue")),

		AddTag:           key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "add tag")),
		RemoveTag:        key.NewBinding(key.WithKeys("backspace", "delete"), key.WithHelp("⌫ (empty)", "remove tag")),
		PrevTag:          key.NewBinding(key.WithKeys("left"), key.WithHelp("← (empty)", "previous tag")),
		NextTag:          key.NewBinding(key.WithKeys("right"), key.WithHelp("→ (empty)", "next tag")),
		AcceptSuggestion: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")),
		CloseTags:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "done")),

		Start:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start uploads")),
		Remove: key.NewBinding(key.WithKeys("x", "delete"), key.WithHelp("x", "remove")),

		Pause:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause/resume")),
		Cancel:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel upload")),
		RetryNow: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry now")),
		Log:      key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "event log")),

		TagFilter: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter by tag")),
		Refresh:   key.NewBinding(key.WithKeys("r", "ctrl+r"), key.WithHelp("r", "refresh")),

		Details: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "error details")),

		ResumeSelected: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "resume selected")),
		Skip:           key.NewBinding(key.WithKeys("esc", "n"), key.WithHelp("esc", "not now")),

		Yes: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:  key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),
	}
}

// helpSection is one titled block of the full help view.
type helpSection struct {
	title  string
	groups [][]key.Binding
}

// helpSections lists every screen's keys for the full help view.
func (k KeyMap) helpSections() []helpSection {
	return []helpSection{
		{"Browse", k.browseHelp()},
		{"Tags editor", k.tagsHelp()},
		{"Review", k.reviewHelp()},
		{"Upload", k.uploadHelp()},
		{"Remote", k.remoteHelp()},
		{"Everywhere", [][]key.Binding{
			{k.NextScreen, k.PrevScreen, k.RemoteScreen, k.Details},
			{k.Faster, k.Slower, k.Help, k.Quit},
		}},
	}
}

// browseHelp is the Browse screen's full help.
func (k KeyMap) browseHelp() [][]key.Binding {
	// The keys that do the work first: on a small screen they show
	// without scrolling.
	return [][]key.Binding{
		{k.Toggle, k.Tags, k.Queue, k.Review, k.SelectAll, k.ClearAll},
		{k.Open, k.Parent, k.Home, k.Hidden, k.Excluded, k.Sort, k.ClearFilter},
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Filter},
	}
}

// tagsHelp is the tag editor's full help.
func (k KeyMap) tagsHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.AddTag, k.AcceptSuggestion, k.CloseTags},
		{k.RemoveTag, k.PrevTag, k.NextTag},
	}
}

// reviewHelp is the Review screen's full help.
func (k KeyMap) reviewHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Start},
		{k.Tags, k.Remove, k.Back},
	}
}

// uploadHelp is the Upload screen's full help.
func (k KeyMap) uploadHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.Pause},
		{k.Cancel, k.RetryNow, k.Log, k.PageUp, k.PageDown, k.Back},
	}
}

// remoteHelp is the Remote screen's full help.
func (k KeyMap) remoteHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Open, k.Parent, k.PageUp, k.PageDown},
		{k.TagFilter, k.Remove, k.Refresh, k.Back},
	}
}
