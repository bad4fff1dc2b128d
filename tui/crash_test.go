package tui

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

func TestWriteCrashReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "hoist")
	c := &crashRecord{
		at: fixedNow, value: "boom", stack: []byte("goroutine 1 [running]:\nmain.explode()\n"),
		while: `handling key "enter"`, screen: "browse at 80x24",
		recent: []string{`key "/"`, "a paste of 12 characters", `key "enter"`},
	}
	path, err := writeCrashReport(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != dir || !strings.HasPrefix(filepath.Base(path), "hoist-crash-20250314-150926-") {
		t.Fatalf("report written to %s, want a hoist-crash-<time>-* file in %s", path, dir)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"crashed: boom", "time:    2025-03-14T15:09:26Z", `while:   handling key "enter"`,
		"screen:  browse at 80x24", "last input, oldest first:\n  key \"/\"\n  a paste of 12 characters\n  key \"enter\"",
		"stack:\ngoroutine 1 [running]:\nmain.explode()"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q:\n%s", want, b)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v (%v), want 0600: it holds what was typed", fi.Mode().Perm(), err)
	}

	// A directory that cannot be made: the error says so.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := writeCrashReport(filepath.Join(blocker, "sub"), c); err == nil || !strings.Contains(err.Error(), "crash report directory") {
		t.Fatalf("report into a path under a file: %v", err)
	}
}

// panicky is a model that panics where told.
type panicky struct{ in string }

func (p panicky) Init() tea.Cmd {
	if p.in == "command" {
		return func() tea.Msg { explode("in a command"); return nil }
	}
	return nil
}

func (p panicky) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && k.String() == "x" {
		switch p.in {
		case "update":
			explode("in update")
		case "batch":
			return p, tea.Batch(func() tea.Msg { return nil }, func() tea.Msg { explode("in a batch"); return nil })
		case "view":
			p.in = "view now"
		}
	}
	return p, nil
}

func (p panicky) View() string {
	if p.in == "view now" {
		explode("in view")
	}
	return "all is well"
}

func explode(where string) { panic("exploded " + where) }

// altScreenOff is what leaves the alternate screen.
const altScreenOff = "\x1b[?1049l"

// TestPanicRestoresTheTerminalAndLeavesAReport panics in each place a
// model's code runs while the program runs: the program ends with the
// terminal restored (it leaves the alternate screen) and a report file,
// named by the error, that holds the panic and its stack.
func TestPanicRestoresTheTerminalAndLeavesAReport(t *testing.T) {
	for _, tc := range []struct{ in, panic, while string }{
		{"update", "in update", `handling key "x"`},
		{"view", "in view", "drawing the screen"},
		{"command", "in a command", "running a command"},
		{"batch", "in a batch", "running a command"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			dir := t.TempDir()
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			err := runGuarded(ctx, panicky{in: tc.in}, dir,
				tea.WithInput(strings.NewReader("x")), tea.WithOutput(&out), tea.WithAltScreen(), tea.WithoutSignalHandler())
			if ctx.Err() != nil {
				t.Fatal("the program did not end after the panic")
			}
			m := regexp.MustCompile(`the report is in (\S+):`).FindStringSubmatch(errText(err, ""))
			if m == nil {
				t.Fatalf("Run returned %v, want an error naming the report", err)
			}
			b, rerr := os.ReadFile(m[1])
			if rerr != nil {
				t.Fatal(rerr)
			}
			for _, want := range []string{"crashed: exploded " + tc.panic, "while:   " + tc.while, "tui.explode("} {
				if !strings.Contains(string(b), want) {
					t.Errorf("report lacks %q:\n%s", want, b)
				}
			}
			if !strings.Contains(out.String(), altScreenOff) {
				t.Errorf("the terminal was not restored: no %q in the output %q", altScreenOff, out.String())
			}
			if strings.Contains(out.String(), "goroutine") {
				t.Errorf("a stack trace went to the terminal: %q", out.String())
			}
		})
	}
}

// crashingUploader panics when the UI asks it for unfinished uploads,
// which the UI does in a command at start.
type crashingUploader struct{ *fakeUploader }

func (crashingUploader) Unfinished() ([]Unfinished, error) { panic(errors.New("journal exploded")) }

// TestRunReportsAPanicOfTheRealModel runs the UI itself with an uploader
// that panics in a command.
func TestRunReportsAPanicOfTheRealModel(t *testing.T) {
	dir := t.TempDir()
	m := New(testOptions(makeTree(t)), crashingUploader{newFakeUploader(t)})
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := runGuarded(ctx, m, dir, tea.WithInput(strings.NewReader("")), tea.WithOutput(&bytes.Buffer{}), tea.WithoutSignalHandler())
	if err == nil || !strings.Contains(err.Error(), "crashed (journal exploded)") {
		t.Fatalf("Run returned %v, want the crash", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "hoist-crash-*.txt"))
	if len(files) != 1 {
		t.Fatalf("crash reports: %q", files)
	}
	b, _ := os.ReadFile(files[0])
	for _, want := range []string{"while:   running a command", "screen:  browse at", "crashingUploader.Unfinished"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q:\n%s", want, b)
		}
	}
}

// TestPanicWithoutACrashDir: with nowhere to write a report, the error
// carries the stack, once the terminal is restored.
func TestPanicWithoutACrashDir(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := runGuarded(ctx, panicky{in: "update"}, "",
		tea.WithInput(strings.NewReader("x")), tea.WithOutput(&out), tea.WithAltScreen(), tea.WithoutSignalHandler())
	if err == nil || !strings.Contains(err.Error(), `crashed (exploded in update) while handling key "x"`) ||
		!strings.Contains(err.Error(), "tui.explode(") {
		t.Fatalf("Run returned %v, want the crash with its stack", err)
	}
	if !strings.Contains(out.String(), altScreenOff) {
		t.Errorf("the terminal was not restored: %q", out.String())
	}
}
