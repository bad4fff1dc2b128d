package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// JournalEntry describes an upload that has not been verified yet. The engine
// keeps one per upload, so that a restarted client can continue it.
type JournalEntry struct {
	// Version is the journal format, currently 1.
	Version int    `json:"version"`
	FID     string `json:"fid"`
	// Server is the address the upload was started against.
	Server string        `json:"server"`
	Files  []JournalFile `json:"files"`
	Tags   []string      `json:"tags"`
	// ChunkSize is the size asked for, replaced by the server's once known.
	ChunkSize int       `json:"chunk-size"`
	Created   time.Time `json:"created"`
}

// JournalFile is one local file of a journaled upload, with the size and
// modification time it had when the upload started: a file that no longer
// matches them cannot be resumed.
type JournalFile struct {
	Path    string    `json:"path"`
	Name    string    `json:"name"`
	Size    uint64    `json:"size"`
	ModTime time.Time `json:"mtime"`
}

const journalVersion = 1

// journal stores entries as one small JSON file per upload, <fid>.json.
type journal struct {
	dir string
}

func openJournal(dir string) (*journal, error) {
	if dir == "" {
		return nil, errors.New("client: no journal directory (Options.JournalDir)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the journal directory: %w", err)
	}
	return &journal{dir: dir}, nil
}

func (j *journal) path(fid string) string { return filepath.Join(j.dir, fid+".json") }

// put writes e atomically: a temporary file, fsync, rename, fsync of the
// directory. A crash leaves either the old entry or the new one.
func (j *journal) put(e *JournalEntry) error {
	e.Version = journalVersion
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(j.dir, "."+e.FID+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing the journal: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), j.path(e.FID))
	}
	if err == nil {
		err = syncDir(j.dir)
	}
	if err != nil {
		return fmt.Errorf("writing the journal entry for %s: %w", e.FID, err)
	}
	return nil
}

// remove deletes the entry of fid; a missing entry is not an error.
func (j *journal) remove(fid string) error {
	err := os.Remove(j.path(fid))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the journal entry for %s: %w", fid, err)
	}
	return syncDir(j.dir)
}

// get reads the entry of fid.
func (j *journal) get(fid string) (*JournalEntry, error) {
	data, err := os.ReadFile(j.path(fid))
	if err != nil {
		return nil, err
	}
	var e JournalEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("journal entry %s: %w", j.path(fid), err)
	}
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("journal entry %s: %w", j.path(fid), err)
	}
	return &e, nil
}

// list reads every entry, oldest first. Unreadable entries are skipped and
// reported in the error, next to the good ones.
func (j *journal) list() ([]JournalEntry, error) {
	des, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	var entries []JournalEntry
	var errs []error
	for _, de := range des {
		fid, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || de.IsDir() || uuid.Validate(fid) != nil {
			continue // not an entry: a temporary file, links.json, ...
		}
		e, err := j.get(fid)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		entries = append(entries, *e)
	}
	slices.SortFunc(entries, func(a, b JournalEntry) int { return a.Created.Compare(b.Created) })
	return entries, errors.Join(errs...)
}

func (e *JournalEntry) validate() error {
	if e.Version != journalVersion {
		return fmt.Errorf("unsupported journal version %d", e.Version)
	}
	if _, err := uuid.Parse(e.FID); err != nil {
		return fmt.Errorf("bad fid %q: %w", e.FID, err)
	}
	if e.Server == "" || len(e.Files) == 0 || e.ChunkSize <= 0 || e.ChunkSize > MaxGrantedChunkSize {
		return errors.New("incomplete entry (server, files or chunk size missing)")
	}
	for _, f := range e.Files {
		if !filepath.IsAbs(f.Path) || f.Name == "" {
			return fmt.Errorf("bad file %q named %q", f.Path, f.Name)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
