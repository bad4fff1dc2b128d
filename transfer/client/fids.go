package client

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// ShortFIDLen is how many leading characters of a fid the engine's users
// show (hoist prints b003eb4d for b003eb4d-...).
const ShortFIDLen = 8

// ShortFID is the first ShortFIDLen characters of fid.
func ShortFID(fid string) string { return fid[:min(len(fid), ShortFIDLen)] }

// ErrAmbiguousFID: a fid prefix matches more than one upload.
var ErrAmbiguousFID = errors.New("the fid prefix matches several uploads")

// ResolveFID returns the one upload fid, running in this engine or in the
// journal, that equals prefix or starts with it (case-insensitive). No
// match wraps ErrUnknownUpload; several wrap ErrAmbiguousFID and name them.
func (e *Engine) ResolveFID(prefix string) (string, error) {
	p := strings.ToLower(strings.TrimSpace(prefix))
	if p == "" {
		return "", fmt.Errorf("%w: empty fid", ErrUnknownUpload)
	}
	known := map[string]bool{}
	e.mu.Lock()
	for fid := range e.uploads {
		known[fid] = true
	}
	e.mu.Unlock()
	entries, _ := e.journal.list() // unreadable entries cannot be resumed anyway
	for _, en := range entries {
		known[en.FID] = true
	}
	if known[p] {
		return p, nil
	}
	var matches []string
	for fid := range known {
		if strings.HasPrefix(fid, p) {
			matches = append(matches, fid)
		}
	}
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) == 0:
		return "", fmt.Errorf("%w: no upload's fid starts with %q", ErrUnknownUpload, prefix)
	}
	slices.Sort(matches)
	shown := make([]string, len(matches))
	for i, m := range matches {
		shown[i] = ShortFID(m)
	}
	return "", fmt.Errorf("%w: %q matches %d uploads (%s): give more of the fid", ErrAmbiguousFID, prefix, len(matches), strings.Join(shown, ", "))
}

// UnfinishedUpload is a journaled upload as List shows it.
type UnfinishedUpload struct {
	JournalEntry
	// ShortFID is the fid's first ShortFIDLen characters.
	ShortFID string
	// Bytes is the size of all its files.
	Bytes uint64
	// HeldBy is the pid of the process running it (this one's when it runs
	// in this engine), 0 when none does.
	HeldBy int
}

// Journaled returns every journaled upload, oldest first, whether or not some
// process runs it now: the uploads the server accepted and that have not
// ended. Unreadable journal entries are reported in the error next to the
// good ones.
func (e *Engine) Journaled() ([]UnfinishedUpload, error) {
	entries, err := e.journal.list()
	out := make([]UnfinishedUpload, 0, len(entries))
	for _, en := range entries {
		uu := UnfinishedUpload{JournalEntry: en, ShortFID: ShortFID(en.FID)}
		for _, f := range en.Files {
			uu.Bytes += f.Size
		}
		e.mu.Lock()
		u := e.uploads[en.FID]
		e.mu.Unlock()
		switch {
		case u != nil && !u.finished():
			uu.HeldBy = os.Getpid()
		case e.journal.locked(en.FID):
			uu.HeldBy = e.journal.owner(en.FID)
		}
		out = append(out, uu)
	}
	return out, err
}
