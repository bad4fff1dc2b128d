package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/client"
)

// component is what every screen offers the root model.
type component interface {
	SetSize(width, height int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

var (
	_ component = (*browser)(nil)
	_ component = (*tagEditor)(nil)
	_ component = (*review)(nil)
	_ component = (*uploadScreen)(nil)
	_ component = (*resumeOffer)(nil)
	_ component = (*remoteScreen)(nil)
)

// screen names the top-level screens.
type screen int

const (
	screenBrowse screen = iota
	screenReview
	screenUpload
	screenRemote
	// screenResume is last: tab cycles through the screens before it.
	screenResume
)

// tickInterval paces countdowns and rates while uploads run.
const tickInterval = time.Second

// Model is the UI's root bubbletea model. It owns the screens, routes keys
// and messages to them, and does the work that spans screens: queueing the
// selection, starting uploads, quitting.
type Model struct {
	opts   Options
	keys   KeyMap
	styles Styles
	up     Uploader

	// stop ends the background commands (event reader, ticks, tree walks)
	// when the UI quits.
	stop     chan struct{}
	stopOnce sync.Once
	// ctx is canceled with stop, for background work that takes one.
	ctx    context.Context
	cancel context.CancelFunc

	width, height int
	screen        screen
	showHelp      bool
	helpOffset    int
	// tagTarget is whose tags the open tag editor edits: -1 for the
	// selection, else a queued upload's index; editing reports whether the
	// editor is open.
	editing   bool
	tagTarget int
	confirm   *confirmation
	// details is the open error details view, if any.
	details *details

	// typeahead holds keys typed while the browser was busy.
	typeahead []tea.KeyMsg

	sel         *selection
	pendingTags []string
	usedTags    []string

	browse  *browser
	tags    *tagEditor
	review  *review
	uploads *uploadScreen
	resume  *resumeOffer
	remote  *remoteScreen
	help    help.Model

	// marksOff is set once looking up files on the server failed.
	marksOff bool
	// rateLimit is the engine's rate limit in bytes per second (0: none).
	rateLimit int64
	// excludeErr is why the exclude patterns could not be used.
	excludeErr error

	err       error
	notice    string
	ticking   bool
	tickEvery time.Duration
	listening bool
}

// New returns the UI's model driving up. Run shows it on the terminal; tests
// drive it with teatest.
func New(opts Options, up Uploader) *Model {
	opts = opts.withDefaults()
	m := &Model{
		opts:        opts,
		keys:        DefaultKeyMap(),
		styles:      DefaultStyles(),
		up:          up,
		stop:        make(chan struct{}),
		sel:         newSelection(),
		pendingTags: slices.Clone(opts.DefaultTags),
		tagTarget:   -1,
		tickEvery:   tickInterval,
	}
	m.browse = newBrowser(&m.keys, &m.styles, m.sel, opts, m.stop)
	m.browse.exclude, m.excludeErr = client.NewExcludes(opts.Exclude)
	m.tags = newTagEditor(&m.keys, &m.styles)
	m.review = newReview(&m.keys, &m.styles, opts)
	m.uploads = newUploadScreen(&m.keys, &m.styles, opts.Now)
	m.resume = newResumeOffer(&m.keys, &m.styles, opts.Now)
	m.remote = newRemoteScreen(&m.keys, &m.styles, opts.Now)
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.help = help.New()
	m.help.Styles = m.styles.Help
	m.adoptPartlessJobs()
	return m
}

// Close stops the model's background commands. Run calls it; tests that
// drive the model themselves should too.
func (m *Model) Close() {
	m.stopOnce.Do(func() {
		close(m.stop)
		m.cancel()
	})
}

// Init implements tea.Model: read the start directory, the journal and the
// tag history, and listen to the engine.
func (m *Model) Init() tea.Cmd {
	m.listening = true
	return tea.Batch(
		m.browse.init(),
		loadUnfinished(m.up),
		loadTagHistory(m.opts.TagHistoryFile),
		listenEvents(m.up.Events(), m.stop),
		errorCmd(m.excludeErr),
		loadRateLimit(m.up),
	)
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
		return m, nil
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			// Keys typed faster than the terminal is read arrive as one
			// message; each is a command of its own.
			cmds := make([]tea.Cmd, 0, len(msg.Runes))
			for _, r := range msg.Runes {
				cmds = append(cmds, m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}))
			}
			return m, tea.Batch(cmds...)
		}
		return m, m.handleKey(msg)
	case ErrorMsg:
		m.err, m.notice = msg.Err, ""
		return m, nil
	case noticeMsg:
		m.notice = string(msg)
		return m, nil
	case eventsMsg:
		m.adoptUploads(msg.events)
		running := m.uploads.running()
		m.uploads.apply(msg.events)
		var refresh []tea.Cmd
		if m.uploads.running() < running {
			// What finished may be on the server now.
			m.browse.forgetMarks()
			refresh = append(refresh, m.lookupMarks())
			if m.remote.started {
				refresh = append(refresh, m.remote.load(m.ctx, m.up))
			}
		}
		var cmd tea.Cmd
		if msg.src != nil {
			// Keep reading the stream the batch came from.
			m.listening = !msg.closed
			if m.listening {
				cmd = listenEvents(msg.src, m.stop)
			} else if l, ok := m.up.(interface{ Lost() error }); ok && l.Lost() != nil {
				m.err = l.Lost()
			}
		}
		return m, tea.Batch(append(refresh, cmd, m.startTicking())...)
	case tickMsg:
		m.ticking = false
		return m, m.startTicking()
	case startedMsg:
		if msg.err != nil {
			m.uploads.startFailed(msg.fid, msg.err)
			m.err = msg.err
		} else if msg.job != "" {
			m.uploads.jobStarted(msg.fid, msg.job)
		}
		return m, nil
	case unfinishedMsg:
		return m, m.offerResume(msg)
	case remotePageMsg:
		cmd, err := m.remote.addPage(msg)
		if err != nil && m.ctx.Err() == nil {
			m.err, m.notice = fmt.Errorf("listing your files on the server: %w", err), ""
		}
		return m, cmd
	case remoteRemovedMsg:
		if msg.err != nil {
			m.err, m.notice = msg.err, ""
			return m, nil
		}
		m.remote.removed(msg.paths)
		m.notice = "removed from the server: " + strings.Join(msg.paths, ", ")
		return m, nil
	case rateLimitMsg:
		m.rateLimit = int64(msg)
		return m, nil
	case tagHistoryMsg:
		m.usedTags = mergeTags(m.usedTags, msg.tags)
		return m, nil
	case marksMsg:
		return m, m.marksAnswered(msg)
	case dirLoadedMsg, treeWalkedMsg:
		cmds := []tea.Cmd{m.browse.update(msg)}
		if _, ok := msg.(dirLoadedMsg); ok {
			cmds = append(cmds, m.lookupMarks())
		}
		// Replay the keys typed while the browser was busy, until one
		// makes it busy again.
		for len(m.typeahead) > 0 && !m.browse.busy() {
			k := m.typeahead[0]
			m.typeahead = m.typeahead[1:]
			cmds = append(cmds, m.handleKey(k))
		}
		return m, tea.Batch(cmds...)
	}
	// Anything else (filter results, cursor blinks) belongs to whatever
	// has the keyboard.
	if m.editing {
		cmd, _ := m.tags.update(msg)
		return m, cmd
	}
	return m, m.browse.update(msg)
}

// startTicking schedules the next tick while uploads run.
func (m *Model) startTicking() tea.Cmd {
	if m.ticking || m.uploads.running() == 0 {
		return nil
	}
	m.ticking = true
	return tick(m.tickEvery, m.stop)
}

func (m *Model) setSize(width, height int) {
	m.width, m.height = width, height
	h := m.contentHeight()
	m.help.Width = width
	for _, c := range []component{m.browse, m.tags, m.review, m.uploads, m.resume, m.remote} {
		c.SetSize(width, h)
	}
}

// contentHeight is what is left for the screen between the header, the
// status line and the help footer.
func (m *Model) contentHeight() int { return max(1, m.height-3) }

// active is the component that has the keyboard.
func (m *Model) active() component {
	if m.editing {
		return m.tags
	}
	switch m.screen {
	case screenReview:
		return m.review
	case screenUpload:
		return m.uploads
	case screenResume:
		return m.resume
	case screenRemote:
		return m.remote
	}
	return m.browse
}
