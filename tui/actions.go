package tui

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/client"
)

// maxTypeahead bounds the keys kept while the browser is busy.
const maxTypeahead = 256

// handleKey routes a key: an open question first, then the help view, then
// a component that captures typing, then global keys, then the screen.
func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	if m.browse.busy() && msg.String() != "ctrl+c" {
		if len(m.typeahead) < maxTypeahead {
			m.typeahead = append(m.typeahead, msg)
		}
		return nil
	}
	shown := m.err
	m.err, m.notice = nil, ""

	if m.confirm != nil {
		c := m.confirm
		switch {
		case msg.String() == "ctrl+c":
			return m.quit() // a second ctrl+c does not ask again
		case key.Matches(msg, k.Yes), c.yesOnEnter && msg.Type == tea.KeyEnter:
			m.confirm = nil
			return c.yes()
		case c.altRun != nil && key.Matches(msg, c.alt):
			m.confirm = nil
			return c.altRun()
		case key.Matches(msg, k.No):
			m.confirm = nil
		}
		return nil
	}
	if m.details != nil {
		return m.detailsKey(msg)
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, k.Help), key.Matches(msg, k.Back):
			m.showHelp = false
		case key.Matches(msg, k.Quit):
			return m.requestQuit()
		case key.Matches(msg, k.Up):
			m.helpOffset = max(0, m.helpOffset-1)
		case key.Matches(msg, k.Down):
			m.helpOffset++
		}
		return nil
	}
	if msg.String() == "ctrl+c" {
		return m.requestQuit()
	}
	if m.editing {
		cmd, done := m.tags.update(msg)
		if done {
			m.closeTags()
		}
		return cmd
	}
	if m.screen == screenBrowse && m.browse.capturing() {
		return m.browse.update(msg)
	}
	if m.screen == screenRemote && m.remote.typing {
		return m.remoteKey(msg)
	}

	switch {
	case key.Matches(msg, k.Quit):
		return m.requestQuit()
	case key.Matches(msg, k.Help):
		m.showHelp, m.helpOffset = true, 0
		return nil
	case key.Matches(msg, k.Details):
		return errorCmd(m.openDetails(shown))
	case key.Matches(msg, k.Faster):
		return m.changeRate(fasterRate(m.rateLimit))
	case key.Matches(msg, k.Slower):
		return m.changeRate(slowerRate(m.rateLimit))
	case key.Matches(msg, k.NextScreen) && m.screen != screenResume:
		return m.show((m.screen + 1) % screenResume)
	case key.Matches(msg, k.PrevScreen) && m.screen != screenResume:
		return m.show((m.screen + screenResume - 1) % screenResume)
	case key.Matches(msg, k.RemoteScreen) && m.screen != screenResume:
		return m.show(screenRemote)
	}

	switch m.screen {
	case screenBrowse:
		return m.browseKey(msg)
	case screenReview:
		return m.reviewKey(msg)
	case screenUpload:
		return m.uploadKey(msg)
	case screenResume:
		return m.resumeKey(msg)
	case screenRemote:
		return m.remoteKey(msg)
	}
	return nil
}

// show switches to screen s; the Remote screen lists the files on the
// server the first time it shows.
func (m *Model) show(s screen) tea.Cmd {
	m.screen = s
	if s == screenRemote && !m.remote.started {
		return m.remote.load(m.ctx, m.up)
	}
	return nil
}

func (m *Model) remoteKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	if !m.remote.typing {
		switch {
		case key.Matches(msg, k.Back):
			m.screen = screenBrowse
			return nil
		case key.Matches(msg, k.Refresh):
			return m.remote.load(m.ctx, m.up)
		case key.Matches(msg, k.Remove):
			m.requestRemove()
			return nil
		}
	}
	if tag, apply := m.remote.update(msg); apply {
		m.remote.tag = tag
		return m.remote.load(m.ctx, m.up)
	}
	return nil
}

// requestRemove asks before removing the focused file from the server.
func (m *Model) requestRemove() {
	f, ok := m.remote.focusedFile()
	if !ok {
		m.err = errors.New("nothing to remove: put the cursor on a file (removal takes one file at a time)")
		return
	}
	ctx, up, p := m.ctx, m.up, f.Path
	m.confirm = &confirmation{
		prompt: fmt.Sprintf("Remove %s (%s) from the server?\nIt is deleted for good.", truncate(p, 50), units.FormatSize(f.Size)),
		yes: func() tea.Cmd {
			return func() tea.Msg {
				removed, err := up.Remove(ctx, []string{p})
				if err != nil {
					return remoteRemovedMsg{err: fmt.Errorf("remove %s: %w", p, err)}
				}
				return remoteRemovedMsg{paths: removed}
			}
		},
	}
}

