package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/client"
)

// driver feeds a Model messages and runs the commands they return, the way
// the bubbletea runtime does, but synchronously, so that unit tests can
// check the model's state after each key.
type driver struct {
	t  testing.TB
	m  *Model
	up *fakeUploader
}

// newDriver returns a driver for a model of size width x height with the
// start directory loaded. Init's event listener is not started: unit tests
// feed engine events with events().
func newDriver(t testing.TB, opts Options, width, height int) *driver {
	t.Helper()
	return newDriverWith(t, opts, newFakeUploader(t), width, height)
}

// newDriverWith is newDriver with a prepared uploader.
func newDriverWith(t testing.TB, opts Options, up *fakeUploader, width, height int) *driver {
	t.Helper()
	d := &driver{t: t, m: New(opts, up), up: up}
	d.m.tickEvery = time.Millisecond // ticks are dropped anyway; do not wait for them
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: width, Height: height})
	d.run(d.m.browse.init())
	d.run(loadUnfinished(up))
	d.run(loadRateLimit(up))
	return d
}

func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	_, cmd := d.m.Update(msg)
	d.run(cmd)
}

func (d *driver) run(cmd tea.Cmd) {
	d.t.Helper()
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
	case tickMsg:
		// Dropped: ticks would go on as long as uploads run.
	default:
		d.send(msg)
	}
}

// keys sends key presses: names like "enter", "esc", "space", "ctrl+c",
// or text typed one rune at a time.
func (d *driver) keys(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		for _, msg := range keyMsgs(k) {
			d.send(msg)
		}
	}
}

// events feeds engine events as one batch.
func (d *driver) events(evs ...client.Event) {
	d.t.Helper()
	d.send(eventsMsg{events: evs})
}

// view returns the rendered screen.
func (d *driver) view() string { return d.m.View() }

// requireView fails unless the screen shows every one of want.
func (d *driver) requireView(want ...string) {
	d.t.Helper()
	v := d.view()
	for _, w := range want {
		if !strings.Contains(v, w) {
			d.t.Fatalf("screen lacks %q:\n%s", w, v)
		}
	}
}

// rejectView fails if the screen shows any of unwanted.
func (d *driver) rejectView(unwanted ...string) {
	d.t.Helper()
	v := d.view()
	for _, w := range unwanted {
		if strings.Contains(v, w) {
			d.t.Fatalf("screen shows %q:\n%s", w, v)
		}
	}
}

var namedKeys = map[string]tea.KeyType{
	"enter": tea.KeyEnter, "esc": tea.KeyEsc, "space": tea.KeySpace, "tab": tea.KeyTab,
	"shift+tab": tea.KeyShiftTab, "backspace": tea.KeyBackspace, "delete": tea.KeyDelete,
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
	"ctrl+c": tea.KeyCtrlC,
}

// keyMsgs turns a key name or a text into key messages.
func keyMsgs(k string) []tea.KeyMsg {
	if t, ok := namedKeys[k]; ok {
		return []tea.KeyMsg{{Type: t}}
	}
	var out []tea.KeyMsg
	for _, r := range k {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return out
}
