package tui

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// A panic must not leave the terminal in raw mode or bury the user in a
// stack trace. crashGuard wraps the UI's model and catches a panic where it
// happens, in Update, View or a command, records it with its stack, and
// ends the program the way a cancelled context does, so bubbletea restores
// the terminal. Run then writes the record to a report file and returns an
// error naming it. bubbletea's own panic catching stays on for panics in
// its own code, where the guard cannot reach.

// crashRecord is a caught panic.
type crashRecord struct {
	at    time.Time
	value any
	stack []byte
	// while says what the UI was doing: "handling key …", "drawing the
	// screen", "running a command".
	while string
	// screen describes the UI at the time, when it could be read.
	screen string
	// recent are the last messages the UI handled, oldest first.
	recent []string
}

// maxRecent is how many recent messages a crash report lists.
const maxRecent = 30

// crashGuard is a tea.Model that runs inner and catches its panics.
type crashGuard struct {
	inner tea.Model
	// describe says which screen inner shows, for the report.
	describe func() string
	cancel   context.CancelFunc

	mu     sync.Mutex
	crash  *crashRecord
	recent []string
}

// guardModel returns a guard for m and the context to run the program with:
// the guard cancels it after a panic.
func guardModel(ctx context.Context, m tea.Model) (context.Context, *crashGuard) {
	ctx, cancel := context.WithCancel(ctx)
	g := &crashGuard{inner: m, cancel: cancel}
	if ui, ok := m.(*Model); ok {
		g.describe = func() string { return describeScreen(ui) }
	}
	return ctx, g
}

// runGuarded runs m as a bubbletea program with opts until it quits, ctx
// ends or it panics. After a panic, once the terminal is restored, it
// writes a report in crashDir and returns an error naming it.
func runGuarded(ctx context.Context, m tea.Model, crashDir string, opts ...tea.ProgramOption) error {
	ctx, g := guardModel(ctx, m)
	defer g.cancel()
	_, err := tea.NewProgram(g, append(opts, tea.WithContext(ctx))...).Run()
	if g.crashed() != nil {
		return g.report(crashDir)
	}
	return err
}

// crashed returns the first panic caught, or nil.
func (g *crashGuard) crashed() *crashRecord {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.crash
}

// record keeps the first panic and ends the program. It runs in the
// deferred function that recovered r, so debug.Stack shows where r was
// raised.
func (g *crashGuard) record(r any, while string) {
	c := &crashRecord{at: time.Now(), value: r, stack: debug.Stack(), while: while}
	g.mu.Lock()
	if g.crash == nil {
		c.recent = append([]string(nil), g.recent...)
		g.crash = c
	}
	g.mu.Unlock()
	g.cancel()
}

// Init implements tea.Model.
func (g *crashGuard) Init() (cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			g.record(r, "starting")
			cmd = nil
		}
	}()
	return g.guardCmd(g.inner.Init())
}

// Update implements tea.Model. After a panic the model is left alone: its
// state may be half updated.
func (g *crashGuard) Update(msg tea.Msg) (_ tea.Model, cmd tea.Cmd) {
	if g.crashed() != nil {
		return g, nil
	}
	what := describeInput(msg)
	g.mu.Lock()
	if what != "" {
		g.recent = append(g.recent, what)
		if len(g.recent) > maxRecent {
			g.recent = g.recent[1:]
		}
	}
	g.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			g.record(r, "handling "+orDefault(what, fmt.Sprintf("%T", msg)))
			cmd = nil
		}
	}()
	g.inner, cmd = g.inner.Update(msg)
	return g, g.guardCmd(cmd)
}

// View implements tea.Model.
func (g *crashGuard) View() (view string) {
	if g.crashed() != nil {
		return ""
	}
	defer func() {
		if r := recover(); r != nil {
			g.record(r, "drawing the screen")
			view = ""
		}
	}()
	return g.inner.View()
}

// guardCmd wraps cmd, and the commands of the batch it may return, so that
// a panic in them is caught too.
func (g *crashGuard) guardCmd(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				g.record(r, "running a command")
				msg = nil
			}
		}()
		msg = cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			guarded := make(tea.BatchMsg, len(batch))
			for i, c := range batch {
				guarded[i] = g.guardCmd(c)
			}
			return guarded
		}
		return msg
	}
}

// describeInput names what the user did, for a crash report: keys and
// resizes. A paste is named by its length only: it may hold a secret.
func describeInput(msg tea.Msg) string {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if msg.Paste {
			return fmt.Sprintf("a paste of %d characters", len(msg.Runes))
		}
		return fmt.Sprintf("key %q", msg.String())
	case tea.WindowSizeMsg:
		return fmt.Sprintf("resize to %dx%d", msg.Width, msg.Height)
	}
	return ""
}

// describeScreen says which screen m shows and at what size.
func describeScreen(m *Model) string {
	name := [...]string{"browse", "review", "upload", "resume"}[m.screen]
	switch {
	case m.confirm != nil:
		name += ", a question open"
	case m.showHelp:
		name += ", help open"
	case m.editing:
		name += ", tag editor open"
	}
	return fmt.Sprintf("%s at %dx%d", name, m.width, m.height)
}

// report writes the crash to a new file in dir and returns the error Run
// returns: it names the file. With no dir (Options.CrashDir unset) the
// error carries the stack itself.
func (g *crashGuard) report(dir string) error {
	c := g.crashed()
	if g.describe != nil {
		c.screen = g.describe()
	}
	if dir == "" {
		return fmt.Errorf("crashed (%v) while %s; no directory was set for a report, so here is the stack:\n%s", c.value, c.while, c.stack)
	}
	path, err := writeCrashReport(dir, c)
	if err != nil {
		return fmt.Errorf("crashed (%v) and the report could not be written: %w\n%s", c.value, err, c.stack)
	}
	return fmt.Errorf("crashed (%v); the report is in %s: please attach it to a bug report", c.value, path)
}

// writeCrashReport writes c to a new file in dir, created if needed, and
// returns the file's path.
func writeCrashReport(dir string, c *crashRecord) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the crash report directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "hoist-crash-"+c.at.UTC().Format("20060102-150405")+"-*.txt")
	if err != nil {
		return "", fmt.Errorf("create the crash report: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "hoist's terminal UI crashed: %v\n\n", c.value)
	fmt.Fprintf(&b, "time:    %s\n", c.at.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "while:   %s\n", c.while)
	if c.screen != "" {
		fmt.Fprintf(&b, "screen:  %s\n", c.screen)
	}
	fmt.Fprintf(&b, "go:      %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(&b, "module:  %s %s\n", bi.Main.Path, bi.Main.Version)
	}
	if len(c.recent) > 0 {
		fmt.Fprintf(&b, "\nlast input, oldest first:\n  %s\n", strings.Join(c.recent, "\n  "))
	}
	fmt.Fprintf(&b, "\nstack:\n%s", c.stack)
	_, werr := f.WriteString(b.String())
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", fmt.Errorf("write the crash report %s: %w", f.Name(), werr)
	}
	return f.Name(), nil
}
