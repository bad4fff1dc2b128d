package tui

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/hoist-dev/hoist/transfer/client"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// The UI must never panic, whatever arrives in whatever order: these tests
// play random key sequences, delivered in batches the way a paste or a
// laggy link delivers them (several keys, and keys of several runes, read
// before any command answers), interleaved with resizes down to 1x1, engine
// events and commands answering in random order, on every screen.
//
// A failure prints its seed; replay it alone with
//
//	go test ./tui/ -run 'TestRandomKeySequences$' -tui.seed=N
var (
	keySeed = flag.Int64("tui.seed", -1, "play only the random key sequence with this seed (TestRandomKeySequences)")
	keySeqs = flag.Int("tui.sequences", 2000, "how many random key sequences TestRandomKeySequences plays")
)

// keyFixture is the tree the random sequences browse: home, a few levels
// below fence, which the browser may not leave (lagDriver.fence).
type keyFixture struct {
	fence      string
	root       string
	unfinished []Unfinished
}

func newKeyFixture(t testing.TB) *keyFixture {
	t.Helper()
	fence := t.TempDir()
	root := filepath.Join(fence, "up", "up", "home")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	makeTreeIn(t, root)
	makeManyFiles(t, root, 40)
	for _, dir := range []string{"empty", "unicode/résumé_日本語_🚀"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"photos-link": "photos", "dangling": "nowhere", "loop": "loop"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return &keyFixture{fence: fence, root: root, unfinished: []Unfinished{
		{FID: "6f1c2e9a-5b7d-4c3e-9f10-2a4b6c8d0e12", Server: "tcp://127.0.0.1:7800",
			Files: []File{{Path: filepath.Join(root, "archive.tar"), Name: "archive.tar", Size: 5 << 20}},
			Tags:  []string{"backup"}, Started: fixedNow.Add(-26 * time.Hour)},
		{FID: "fid-b", Server: "tcp://127.0.0.1:7800", Files: []File{{Path: "/x/b.bin", Name: "b.bin", Size: 20}}},
	}}
}

func TestRandomKeySequences(t *testing.T) {
	fx := newKeyFixture(t)
	first, n := int64(1), int64(*keySeqs)
	if testing.Short() || raceEnabled {
		n = min(n, 300)
	}
	if *keySeed >= 0 {
		first, n = *keySeed, 1
	}
	cov := coverage{}
	for seed := first; seed < first+n; seed++ {
		if err := playSeed(fx, seed, cov); err != nil {
			t.Fatalf("seed %d: %v\nreplay: go test ./tui/ -run 'TestRandomKeySequences$' -tui.seed=%d", seed, err, seed)
		}
	}
	if *keySeed < 0 {
		t.Logf("%d sequences reached: %v", n, cov)
		cov.require(t)
	}
}

// FuzzKeySequences plays sequences a fuzzer's bytes choose.
func FuzzKeySequences(f *testing.F) {
	fx := newKeyFixture(f)
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"))
	f.Add([]byte("\x01\x00\x05/39\x00\x00"))
	f.Add([]byte(strings.Repeat("\x07\x03\x01\x09", 16)))
	f.Fuzz(func(t *testing.T, script []byte) {
		if err := play(fx, &byteChooser{b: script}, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// playSeed plays the sequence seed makes and turns a panic into an error.
func playSeed(fx *keyFixture, seed int64, cov coverage) error {
	return play(fx, rand.New(rand.NewPCG(uint64(seed), 0x686f697374)), cov)
}

// play plays one sequence of batches the chooser picks, checking after
// every batch that the screen fits the terminal. A panic is returned as an
// error with its stack and what led to it.
func play(fx *keyFixture, c chooser, cov coverage) (err error) {
	up := &fakeUploader{events: make(chan client.Event, 1)}
	if c.IntN(4) == 0 {
		up.unfinished = fx.unfinished
	}
	if c.IntN(8) == 0 {
		up.startErr = errors.New("beach.jpg: permission denied")
	}
	if c.IntN(2) == 0 {
		up.remote = remoteFixture()
	}
	opts := testOptions(fx.root)
	if c.IntN(3) == 0 {
		opts.StartDir = filepath.Join(fx.root, "many") // pages of entries
	}
	width, height := randomSize(c)
	d := newLag(opts, up, width, height, c)
	d.fence = fx.fence
	defer d.m.Close()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s\nlast of what was delivered:\n  %s", r, debug.Stack(),
				strings.Join(d.trace[max(0, len(d.trace)-60):], "\n  "))
		}
	}()
	if c.IntN(2) == 0 {
		// Start an upload of the last entry first, so that many sequences
		// play during uploads.
		// Half of them send the first entry, a directory, as a tree.
		d.settle(50)
		first := "G"
		if c.IntN(2) == 0 {
			first = "g"
		}
		d.deliver(namedKey(first))
		d.deliver(namedKey(" "))
		d.settle(50) // a directory's walk answers
		for _, k := range []string{"u", "enter"} {
			d.deliver(namedKey(k))
		}
	}
	steps := 5 + c.IntN(40)
	for range steps {
		switch c.IntN(11) {
		case 0, 1, 2, 3, 4:
			for range 1 + c.IntN(12) {
				d.deliver(randomKey(c))
			}
		case 10:
			// What issue 11 saw: a filter, enter and moves read together.
			for _, k := range filterBurst(c) {
				d.deliver(k)
			}
		case 5:
			width, height = randomSize(c)
			d.deliver(tea.WindowSizeMsg{Width: width, Height: height})
		case 6:
			d.deliver(eventsMsg{events: randomEvents(c, d.m)})
		case 7, 8:
			d.settle(1 + c.IntN(8))
		case 9:
			d.settle(200)
		}
		if d.quit {
			return nil
		}
		if err := fits(d.view(), width, height); err != nil {
			return err
		}
		cov.note(d.m)
	}
	d.settle(500)
	if d.quit {
		return nil
	}
	return fits(d.view(), width, height)
}

// fits reports a view that does not fit width x height.
func fits(view string, width, height int) error {
	lines := strings.Split(view, "\n")
	if len(lines) > height {
		return fmt.Errorf("%d lines at %dx%d:\n%s", len(lines), width, height, view)
	}
	for _, l := range lines {
		if w := lipgloss.Width(l); w > width {
			return fmt.Errorf("a line of %d cells at %dx%d: %q", w, width, height, l)
		}
	}
	return nil
}

// coverage counts what the random sequences reached, so that a change
// which keeps them from some screen fails instead of going untested.
type coverage map[string]int

func (cv coverage) note(m *Model) {
	if cv == nil {
		return
	}
	switch {
	case m.confirm != nil:
		cv["confirmation"]++
	case m.details != nil:
		cv["error details"]++
	case m.showHelp:
		cv["help"]++
	case m.editing:
		cv["tag editor"]++
	default:
		cv[[...]string{"browse", "review", "upload", "remote", "resume"}[m.screen]]++
	}
	if m.uploads.running() > 0 {
		cv["uploads running"]++
	}
	if m.browse.capturing() {
		cv["typing a filter"]++
	}
	if m.browse.list.IsFiltered() && !m.browse.capturing() {
		cv["filter applied"]++
	}
	for _, t := range m.uploads.uploads {
		if t.job != nil && t.job.part > 0 {
			cv["a tree's part shown"]++
			break
		}
	}
	if m.screen == screenRemote && len(m.remote.rows) > 0 {
		cv["remote files shown"]++
	}
}

func (cv coverage) require(t *testing.T) {
	t.Helper()
	for _, want := range []string{"browse", "review", "upload", "remote", "resume", "help", "tag editor",
		"confirmation", "error details", "uploads running", "typing a filter", "filter applied", "remote files shown", "a tree's part shown"} {
		if cv[want] == 0 {
			t.Errorf("no random sequence reached %s (reached: %v)", want, cv)
		}
	}
}

// sizes are the terminal sizes the sequences favour: the small ones where
// layouts give up, the ones the issues name, and large ones.
var sizes = [][2]int{{1, 1}, {2, 2}, {1, 24}, {80, 1}, {12, 3}, {20, 5}, {30, 8}, {40, 10}, {44, 12},
	{59, 14}, {60, 15}, {80, 24}, {120, 40}, {250, 70}}

func randomSize(c chooser) (width, height int) {
	if c.IntN(3) == 0 {
		return 1 + c.IntN(200), 1 + c.IntN(60)
	}
	s := sizes[c.IntN(len(sizes))]
	return s[0], s[1]
}

// boundKeys are the keys of every binding of the key map.
var boundKeys = func() []string {
	var keys []string
	km := reflect.ValueOf(DefaultKeyMap())
	for i := range km.NumField() {
		if b, ok := km.Field(i).Interface().(key.Binding); ok {
			for _, k := range b.Keys() {
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
	}
	return keys
}()

// otherKeys are keys no binding uses.
var otherKeys = []tea.KeyType{tea.KeyCtrlA, tea.KeyCtrlD, tea.KeyCtrlU, tea.KeyCtrlW, tea.KeyCtrlK,
	tea.KeyF1, tea.KeyInsert, tea.KeyCtrlHome, tea.KeyShiftLeft, tea.KeyNull}

const typedRunes = "abcdefghijklmnopqrstuvwxyzABCZ0123456789 ,./-_~?é日🚀\u200b"

func randomRunes(c chooser, n int) []rune { return randomRunesOf(c, typedRunes, n) }

func randomRunesOf(c chooser, runes string, n int) []rune {
	alphabet := []rune(runes)
	out := make([]rune, n)
	for i := range out {
		out[i] = alphabet[c.IntN(len(alphabet))]
	}
	return out
}

// randomKey returns a key as a terminal reports it: a bound key (most
// often), another key, a rune, several runes read at once, or a paste.
func randomKey(c chooser) tea.KeyMsg {
	var k tea.KeyMsg
	switch c.IntN(10) {
	case 0, 1, 2, 3, 4, 5:
		name := boundKeys[c.IntN(len(boundKeys))]
		if (name == "q" || name == "ctrl+c") && c.IntN(4) != 0 {
			name = "down" // quitting ends a sequence: keep it rarer
		}
		k = namedKey(name)
	case 6:
		k = tea.KeyMsg{Type: otherKeys[c.IntN(len(otherKeys))]}
	case 7:
		k = tea.KeyMsg{Type: tea.KeyRunes, Runes: randomRunes(c, 1)}
	case 8:
		k = tea.KeyMsg{Type: tea.KeyRunes, Runes: randomRunes(c, 2+c.IntN(8))}
	case 9:
		text := randomRunes(c, 1+c.IntN(30))
		if c.IntN(3) == 0 {
			text = append(text, '\n', '\t')
		}
		k = tea.KeyMsg{Type: tea.KeyRunes, Runes: text, Paste: true}
	}
	k.Alt = c.IntN(25) == 0
	return k
}

// filterBurst is a filter typed, applied and acted on in one read: "/",
// a few characters of the fixture's names, enter, then keys that move and
// select.
func filterBurst(c chooser) []tea.KeyMsg {
	keys := []tea.KeyMsg{namedKey("/"), {Type: tea.KeyRunes, Runes: randomRunesOf(c, "file0123.jpgx", 1+c.IntN(4))}, namedKey("enter")}
	for range c.IntN(10) {
		keys = append(keys, namedKey([]string{" ", "j", "k", "G", "g", "pgdown", "a", "esc"}[c.IntN(8)]))
	}
	return keys
}

// namedKey returns the key message for a binding's key name.
func namedKey(name string) tea.KeyMsg {
	if name == " " {
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	if t, ok := namedKeys[name]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

var randomErrors = []error{
	nil,
	errors.New("dial tcp 127.0.0.1:7800: connect: connection refused"),
	fmt.Errorf("over quota (quota): %w", &wire.Error{Code: wire.CodeQuota, Reason: "storing 3.0 MiB would exceed the quota"}),
	&wire.Error{Code: wire.CodeUnauthorized, Reason: "token is expired"},
	errors.New("a long error that goes on and on, " + strings.Repeat("with more words, 日本語 🚀, ", 12) + "and ends\nwith a second line"),
}

// randomEvents returns engine events, mostly about uploads the UI started,
// some about others; valid values, but in any order.
func randomEvents(c chooser, m *Model) []client.Event {
	var evs []client.Event
	for range 1 + c.IntN(6) {
		fid, files := "not-ours", 1
		if ups := m.uploads.uploads; len(ups) > 0 && c.IntN(8) != 0 {
			t := ups[c.IntN(len(ups))]
			fid, files = t.fid, len(t.files)
		}
		at := fixedNow.Add(time.Duration(c.IntN(30)) * time.Second)
		job := "not-ours"
		if ups := m.uploads.uploads; len(ups) > 0 {
			if t := ups[c.IntN(len(ups))]; t.job != nil && t.job.id != "" {
				job = t.job.id
			}
		}
		switch c.IntN(4) {
		case 3:
			part := 1 + c.IntN(3)
			walk := client.WalkProgress{Files: c.IntN(200000), Bytes: uint64(c.IntN(1 << 30)), Excluded: c.IntN(3), Done: c.IntN(2) == 0}
			switch c.IntN(4) {
			case 0:
				evs = append(evs, &client.JobEvent{Job: job, At: at, Kind: client.JobWalking, Walk: walk})
			case 1:
				evs = append(evs, &client.JobEvent{Job: job, At: at, Kind: client.JobPartStarted, FID: fmt.Sprintf("%s-part-%d", job, part), Part: part, Parts: part})
			case 2:
				evs = append(evs, &client.AlreadyThereEvent{Job: job, At: at, Name: "a/notes.txt", Size: uint64(c.IntN(5000))})
			case 3:
				evs = append(evs, &client.JobEvent{Job: job, At: at, Kind: client.JobDone, Parts: part, Walk: walk,
					Err: randomErrors[c.IntN(len(randomErrors))]})
			}
			continue
		case 0:
			evs = append(evs, &client.SessionEvent{FID: fid, At: at, State: client.State(c.IntN(9)), Attempt: c.IntN(5),
				RetryAt: at.Add(time.Duration(c.IntN(20)) * time.Second), Err: randomErrors[c.IntN(len(randomErrors))]})
		case 1:
			evs = append(evs, &client.ChunkEvent{FID: fid, At: at, File: c.IntN(files+2) - 1, Index: uint64(c.IntN(100)),
				Action: client.ChunkAction(c.IntN(3)), Reason: "checksum rejected by server (corrupt): crc32c mismatch"})
		case 2:
			ev := &client.ProgressEvent{FID: fid, At: at, State: client.State(c.IntN(9)), WireBytes: uint64(c.IntN(1 << 20))}
			for i := range files + c.IntN(2) {
				size := uint64(c.IntN(1 << 22))
				chunks := uint64(c.IntN(2000))
				fp := client.FileProgress{Index: i, Name: fmt.Sprintf("f%d", i), Size: size, Chunks: chunks,
					AckedChunks: chunks * uint64(c.IntN(101)) / 100, AckedBytes: size * uint64(c.IntN(101)) / 100,
					InFlight: c.IntN(5), Retries: c.IntN(3), State: client.FileState(c.IntN(5)),
					Err: randomErrors[c.IntN(len(randomErrors))], SHA256: strings.Repeat("ab", c.IntN(33))}
				fp.Map = make([]client.ChunkState, min(chunks, client.MaxMapCells))
				for j := range fp.Map {
					fp.Map[j] = client.ChunkState(c.IntN(4))
				}
				ev.Files = append(ev.Files, fp)
			}
			evs = append(evs, ev)
		}
	}
	return evs
}

// byteChooser makes a fuzzer's bytes into choices; once they run out every
// choice is 0, which ends a sequence after a few steps.
type byteChooser struct {
	b []byte
}

func (c *byteChooser) IntN(n int) int {
	if len(c.b) == 0 || n <= 1 {
		return 0
	}
	v := int(c.b[0])
	c.b = c.b[1:]
	if n > 256 && len(c.b) > 0 {
		v = v<<8 | int(c.b[0])
		c.b = c.b[1:]
	}
	return v % n
}
