package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/google/uuid"
	"github.com/muesli/termenv"
)

// Options configure the UI.
type Options struct {
	// Server is the server's address, for display.
	Server string
	// StartDir is where browsing starts; empty means the working directory.
	StartDir string
	// ShowHidden shows dot files from the start.
	ShowHidden bool
	// SkipLinkedDirs shows links to directories as links, neither entered
	// nor walked when a directory is selected; by default they are
	// followed like directories.
	SkipLinkedDirs bool
	// DefaultTags start every upload's tag list and are always suggested.
	DefaultTags []string
	// TagHistoryFile remembers tags used before, for suggestions; empty
	// means no memory between runs.
	TagHistoryFile string
	// Color is "auto" (the terminal's colours), "always" or "never". The
	// caller resolves NO_COLOR into it (config.LoadClient does): the UI
	// reads no environment.
	Color string
	// FPS caps redraws per second; 0 means 15, which a slow SSH link carries.
	FPS int

	// CrashDir is where a report is written if the UI panics: the state
	// directory. Empty means no report file: Run's error then carries the
	// stack.
	CrashDir string

	// Home is the home directory, shown as "~" and opened by the ~ key;
	// empty means none is known.
	Home string
	// Now is the clock; nil means time.Now. Tests fix it.
	Now func() time.Time
	// NewFID makes upload ids; nil means random UUIDs. Tests fix it.
	NewFID func() uuid.UUID
}

// defaultFPS is the redraw cap.
const defaultFPS = 15

// withDefaults fills in what o leaves empty.
func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewFID == nil {
		o.NewFID = uuid.New
	}
	if o.StartDir == "" {
		o.StartDir, _ = os.Getwd()
	}
	if abs, err := filepath.Abs(o.StartDir); err == nil {
		o.StartDir = abs
	}
	if o.FPS <= 0 {
		o.FPS = defaultFPS
	}
	return o
}

// Run shows the UI on the terminal until the user quits or ctx ends, driving
// up. It does not close up; uploads still running when the user quits stay
// in the engine's journal if the caller closes the engine without cancelling
// them.
func Run(ctx context.Context, opts Options, up Uploader) error {
	if up == nil {
		return errors.New("tui: no uploader")
	}
	SetColor(opts.Color)
	m := New(opts, up)
	defer m.Close()
	err := runGuarded(ctx, m, m.opts.CrashDir,
		tea.WithAltScreen(),
		tea.WithFPS(m.opts.FPS),
	)
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}

// SetColor applies a colour choice to lipgloss's default renderer: "never"
// turns colours off, "always" turns them on where the terminal seemed to
// have none, and "auto" keeps what the terminal offers. NO_COLOR is the
// caller's to resolve into the choice (config.LoadClient does).
func SetColor(choice string) {
	switch {
	case choice == "never":
		lipgloss.SetColorProfile(termenv.Ascii)
	case choice == "always" && lipgloss.ColorProfile() == termenv.Ascii:
		lipgloss.SetColorProfile(termenv.ANSI)
	}
}
