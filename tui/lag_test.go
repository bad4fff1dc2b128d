package tui

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// lagDriver feeds a Model the way the bubbletea runtime does when input
// arrives faster than commands answer (a paste, tmux, a laggy ssh link):
// keys already read are all handled before any command's answer, and the
// answers then come in whatever order the commands finish. Unlike the
// runtime it is deterministic: rng decides the order, so a seed replays a
// run exactly.
type lagDriver struct {
	m   *Model
	up  *fakeUploader
	rng chooser

	// pending are commands returned by Update that have not run yet.
	pending []tea.Cmd
	// quit is set when a command asked the program to quit.
	quit bool
	// trace records what was delivered, for a failure's report.
	trace []string
	// fence, if set, is a directory the browser may not leave: reading a
	// directory outside it answers "permission denied", so that random
	// keys never read the machine's own directories.
	fence string
}

// newLagDriver returns a lagDriver for a model of size width x height whose
// start directory, journal and tag history answers are pending.
func newLagDriver(t testing.TB, opts Options, up *fakeUploader, width, height int, rng chooser) *lagDriver {
	t.Helper()
	d := newLag(opts, up, width, height, rng)
	t.Cleanup(d.m.Close)
	return d
}

// newLag is newLagDriver for callers that close the model themselves.
func newLag(opts Options, up *fakeUploader, width, height int, rng chooser) *lagDriver {
	d := &lagDriver{m: New(opts, up), up: up, rng: rng}
	d.m.tickEvery = 0 // ticks answer at once; the clock is fixed anyway
	d.deliver(tea.WindowSizeMsg{Width: width, Height: height})
	// Init without the engine's event listener, which waits for events:
	// the tests deliver engine events themselves.
	for _, cmd := range []tea.Cmd{d.m.browse.init(), loadUnfinished(up), loadTagHistory(opts.TagHistoryFile)} {
		if cmd != nil {
			d.pending = append(d.pending, cmd)
		}
	}
	return d
}

// deliver hands msg to Update and keeps the command it returns for later.
func (d *lagDriver) deliver(msg tea.Msg) {
	if d.quit {
		return
	}
	d.trace = append(d.trace, describeMsg(msg))
	_, cmd := d.m.Update(msg)
	if cmd != nil {
		d.pending = append(d.pending, cmd)
	}
}

// view renders the screen, as the runtime does between messages.
func (d *lagDriver) view() string {
	d.trace = append(d.trace, "view")
	return d.m.View()
}

// settle runs pending commands and delivers their answers, picking the next
// command at random, until none is left or limit commands ran (ticks go on
// as long as uploads run).
func (d *lagDriver) settle(limit int) {
	for n := 0; len(d.pending) > 0 && n < limit && !d.quit; n++ {
		d.runOne()
	}
}

// runOne runs one pending command, chosen at random, and delivers its answer.
func (d *lagDriver) runOne() {
	i := d.rng.IntN(len(d.pending))
	cmd := d.pending[i]
	d.pending = append(d.pending[:i], d.pending[i+1:]...)
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			if c != nil {
				d.pending = append(d.pending, c)
			}
		}
	case tea.QuitMsg:
		d.trace = append(d.trace, "quit")
		d.quit = true
	case dirLoadedMsg:
		if rel, err := filepath.Rel(d.fence, msg.dir); d.fence != "" && (err != nil || strings.HasPrefix(rel, "..")) {
			msg = dirLoadedMsg{seq: msg.seq, dir: msg.dir, err: fmt.Errorf("cannot open %s: %w", msg.dir, fs.ErrPermission)}
		}
		d.deliver(msg)
	default:
		d.deliver(msg)
	}
}

// chooser makes the choices of a lagDriver and of the random key
// sequences: a seeded *rand.Rand, or a fuzzer's bytes.
type chooser interface {
	// IntN returns a choice in [0, n).
	IntN(n int) int
}

// describeMsg names a message for a trace.
func describeMsg(msg tea.Msg) string {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return fmt.Sprintf("key %q", msg.String())
	case tea.WindowSizeMsg:
		return fmt.Sprintf("size %dx%d", msg.Width, msg.Height)
	case eventsMsg:
		return fmt.Sprintf("%d engine events", len(msg.events))
	}
	return fmt.Sprintf("%T", msg)
}

// makeManyFiles creates n small files named file00, file01, ... in a new
// directory of home and returns its path.
func makeManyFiles(t testing.TB, home string, n int) string {
	t.Helper()
	dir := filepath.Join(home, "many")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("file%02d", i))
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := fixedNow.Add(-time.Duration(i) * time.Hour)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFilterEnterAndSpaceTogether reproduces the panic of issue 11, item 7:
// a filter, enter and spaces arriving together (a paste) moved the list's
// cursor by the unfiltered entries, and the filter's answer, arriving
// after, left the list on a page past its end: "slice bounds out of range"
// in bubbles/list's view.
func TestFilterEnterAndSpaceTogether(t *testing.T) {
	home := makeTree(t)
	opts := testOptions(makeManyFiles(t, home, 40))
	// The seed orders the filter's answers for "3" and "39" and the rest.
	for seed := range uint64(8) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			filterEnterAndSpace(t, opts, seed)
		})
	}
}

func filterEnterAndSpace(t *testing.T, opts Options, seed uint64) {
	d := newLagDriver(t, opts, newFakeUploader(t), 80, 12, rand.New(rand.NewPCG(seed, 0)))
	d.settle(100)
	d.view()

	// "/39", enter, then five spaces, read in one go: on a screen of four
	// entries a page, the spaces used to go by the unfiltered list, to its
	// second page.
	d.deliver(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/39")})
	d.deliver(tea.KeyMsg{Type: tea.KeyEnter})
	for range 5 {
		d.deliver(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
	}
	d.settle(100)
	v := d.view()

	// The spaces acted on what the filter shows: file39 alone, toggled
	// five times.
	want := []string{"file39"}
	var names []string
	for _, f := range d.m.sel.list() {
		names = append(names, f.Name)
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("selected %q, want %q\n%s", names, want, v)
	}
}