func (m *Model) browseKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Tags):
		title := "Tags for the next upload (nothing selected yet)"
		if n := m.sel.len(); n > 0 {
			title = fmt.Sprintf("Tags for the selection (%s, %s)", plural(n, "file", "files"), units.FormatSize(m.sel.size()))
		}
		return m.openTags(-1, title, m.pendingTags)
	case key.Matches(msg, k.Queue):
		return m.queueSelection()
	case key.Matches(msg, k.Review):
		m.screen = screenReview
		return nil
	}
	return m.browse.update(msg)
}

func (m *Model) reviewKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Start):
		return m.startQueued()
	case key.Matches(msg, k.Tags):
		if i := m.review.focused(); i >= 0 {
			return m.openTags(i, fmt.Sprintf("Tags for upload %d", i+1), m.review.queue[i].Tags)
		}
		return nil
	case key.Matches(msg, k.Back):
		m.screen = screenBrowse
		return nil
	}
	return m.review.update(msg)
}

func (m *Model) uploadKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Back):
		m.screen = screenBrowse
		return nil
	case key.Matches(msg, k.Pause):
		return m.togglePause()
	case key.Matches(msg, k.Cancel):
		m.requestCancel()
		return nil
	case key.Matches(msg, k.RetryNow):
		t, _ := m.uploads.focused()
		return m.retryNow(t)
	}
	return m.uploads.update(msg)
}

// detailsKey handles a key while the error details view is open.
func (m *Model) detailsKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	switch {
	case msg.String() == "ctrl+c", key.Matches(msg, k.Quit):
		return m.requestQuit()
	case key.Matches(msg, k.Back), key.Matches(msg, k.Details), key.Matches(msg, k.Help):
		m.details = nil
	case key.Matches(msg, k.Up):
		m.details.offset = max(0, m.details.offset-1)
	case key.Matches(msg, k.Down):
		m.details.offset++
	case key.Matches(msg, k.RetryNow) && m.details.fid != "":
		return m.retryNow(m.uploads.byFID[m.details.fid])
	}
	return nil
}

// retryNow asks the engine to end t's wait before its next attempt.
func (m *Model) retryNow(t *tracked) tea.Cmd {
	if t == nil || !t.active() || t.state != client.StateBackingOff {
		return errorCmd(errors.New("nothing to retry now: the upload is not waiting to try again"))
	}
	fid, num, up := t.fid, t.num, m.up
	return func() tea.Msg {
		if err := up.RetryNow(fid); err != nil {
			return ErrorMsg{fmt.Errorf("upload %d: %w", num, err)}
		}
		return noticeMsg(fmt.Sprintf("upload %d: trying again now", num))
	}
}

func (m *Model) resumeKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.ResumeSelected):
		return m.resumeChosen()
	case key.Matches(msg, k.Skip):
		m.screen = screenBrowse
		m.notice = "unfinished uploads stay in the journal; they are offered again next time"
		return nil
	}
	return m.resume.update(msg)
}

// openTags opens the tag editor on tags, for target (-1 = the selection).
func (m *Model) openTags(target int, title string, tags []string) tea.Cmd {
	m.editing, m.tagTarget = true, target
	return m.tags.open(title, tags, mergeTags(m.opts.DefaultTags, m.usedTags))
}

func (m *Model) closeTags() {
	m.editing = false
	if m.tagTarget < 0 {
		m.pendingTags = m.tags.tags
	} else {
		m.review.setTags(m.tagTarget, m.tags.tags)
	}
}

// queueSelection turns the selection and its tags into one queued upload.
func (m *Model) queueSelection() tea.Cmd {
	files := m.sel.list()
	if len(files) == 0 {
		return errorCmd(errors.New("nothing selected: press space on files (or directories) first"))
	}
	up := Upload{Files: files, Tags: slices.Clone(m.pendingTags)}
	if dirs, loose := m.sel.roots(); len(dirs) > 0 {
		// Directories go up as trees, with their paths; files picked
		// on their own go up by name.
		up.Roots, up.skipHidden = dirs, m.sel.hiddenLeft
		for _, f := range loose {
			up.Roots = append(up.Roots, f.Path)
		}
		if dup := duplicateBase(up.Roots); dup != "" {
			return errorCmd(fmt.Errorf("two selections both go up as %q; queue them as separate uploads", dup))
		}
		up.rootSums = sumRoots(up.Roots, files)
	} else if dup := duplicateNames(files); dup != "" {
		return errorCmd(fmt.Errorf("two selected files are both named %q; the server stores files by name, so queue them as separate uploads", dup))
	}
	m.review.add(up)
	m.sel.clear()
	m.pendingTags = slices.Clone(m.opts.DefaultTags)
	m.screen = screenReview
	m.notice = fmt.Sprintf("queued upload %d: %s; enter starts, esc adds another group", len(m.review.queue), plural(len(files), "file", "files"))
	return nil
}

