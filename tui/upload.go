package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/client"
)

// uploadScreen is the Upload screen: every started upload with its files'
// progress, the focused file's chunk map, an optional event log, and a
// status bar about the focused upload's connection.
type uploadScreen struct {
	keys   *KeyMap
	styles *Styles
	now    func() time.Time
	bar    progress.Model

	uploads []*tracked
	byFID   map[string]*tracked
	// byJob finds jobs by their engine id; orphans are events about jobs
	// (or their parts) not known yet.
	byJob   map[string]*tracked
	orphans []client.Event
	log     eventLog

	// focus indexes the files of all uploads, in order. Until the user
	// moves it, it follows the first file still going up.
	focus     int
	moved     bool
	offset    int
	showLog   bool
	logScroll int

	width  int
	height int
}

func newUploadScreen(keys *KeyMap, styles *Styles, now func() time.Time) *uploadScreen {
	bar := progress.New(
		progress.WithoutPercentage(),
		progress.WithSolidFill(string(colorGreen)),
		progress.WithFillCharacters(styles.BarFull, styles.BarEmpty),
		progress.WithColorProfile(lipgloss.ColorProfile()),
	)
	return &uploadScreen{keys: keys, styles: styles, now: now, bar: bar, byFID: map[string]*tracked{}, byJob: map[string]*tracked{}}
}

// SetSize implements component.
func (u *uploadScreen) SetSize(width, height int) { u.width, u.height = width, height }

// ShortHelp implements component.
func (u *uploadScreen) ShortHelp() []key.Binding {
	k := u.keys
	t, _ := u.focused()
	switch {
	case t != nil && t.active() && t.state == client.StateBackingOff:
		return []key.Binding{k.RetryNow, k.Up, k.Down, k.Pause, k.Cancel, k.Log, k.Back, k.Help, k.Quit}
	case t != nil && !t.active():
		// Nothing to pause or cancel.
		return []key.Binding{k.Up, k.Down, k.Log, k.Back, k.Help, k.Quit}
	}
	return []key.Binding{k.Up, k.Down, k.Pause, k.Cancel, k.Log, k.Back, k.Help, k.Quit}
}

// FullHelp implements component.
func (u *uploadScreen) FullHelp() [][]key.Binding { return u.keys.uploadHelp() }

// add tracks an upload that is being started.
func (u *uploadScreen) add(fid string, up Upload) *tracked {
	t := newTracked(len(u.uploads)+1, fid, up)
	u.uploads = append(u.uploads, t)
	u.byFID[fid] = t
	what := plural(len(t.files), "file", "files")
	if t.job != nil {
		what = rootNames(up.Roots) + " with their paths"
	}
	u.log.add(logLine{at: u.now(), text: fmt.Sprintf("upload %d queued: %s, tags %s (fid %s)",
		t.num, what, tagList(t.tags), fid)})
	return t
}

// startFailed marks an upload the engine refused to start.
func (u *uploadScreen) startFailed(fid string, err error) {
	if t := u.byFID[fid]; t != nil {
		t.startErr = err
		t.lastErr = err
		u.log.add(logLine{at: u.now(), level: levelError, text: fmt.Sprintf("upload %d could not start: %v", t.num, err)})
	}
}

// running counts the uploads that have not ended.
func (u *uploadScreen) running() int {
	n := 0
	for _, t := range u.uploads {
		if t.active() {
			n++
		}
	}
	return n
}

