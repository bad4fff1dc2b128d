package tui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/client"
)

// entry is one row of the browser: a directory entry with what Stat said.
type entry struct {
	name    string
	path    string
	dir     bool
	link    bool
	regular bool
	size    uint64
	modTime time.Time
	// err is why the entry could not be examined; such entries are shown
	// but cannot be selected.
	err error
	// excluded is set when the exclude patterns leave the entry out.
	excluded bool
	// onServer is set when the user has a file on the server at the
	// entry's path relative to the upload root, of the same size.
	onServer bool
}

// FilterValue implements list.Item: the fuzzy filter matches names.
func (e entry) FilterValue() string { return e.name }

func (e entry) hidden() bool { return strings.HasPrefix(e.name, ".") }

// dirLoadedMsg answers readDir. entries holds what could be read even when
// err is set.
type dirLoadedMsg struct {
	seq     int
	dir     string
	entries []entry
	err     error
}

// readDir returns a command that lists dir. Symbolic links are followed to
// tell directories from files; entries that cannot be examined are kept
// with their error.
func readDir(seq int, dir string) tea.Cmd {
	return func() tea.Msg {
		des, err := os.ReadDir(dir)
		if err != nil && des == nil {
			return dirLoadedMsg{seq: seq, dir: dir, err: fmt.Errorf("cannot open %s: %w", dir, unwrapPathError(err))}
		}
		entries := make([]entry, 0, len(des))
		for _, de := range des {
			entries = append(entries, examine(dir, de))
		}
		if err != nil {
			err = fmt.Errorf("could not list all of %s: %w", dir, unwrapPathError(err))
		}
		return dirLoadedMsg{seq: seq, dir: dir, entries: entries, err: err}
	}
}

func examine(dir string, de fs.DirEntry) entry {
	e := entry{name: de.Name(), path: filepath.Join(dir, de.Name()), link: de.Type()&fs.ModeSymlink != 0}
	info, err := os.Stat(e.path)
	if err != nil {
		e.err = unwrapPathError(err)
		if li, lerr := de.Info(); lerr == nil {
			e.modTime = li.ModTime()
		}
		return e
	}
	e.dir = info.IsDir()
	e.regular = info.Mode().IsRegular()
	e.modTime = info.ModTime()
	if e.regular {
		e.size = uint64(info.Size())
	}
	return e
}

// unwrapPathError drops the path from a *fs.PathError when the caller
// already names it.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// maxWalkFiles bounds how many files selecting one directory may add. A
// directory goes up as a tree the engine walks again, so this only bounds
// the memory the selection's list of files takes.
const maxWalkFiles = 1_000_000

// treeWalkedMsg answers walkTree: the regular files below root.
type treeWalkedMsg struct {
	root  string
	files []File
	// skipped counts entries that could not be read, excluded those the
	// exclude patterns left out.
	skipped  int
	excluded int
	// hidden is whether hidden entries were walked.
	hidden bool
	err    error
}

var errWalkStopped = errors.New("stopped")

// walkTree returns a command that collects the regular files below root,
// following no directory links, skipping hidden entries unless hidden is
// set and the entries x excludes (matched relative to root, as the engine
// matches them when it sends root). It stops early when stop closes.
func walkTree(root string, hidden bool, x client.Excludes, stop <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		msg := treeWalkedMsg{root: root, hidden: hidden}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			select {
			case <-stop:
				return errWalkStopped
			default:
			}
			if err != nil {
				msg.skipped++
				if d != nil && d.IsDir() && path != root {
					return fs.SkipDir
				}
				return nil
			}
			if path != root && !hidden && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if path != root && !x.Empty() {
				if rel, err := filepath.Rel(root, path); err == nil && x.Match(filepath.ToSlash(rel)) {
					msg.excluded++
					if d.IsDir() {
						return fs.SkipDir
					}
					return nil
				}
			}
			if d.IsDir() {
				return nil
			}
			info, err := os.Stat(path)
			if err != nil || !info.Mode().IsRegular() {
				msg.skipped++
				return nil
			}
			if len(msg.files) == maxWalkFiles {
				return fmt.Errorf("%s holds more than %d files; select fewer at a time", root, maxWalkFiles)
			}
			msg.files = append(msg.files, File{Path: path, Name: d.Name(), Size: uint64(info.Size())})
			return nil
		})
		switch {
		case errors.Is(err, errWalkStopped):
			return nil
		case err != nil:
			msg.err = err
			msg.files = nil
		}
		return msg
	}
}