// sumRoots counts files under each root (a root that is a file counts
// itself).
func sumRoots(roots []string, files []File) []rootSum {
	sums := make([]rootSum, len(roots))
	at := make(map[string]int, len(roots))
	for i, r := range roots {
		sums[i].path = r
		at[r] = i
	}
	for _, f := range files {
		for d := f.Path; ; d = filepath.Dir(d) {
			if i, ok := at[d]; ok {
				sums[i].files++
				sums[i].bytes += f.Size
				break
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	return sums
}

// duplicateBase returns a base name two of paths share, or "".
func duplicateBase(paths []string) string {
	seen := make(map[string]bool, len(paths))
	for _, p := range paths {
		b := filepath.Base(p)
		if seen[b] {
			return b
		}
		seen[b] = true
	}
	return ""
}

func duplicateNames(files []File) string {
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if seen[f.Name] {
			return f.Name
		}
		seen[f.Name] = true
	}
	return ""
}

// startQueued starts every queued upload and switches to the Upload screen.
func (m *Model) startQueued() tea.Cmd {
	queued := m.review.take()
	if len(queued) == 0 {
		return errorCmd(errors.New("the queue is empty: select files in Browse and press u"))
	}
	var cmds []tea.Cmd
	var tags []string
	for _, u := range queued {
		u.FID = m.opts.NewFID()
		m.uploads.add(u.FID.String(), u)
		if len(u.Roots) > 0 {
			cmds = append(cmds, startJob(m.up, u, m.opts.Exclude, m.browse.root))
		} else {
			cmds = append(cmds, startUpload(m.up, u))
		}
		tags = mergeTags(tags, u.Tags)
	}
	m.usedTags = mergeTags(tags, m.usedTags)
	m.screen = screenUpload
	cmds = append(cmds, saveTagHistory(m.opts.TagHistoryFile, m.usedTags), m.startTicking())
	return tea.Batch(cmds...)
}

func startUpload(up Uploader, u Upload) tea.Cmd {
	return func() tea.Msg {
		want := u.FID.String()
		fid, err := up.Start(u)
		if err == nil && fid != want {
			err = fmt.Errorf("engine started upload %s as %s", want, fid)
		}
		return startedMsg{fid: want, err: err}
	}
}

// startJob starts u, whose Roots are set, as a job leaving out what
// excludes (and hidden entries, when the selection left them out) names,
// matched as the browser matched them: relative to its start directory.
func startJob(up Uploader, u Upload, excludes []string, startDir string) tea.Cmd {
	return func() tea.Msg {
		key := u.FID.String()
		globs := slices.Clone(excludes)
		if u.skipHidden {
			globs = append(globs, ".*")
		}
		x, err := client.NewExcludes(globs)
		if err != nil {
			return startedMsg{fid: key, err: fmt.Errorf("cannot start: %w; fix the exclude setting", err)}
		}
		job, err := up.StartTree(Tree{Paths: u.Roots, Tags: u.Tags, Exclude: x.Within(startDir)})
		return startedMsg{fid: key, job: job, err: err}
	}
}

func loadUnfinished(up Uploader) tea.Cmd {
	return func() tea.Msg {
		us, err := up.Unfinished()
		return unfinishedMsg{uploads: us, err: err}
	}
}

// offerResume shows the Resume screen when the journal has unfinished
// uploads and the user has not started anything yet.
func (m *Model) offerResume(msg unfinishedMsg) tea.Cmd {
	if msg.err != nil {
		return errorCmd(fmt.Errorf("cannot read the journal of unfinished uploads: %w", msg.err))
	}
	var fresh []Unfinished
	for _, u := range msg.uploads {
		if m.uploads.byFID[u.FID] == nil {
			fresh = append(fresh, u)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	m.resume.set(fresh)
	if m.screen == screenBrowse && !m.editing && m.sel.len() == 0 {
		m.screen = screenResume
	}
	return nil
}

// resumeChosen resumes the picked unfinished uploads.
func (m *Model) resumeChosen() tea.Cmd {
	chosen := m.resume.chosen()
	m.resume.set(nil)
	if len(chosen) == 0 {
		m.screen = screenBrowse
		return nil
	}
	var cmds []tea.Cmd
	for _, u := range chosen {
		m.uploads.add(u.FID, Upload{Files: u.Files, Tags: u.Tags})
		cmds = append(cmds, resumeUpload(m.up, u.FID))
	}
	m.screen = screenUpload
	return tea.Batch(append(cmds, m.startTicking())...)
}

func resumeUpload(up Uploader, fid string) tea.Cmd {
	return func() tea.Msg {
		return startedMsg{fid: fid, err: up.ResumeUnfinished(fid)}
	}
}

// togglePause pauses the focused upload, or resumes it when paused.
func (m *Model) togglePause() tea.Cmd {
	t, _ := m.uploads.focused()
	if t == nil || !t.active() {
		return errorCmd(errors.New("nothing to pause: the focused upload is not running"))
	}
	// The command runs on its own goroutine: it takes copies, not t.
	fid, num, paused, up := t.fid, t.num, t.state == client.StatePaused, m.up
	return func() tea.Msg {
		var err error
		if paused {
			err = up.Resume(fid)
		} else {
			err = up.Pause(fid)
		}
		if err != nil {
			return ErrorMsg{fmt.Errorf("upload %d: %w", num, err)}
		}
		return nil
	}
}

// requestCancel asks before cancelling the focused upload.
func (m *Model) requestCancel() {
	t, _ := m.uploads.focused()
	if t == nil || !t.active() {
		m.err = errors.New("nothing to cancel: the focused upload is not running")
		return
	}
	names := make([]string, len(t.files))
	for i, f := range t.files {
		names[i] = f.Name
	}
	up, fid, num := m.up, t.fid, t.num
	if t.job != nil {
		job := t.job.id
		if job == "" {
			m.err = errors.New("the upload is still starting: cancel it in a moment")
			return
		}
		m.confirm = &confirmation{
			prompt: fmt.Sprintf("Cancel upload %d (%s)?\nIt stops for good, the part sending now included; parts done stay on the server.",
				num, truncate(rootNames(t.job.roots), 60)),
			yes: func() tea.Cmd {
				return func() tea.Msg {
					if err := up.CancelJob(job); err != nil {
						return ErrorMsg{fmt.Errorf("cancel upload %d: %w", num, err)}
					}
					return noticeMsg(fmt.Sprintf("upload %d canceled", num))
				}
			},
		}
		return
	}
	m.confirm = &confirmation{
		prompt: fmt.Sprintf("Cancel upload %d (%s)?\nIt stops for good and will not be offered for resuming.",
			num, truncate(strings.Join(names, ", "), 60)),
		yes: func() tea.Cmd {
			return func() tea.Msg {
				err := up.Cancel(fid)
				switch {
				case errors.Is(err, client.ErrPartialKept):
					// Canceled here; only the server's copy lingers.
					return noticeMsg(fmt.Sprintf("upload %d canceled; the server keeps its partial data until it expires", num))
				case err != nil:
					return ErrorMsg{fmt.Errorf("cancel upload %d: %w", num, err)}
				}
				return noticeMsg(fmt.Sprintf("upload %d canceled", num))
			}
		},
	}
}

// requestQuit quits, asking first while uploads run or wait in the queue.
func (m *Model) requestQuit() tea.Cmd {
	var worries []string
	if n := m.uploads.running(); n > 0 && m.detached() && len(m.review.queue) == 0 {
		return m.requestDetachedQuit(n)
	} else if n > 0 {
		them := "them"
		if n == 1 {
			them = "it"
		}
		worries = append(worries, plural(n, "upload is", "uploads are")+" still running; the journal keeps "+
			them+" and hoist offers to resume next time.")
	}
	for _, t := range m.uploads.uploads {
		if t.job != nil && t.active() {
			worries = append(worries, "A directory's parts not started yet are not kept: send it again later (files already on the server are skipped).")
			break
		}
	}
	if n := len(m.review.queue); n > 0 {
		worries = append(worries, plural(n, "queued upload was", "queued uploads were")+" never started and will be forgotten.")
	}
	if len(worries) == 0 {
		return m.quit()
	}
	m.confirm = &confirmation{prompt: strings.Join(worries, "\n") + "\n\nQuit hoist?", yes: m.quit}
	return nil
}

func (m *Model) quit() tea.Cmd {
	m.Close()
	return tea.Quit
}
