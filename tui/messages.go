package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/client"
)

// ErrorMsg carries an error from background work to the UI, which shows it
// in the status line until the next key press.
type ErrorMsg struct{ Err error }

// Error returns the message of the error carried.
func (e ErrorMsg) Error() string { return e.Err.Error() }

// errorCmd returns a command that reports err, or nil for a nil err.
func errorCmd(err error) tea.Cmd {
	if err == nil {
		return nil
	}
	return func() tea.Msg { return ErrorMsg{err} }
}

// noticeMsg is a transient, non-error message for the status line.
type noticeMsg string

// eventsMsg is a batch of engine events read from src; closed reports the
// end of the stream.
type eventsMsg struct {
	events []client.Event
	src    <-chan client.Event
	closed bool
}

// startedMsg reports the outcome of Uploader.Start (or StartTree: job is
// the job's id) for queued upload fid.
type startedMsg struct {
	fid string
	job string
	err error
}

// unfinishedMsg carries the journal's unfinished uploads.
type unfinishedMsg struct {
	uploads []Unfinished
	err     error
}

// tickMsg drives countdowns and rates while uploads run.
type tickMsg struct{}

// Coalescing of engine events: after the first event of a batch the reader
// keeps collecting for eventCoalesce, so that a fast upload costs a handful
// of redraws a second, not one per chunk.
const (
	eventCoalesce = time.Second / 15
	maxEventBatch = 4096
)

// listenEvents returns a command that waits for the next engine events and
// returns them as one batch. It gives up when stop closes.
func listenEvents(ch <-chan client.Event, stop <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		var batch []client.Event
		select {
		case ev, ok := <-ch:
			if !ok {
				return eventsMsg{src: ch, closed: true}
			}
			batch = append(batch, ev)
		case <-stop:
			return nil
		}
		window := time.NewTimer(eventCoalesce)
		defer window.Stop()
		for len(batch) < maxEventBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					return eventsMsg{events: batch, src: ch, closed: true}
				}
				batch = append(batch, ev)
			case <-window.C:
				return eventsMsg{events: batch, src: ch}
			case <-stop:
				return eventsMsg{events: batch, src: ch}
			}
		}
		return eventsMsg{events: batch, src: ch}
	}
}

// tick returns a command that sends a tickMsg after d, or nothing if stop
// closes first.
func tick(d time.Duration, stop <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return tickMsg{}
		case <-stop:
			return nil
		}
	}
}
