// Package xdg finds hoist's own directories by the XDG Base Directory
// Specification, with one rule for all of them: the directory named by the
// XDG variable when it holds an absolute path (the specification says to
// ignore relative ones), else the specification's default under the home
// directory, else nothing.
//
// It reads the environment only through the getenv function it is given, so
// that callers and tests decide what the environment is.
package xdg

import (
	"os"
	"path/filepath"
)

// app is the directory hoist keeps inside each base directory.
const app = "hoist"

// Dirs locates hoist's directories in one environment.
type Dirs struct {
	getenv func(string) string
	home   string
}

// New returns the directories for the environment getenv reads (os.Getenv
// for the process's own) and the home directory home ("" when there is
// none: then only XDG variables can name a directory).
func New(getenv func(string) string, home string) Dirs {
	return Dirs{getenv: getenv, home: home}
}

// FromEnv returns the directories for the environment getenv reads, with
// the home directory UserHome finds in it.
func FromEnv(getenv func(string) string) Dirs {
	return New(getenv, UserHome(getenv))
}

// UserHome returns the home directory: $HOME as getenv reads it, else what
// the operating system says (os.UserHomeDir), else "".
func UserHome(getenv func(string) string) string {
	if home := getenv("HOME"); home != "" {
		return home
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return home
}

// Config returns hoist's configuration directory joined with elem:
// $XDG_CONFIG_HOME/hoist, else ~/.config/hoist; "" when neither is known.
func (d Dirs) Config(elem ...string) string {
	return d.path("XDG_CONFIG_HOME", ".config", elem)
}

// State returns hoist's state directory (journals, history) joined with
// elem: $XDG_STATE_HOME/hoist, else ~/.local/state/hoist; "" when neither is
// known.
func (d Dirs) State(elem ...string) string {
	return d.path("XDG_STATE_HOME", filepath.Join(".local", "state"), elem)
}

// Data returns hoist's data directory joined with elem:
// $XDG_DATA_HOME/hoist, else ~/.local/share/hoist; "" when neither is known.
func (d Dirs) Data(elem ...string) string {
	return d.path("XDG_DATA_HOME", filepath.Join(".local", "share"), elem)
}

// Runtime returns hoist's runtime directory (sockets, locks) joined with
// elem: $XDG_RUNTIME_DIR/hoist, else State("run", elem...), since the
// specification names no default and the state directory is as private to
// the user; "" when none of them is known.
func (d Dirs) Runtime(elem ...string) string {
	if base := d.getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(base) {
		return join(base, elem)
	}
	return d.State(append([]string{"run"}, elem...)...)
}

// path applies the one rule: variable's directory when absolute, else
// fallback under the home directory, else "".
func (d Dirs) path(variable, fallback string, elem []string) string {
	base := d.getenv(variable)
	if !filepath.IsAbs(base) {
		if d.home == "" {
			return ""
		}
		base = filepath.Join(d.home, fallback)
	}
	return join(base, elem)
}

// join returns hoist's directory in base joined with elem.
func join(base string, elem []string) string {
	return filepath.Join(append([]string{base, app}, elem...)...)
}
