package tui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// maxWalkFiles bounds how many files selecting one directory may add.
const maxWalkFiles = 10000

// treeWalkedMsg answers walkTree: the regular files below root.
type treeWalkedMsg struct {
	root  string
	files []File
	// skipped counts entries that could not be read: dangling links,
	// files without permission, special files.
	skipped int
	// linksFollowed and linksNotFollowed count links to directories.
	linksFollowed    int
	linksNotFollowed int
	err              error
}

var errWalkStopped = errors.New("stopped")

// treeWalk collects the regular files below a directory.
type treeWalk struct {
	hidden      bool
	followLinks bool
	stop        <-chan struct{}
	msg         treeWalkedMsg
	// visited holds the real paths of the directories walked, so that a
	// link back to one of them is not walked again.
	visited map[string]bool
}

// walkTree returns a command that collects the regular files below root,
// skipping hidden entries unless hidden is set and entries that cannot be
// read (counted). Links to directories are walked when followLinks is set
// (each directory once), counted otherwise; links to files are files. It
// stops early when stop closes.
func walkTree(root string, hidden, followLinks bool, stop <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		w := &treeWalk{hidden: hidden, followLinks: followLinks, stop: stop,
			msg: treeWalkedMsg{root: root}, visited: map[string]bool{}}
		real, err := filepath.EvalSymlinks(root)
		if err == nil {
			err = w.walk(root, real)
		}
		switch {
		case errors.Is(err, errWalkStopped):
			return nil
		case err != nil:
			w.msg.err = err
			w.msg.files = nil
		}
		return w.msg
	}
}

// walk collects the files of dir, whose path without links is real.
func (w *treeWalk) walk(dir, real string) error {
	w.visited[real] = true
	des, err := os.ReadDir(dir)
	if err != nil {
		if dir == w.msg.root {
			return fmt.Errorf("cannot read %s: %w", dir, unwrapPathError(err))
		}
		w.msg.skipped++
		return nil
	}
	for _, de := range des {
		select {
		case <-w.stop:
			return errWalkStopped
		default:
		}
		name := de.Name()
		if !w.hidden && strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		link := de.Type()&os.ModeSymlink != 0
		if de.IsDir() {
			if sub := filepath.Join(real, name); !w.visited[sub] {
				if err := w.walk(path, sub); err != nil {
					return err
				}
			}
			continue
		}
		info, err := os.Stat(path) // follows links
		switch {
		case err != nil:
			w.msg.skipped++
		case info.IsDir() && link:
			if err := w.walkLink(path); err != nil {
				return err
			}
		case !info.Mode().IsRegular():
			w.msg.skipped++
		default:
			if len(w.msg.files) == maxWalkFiles {
				return fmt.Errorf("%s holds more than %d files; select fewer at a time", w.msg.root, maxWalkFiles)
			}
			w.msg.files = append(w.msg.files, File{Path: path, Name: name, Size: uint64(info.Size())})
		}
	}
	return nil
}

// walkLink walks the directory a link leads to, if links are followed and
// it was not walked already.
func (w *treeWalk) walkLink(path string) error {
	if !w.followLinks {
		w.msg.linksNotFollowed++
		return nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		w.msg.skipped++
		return nil
	}
	w.msg.linksFollowed++
	if w.visited[real] {
		return nil // a loop, or a directory the walk reached another way
	}
	return w.walk(path, real)
}