// apply folds a batch of engine events into the screen's state.
func (u *uploadScreen) apply(events []client.Event) {
	for _, ev := range events {
		switch ev := ev.(type) {
		case *client.JobEvent:
			t := u.byJob[ev.Job]
			if t == nil {
				u.keepOrphan(ev)
				continue
			}
			if ev.Kind == client.JobPartStarted {
				u.byFID[ev.FID] = t
			}
			if line, ok := t.applyJob(ev); ok {
				u.log.add(line)
			}
			continue
		case *client.AlreadyThereEvent:
			if t := u.byJob[ev.Job]; t != nil {
				u.log.add(t.applyThere(ev))
			} else {
				u.keepOrphan(ev)
			}
			continue
		}
		t := u.byFID[ev.UploadFID()]
		if t == nil {
			// An upload this UI did not start or resume, or the part of a
			// job whose start it has not heard of yet.
			u.keepOrphan(ev)
			continue
		}
		if t.job != nil && ev.UploadFID() != t.fid {
			continue // a late word from an earlier part
		}
		switch ev := ev.(type) {
		case *client.SessionEvent:
			u.log.add(t.applySession(ev))
		case *client.ChunkEvent:
			if line, ok := t.applyChunk(ev); ok {
				u.log.add(line)
			}
		case *client.ProgressEvent:
			for _, line := range t.applyProgress(ev) {
				u.log.add(line)
			}
		}
	}
	if !u.moved {
		u.follow()
	}
}

// follow focuses the first file of a running upload that is not finished.
func (u *uploadScreen) follow() {
	i := 0
	for _, t := range u.uploads {
		for _, f := range t.files {
			if t.active() && f.State != client.FileVerified && f.State != client.FileFailed {
				u.focus = i
				return
			}
			i++
		}
	}
}

// focused returns the focused upload and file, if any.
func (u *uploadScreen) focused() (*tracked, *trackedFile) {
	i := u.focus
	for _, t := range u.uploads {
		if i < len(t.files) {
			return t, &t.files[i]
		}
		i -= len(t.files)
	}
	return nil, nil
}

func (u *uploadScreen) fileCount() int {
	n := 0
	for _, t := range u.uploads {
		n += len(t.files)
	}
	return n
}

func (u *uploadScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := u.keys
	switch {
	case key.Matches(km, k.Up):
		u.focus, u.moved = max(0, u.focus-1), true
	case key.Matches(km, k.Down):
		u.focus, u.moved = max(0, min(u.fileCount()-1, u.focus+1)), true
	case key.Matches(km, k.Top):
		u.focus, u.moved = 0, true
	case key.Matches(km, k.Bottom):
		u.focus, u.moved = max(0, u.fileCount()-1), true
	case key.Matches(km, k.Log):
		u.showLog = !u.showLog
		u.logScroll = 0
	case key.Matches(km, k.PageUp):
		u.logScroll = min(max(0, len(u.log.lines)-1), u.logScroll+5)
	case key.Matches(km, k.PageDown):
		u.logScroll = max(0, u.logScroll-5)
	}
	return nil
}

// narrow reports whether the screen is too small for the full layout.
func (u *uploadScreen) narrow() bool { return u.width < 60 || u.height < 12 }

func (u *uploadScreen) view() string {
	if len(u.uploads) == 0 {
		msg := "No uploads yet.\n\nQueue files in Browse (space, then u) and start them in Review (enter)."
		return fitLines(u.styles.Meta.Width(u.width).Render(msg), u.height)
	}
	now := u.now()
	summary := truncate(u.summary(now), u.width)

	// Budget the lines: summary, then the chunk map and the log, then files.
	left := u.height - 1
	var chunkView, logView string
	if t, f := u.focused(); f != nil && left >= 6 {
		rows := 4
		if u.narrow() {
			rows = 1
		}
		chunkView = u.chunkSection(t, f, rows)
		left -= lipgloss.Height(chunkView)
	}
	if u.showLog {
		h := max(2, left/2)
		logView = rule(u.styles, "Event log (pgup/pgdn scroll)", u.width) + "\n" +
			u.log.render(u.styles, u.width, h-1, u.logScroll)
		logView = fitLines(logView, h)
		left -= h
	}
	files := u.fileRows(now, max(1, left))

	parts := []string{summary, files}
	if chunkView != "" {
		parts = append(parts, chunkView)
	}
	if logView != "" {
		parts = append(parts, logView)
	}
	return fitLines(strings.Join(parts, "\n"), u.height)
}

