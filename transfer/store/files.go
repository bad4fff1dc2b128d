package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// File is a completed file.
type File struct {
	Owner string `json:"owner"`
	// Name is the path the client gave; Stored the path under the owner's
	// directory ('/'-separated), which differs when Name was taken already.
	Name      string    `json:"name"`
	Stored    string    `json:"stored"`
	Size      uint64    `json:"size"`
	SHA256    string    `json:"sha256"`
	Tags      []string  `json:"tags"`
	FID       uuid.UUID `json:"fid"`
	Index     int       `json:"file"`
	Completed time.Time `json:"completed"`
	// Removed marks the record of a file the owner removed while its
	// upload was still known (a tombstone: see RemoveFiles).
	Removed bool `json:"removed,omitempty"`
}

// Path is the file's path relative to the data directory.
func (f *File) Path() string {
	return filepath.Join(usersDir, f.Owner, filepath.FromSlash(f.Stored))
}

func filePrefix(dst []byte, owner string, fid uuid.UUID) []byte {
	dst = append(dst, owner...)
	dst = append(dst, 0)
	return append(dst, fid[:]...)
}

func fileKey(owner string, fid uuid.UUID, index int) []byte {
	return binary.BigEndian.AppendUint32(filePrefix(nil, owner, fid), uint32(index))
}

// CompleteFiles records completed files in one transaction: the file
// records, the path and tag indexes, the owner's usage (reserved bytes
// become completed), and drops their chunk bitmaps. Recording a file twice
// is a no-op. A record whose stored path the new file takes (its bytes
// were deleted behind the server's back, since Publish found the path
// free) is dropped.
func (s *BoltStore) CompleteFiles(ctx context.Context, files []*File) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		fb, tb, cb, pb := tx.Bucket(bucketFiles), tx.Bucket(bucketTags), tx.Bucket(bucketChunks), tx.Bucket(bucketPaths)
		for _, f := range files {
			key := fileKey(f.Owner, f.FID, f.Index)
			if fb.Get(key) != nil {
				continue
			}
			rec, err := json.Marshal(f)
			if err != nil {
				return err
			}
			pk := pathKey(f.Owner, f.Stored)
			if old := pb.Get(pk); old != nil && !bytes.Equal(old, key) {
				if _, err := removeRecord(tx, bytes.Clone(old)); err != nil {
					return err
				}
			}
			if err := fb.Put(key, rec); err != nil {
				return err
			}
			if err := pb.Put(pk, key); err != nil {
				return err
			}
			for _, tag := range f.Tags {
				tk := append(append([]byte(tag), 0), key...)
				if err := tb.Put(tk, nil); err != nil {
					return err
				}
			}
			chunks := binary.BigEndian.AppendUint32(bytes.Clone(f.FID[:]), uint32(f.Index))
			if err := deletePrefix(cb, chunks); err != nil {
				return err
			}
			completed, reserved := getUsage(tx, f.Owner)
			size := int64(f.Size)
			if err := putUsage(tx, f.Owner, completed+size, max(reserved-size, 0)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Query selects completed files; empty fields match everything.
type Query struct {
	User string
	Tag  string
}

// Files lists the completed files q selects, oldest first.
func (s *BoltStore) Files(ctx context.Context, q Query) ([]*File, error) { return listFiles(s.db, q) }

func listFiles(db *bbolt.DB, q Query) ([]*File, error) {
	var out []*File
	err := db.View(func(tx *bbolt.Tx) error {
		fb := tx.Bucket(bucketFiles)
		if fb == nil {
			return nil
		}
		add := func(v []byte) error {
			var f File
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("corrupt file record: %w", err)
			}
			if !f.Removed {
				out = append(out, &f)
			}
			return nil
		}
		if q.Tag != "" {
			prefix := append([]byte(q.Tag), 0)
			if q.User != "" {
				prefix = append(append(prefix, q.User...), 0)
			}
			c := tx.Bucket(bucketTags).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				if v := fb.Get(k[len(q.Tag)+1:]); v != nil {
					if err := add(v); err != nil {
						return err
					}
				}
			}
			return nil
		}
		var prefix []byte
		if q.User != "" {
			prefix = append([]byte(q.User), 0)
		}
		c := fb.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if err := add(v); err != nil {
				return err
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b *File) int {
		return cmp.Or(a.Completed.Compare(b.Completed), cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.Stored, b.Stored))
	})
	return out, err
}

// Catalog is a read-only view of a data directory's completed files, for
// `hoist ls`.
type Catalog struct {
	db *bbolt.DB
	// Snapshot is set when the server held the database and the catalog
	// copy it maintains was read instead.
	Snapshot bool
}

// OpenCatalog opens dir's database read-only. If a running server holds it
// (bbolt's lock), it waits up to wait and then falls back to catalog.db, the
// copy the server refreshes after each completed file.
func OpenCatalog(dir string, wait time.Duration) (*Catalog, error) {
	path := filepath.Join(dir, DBFile)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: wait})
	if err == nil {
		return &Catalog{db: db}, nil
	}
	if !errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	snap := filepath.Join(dir, CatalogFile)
	db, err = bbolt.Open(snap, 0o600, &bbolt.Options{ReadOnly: true, Timeout: wait})
	if err != nil {
		return nil, fmt.Errorf("%w, and its catalog copy %s cannot be read: %w", ErrLocked, snap, err)
	}
	return &Catalog{db: db, Snapshot: true}, nil
}

// Files lists the completed files q selects, oldest first.
func (c *Catalog) Files(q Query) ([]*File, error) { return listFiles(c.db, q) }

// Close closes the catalog.
func (c *Catalog) Close() error { return c.db.Close() }
