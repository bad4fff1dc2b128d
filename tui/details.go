package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/hoist-dev/hoist/transfer/client"
)

// details is the error details view: an error the one-line status line
// shows cut, in full, with what to do about it. Up and down scroll it.
type details struct {
	title string
	// state says where an upload stands: attempt, next try.
	state string
	err   error
	// fid is the upload the error is about, for retry now; empty for
	// other errors.
	fid    string
	offset int
}

// errNothingToDetail answers the details key when no error is shown.
var errNothingToDetail = errors.New("no error to show: the details key opens the error the status line shows")

// openDetails opens the details of shown, the error the status line
// showed when the key was pressed, or else of the focused upload's last
// error on the Upload screen.
func (m *Model) openDetails(shown error) error {
	if shown != nil {
		m.details = &details{err: shown}
		return nil
	}
	if m.screen != screenUpload {
		return errNothingToDetail
	}
	t, f := m.uploads.focused()
	switch {
	case f != nil && f.State == client.FileFailed && f.Err != nil:
		m.details = &details{title: fmt.Sprintf("%s of upload %d failed", f.Name, t.num), err: f.Err}
	case t != nil && t.lastErr != nil:
		m.details = &details{title: fmt.Sprintf("Upload %d · %s", t.num, plural(len(t.files), "file", "files")), err: t.lastErr, fid: t.fid}
	default:
		return errNothingToDetail
	}
	return nil
}

// refresh updates what the view says of the upload's state.
func (d *details) refresh(m *Model) {
	d.state = ""
	if d.fid == "" {
		return
	}
	t := m.uploads.byFID[d.fid]
	if t == nil {
		return
	}
	switch {
	case t.startErr != nil:
		d.state = "The upload could not start."
	case t.state == client.StateBackingOff:
		d.state = fmt.Sprintf("Attempt %d failed with the error below.", max(1, t.attempt-1))
		if !t.retryAt.IsZero() {
			if wait := t.retryAt.Sub(m.opts.Now()); wait > 0 {
				d.state += fmt.Sprintf(" hoist tries again in %s, at %s;", formatDuration((wait + time.Second - 1).Truncate(time.Second)),
					t.retryAt.Local().Format("15:04:05"))
			} else {
				d.state += " hoist is trying again;"
			}
		}
		d.state += fmt.Sprintf(" press %s to try now.", m.keys.RetryNow.Help().Key)
	case t.state == client.StateFailed:
		d.state = "The upload failed for good with the error below."
	default:
		d.state = fmt.Sprintf("The upload is %s now; this was its last error.", t.state)
	}
}

// view draws the details in width x height.
func (d *details) view(m *Model, width, height int) string {
	s := &m.styles
	d.refresh(m)
	var b strings.Builder
	if d.title != "" {
		b.WriteString(s.Heading.Render(d.title) + "\n")
		if d.state != "" {
			b.WriteString(wrap(d.state, width) + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString(s.Heading.Render("Error") + "\n")
	b.WriteString(s.Error.Render(wrap(d.err.Error(), width)) + "\n")
	b.WriteString("\n" + s.Heading.Render("What to do") + "\n")
	advice := client.Hint(d.err)
	if advice == "" {
		advice = "No advice beyond the error itself."
		if d.fid != "" {
			advice += " The event log (" + m.keys.Log.Help().Key + " on the Upload screen) shows what led here."
		}
	}
	b.WriteString(wrap(advice, width))
	lines := strings.Split(b.String(), "\n")
	d.offset = max(0, min(d.offset, len(lines)-height))
	return strings.Join(lines[d.offset:min(len(lines), d.offset+height)], "\n")
}

// wrap breaks text into lines of at most width cells, between words where
// it can.
func wrap(text string, width int) string {
	if width < 1 {
		return ""
	}
	return ansi.Wrap(text, width, "")
}

// detailsHelp is the footer while the details view is open.
func (m *Model) detailsHelp() []key.Binding {
	k := &m.keys
	bs := []key.Binding{k.Up, k.Down}
	if m.details.fid != "" {
		if t := m.uploads.byFID[m.details.fid]; t != nil && t.state == client.StateBackingOff {
			bs = append(bs, k.RetryNow)
		}
	}
	return append(bs, key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc/d", "close")), k.Quit)
}

// hasDetails reports whether the details key has an error to open: one in
// the status line, or the focused upload's last error.
func (m *Model) hasDetails() bool {
	if m.editing || (m.screen == screenBrowse && m.browse.capturing()) {
		return false // the key is typed
	}
	if m.err != nil {
		return true
	}
	if m.screen != screenUpload {
		return false
	}
	t, f := m.uploads.focused()
	return (t != nil && t.lastErr != nil) || (f != nil && f.State == client.FileFailed && f.Err != nil)
}