// summary is the first line: how all uploads are doing together.
func (u *uploadScreen) summary(now time.Time) string {
	var acked, total uint64
	var rate float64
	files := 0
	for _, t := range u.uploads {
		a, s := t.size()
		acked, total = acked+a, total+s
		if t.sending() {
			rate += t.rate(now)
		}
		files += len(t.files)
	}
	// The most telling first: a narrow screen cuts the end. A rate and an
	// ETA only while bytes move.
	running := u.running()
	parts := []string{fmt.Sprintf("%s of %s (%s)", units.FormatSize(acked), units.FormatSize(total), percent(acked, total))}
	if rate > 0 {
		parts = append(parts, units.FormatRate(rate))
		if d, ok := eta(total-acked, rate); ok {
			parts = append(parts, "ETA "+formatDuration(d))
		}
	}
	parts = append(parts, plural(files, "file", "files"),
		fmt.Sprintf("%d of %s running", running, plural(len(u.uploads), "upload", "uploads")))
	return strings.Join(parts, " · ")
}

// chunkSection draws the focused file's chunk map with its legend.
func (u *uploadScreen) chunkSection(t *tracked, f *trackedFile, rows int) string {
	s := u.styles
	title := rule(s, fmt.Sprintf("Chunks of %s (%d)", f.Name, f.Chunks), u.width)
	if len(f.Map) == 0 {
		return title + "\n" + s.Meta.Render("no chunk map yet")
	}
	width := max(1, u.width)
	legend := chunkLegend(s)
	if lipgloss.Width(legend) > width || rows < 2 {
		legend = ""
	}
	if legend != "" {
		rows--
		title += "\n" + legend
	}
	rows = min(rows, (len(f.Map)+width-1)/width)
	return title + "\n" + renderChunkMap(s, shownMap(t, f), width, rows)
}

// shownMap is f's chunk map as the screen shows it. The engine marks a
// chunk to be sent again ("!") when its connection ends, also for a pause
// or a cancel; it counts a retry only when the chunk goes out again. Once
// the upload is paused or over nothing is going out again, so those chunks
// show as missing: a "!" never stands beside "0 retries" for a chunk that
// was not resent.
func shownMap(t *tracked, f *trackedFile) []client.ChunkState {
	if t.active() && t.state != client.StatePaused {
		return f.Map
	}
	if !slices.Contains(f.Map, client.ChunkRetrying) {
		return f.Map
	}
	cells := slices.Clone(f.Map)
	for i, c := range cells {
		if c == client.ChunkRetrying {
			cells[i] = client.ChunkMissing
		}
	}
	return cells
}

// status is the status bar: the focused upload's connection state, attempt,
// countdown to the next try, and last error.
func (u *uploadScreen) status() string {
	t, _ := u.focused()
	if t == nil {
		return ""
	}
	parts := []string{fmt.Sprintf("upload %d", t.num), u.sessionWord(t)}
	switch {
	case t.state == client.StateBackingOff && !t.retryAt.IsZero():
		// The engine numbers the attempt it is waiting to make.
		next := "retrying now"
		if d := t.retryAt.Sub(u.now()); d > 0 {
			// Count down in whole seconds, never showing 0s while waiting.
			next = "next try in " + formatDuration((d + time.Second - 1).Truncate(time.Second))
		}
		parts = append(parts, fmt.Sprintf("%s (attempt %d)", next, t.attempt))
	case t.attempt > 0 && !t.state.Final():
		parts = append(parts, fmt.Sprintf("attempt %d", t.attempt))
	}
	if t.lastErr != nil && t.state != client.StateDone {
		parts = append(parts, "last error: "+oneLine(t.lastErr.Error()))
	}
	return strings.Join(parts, " · ")
}

func percent(n, total uint64) string {
	if total == 0 {
		return "100%"
	}
	return fmt.Sprintf("%d%%", n*100/total)
}
