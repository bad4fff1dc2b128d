package tui

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// maxHistoryTags bounds the remembered tags.
const maxHistoryTags = 200

// tagHistoryMsg carries the tags used in earlier runs, most recent first.
type tagHistoryMsg struct{ tags []string }

// loadTagHistory returns a command that reads the tag history file (one tag
// a line, most recent first). A missing file is an empty history.
func loadTagHistory(path string) tea.Cmd {
	if path == "" {
		return nil
	}
	return func() tea.Msg {
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return tagHistoryMsg{}
		}
		if err != nil {
			return ErrorMsg{fmt.Errorf("cannot read tag history %s: %w", path, err)}
		}
		var tags []string
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if t := strings.TrimSpace(sc.Text()); checkTag(t) == nil && !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		return tagHistoryMsg{tags: tags}
	}
}

// saveTagHistory returns a command that writes tags (most recent first) to
// the history file, replacing it atomically.
func saveTagHistory(path string, tags []string) tea.Cmd {
	if path == "" || len(tags) == 0 {
		return nil
	}
	tags = slices.Clone(tags[:min(len(tags), maxHistoryTags)])
	return func() tea.Msg {
		if err := writeFileAtomic(path, []byte(strings.Join(tags, "\n")+"\n")); err != nil {
			return ErrorMsg{fmt.Errorf("cannot remember tags in %s: %w", path, err)}
		}
		return nil
	}
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tags-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// mergeTags returns first followed by the tags of rest not in it.
func mergeTags(first []string, rest ...[]string) []string {
	out := slices.Clone(first)
	for _, r := range rest {
		for _, t := range r {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}
