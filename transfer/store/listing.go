package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
)

// ErrFileNotFound: a path is not one of the user's completed files.
var ErrFileNotFound = errors.New("no such file")

// DefaultScanLimit is how many file records one ListFiles call examines at
// most before it returns a short page with a cursor.
const DefaultScanLimit = 100_000

// ListQuery selects one page of an owner's completed files. Filters
// combine; empty ones match everything.
type ListQuery struct {
	Owner string
	// Prefix selects stored paths starting with it, byte for byte.
	Prefix string
	// Paths, when not empty, selects exactly these stored paths.
	Paths []string
	// Tags selects files carrying all of them.
	Tags []string
	// After is the cursor: only paths sorting after it are listed.
	After string
	// Limit is the most files in the page (required, > 0).
	Limit int
	// ScanLimit bounds the records examined (0: DefaultScanLimit).
	ScanLimit int
}

// Page is one page of a listing: files in ascending byte order of their
// stored paths, and the cursor for the next page ("" when done).
type Page struct {
	Files []*File
	Next  string
}

// pathKey is the key of owner's stored path in the paths bucket.
func pathKey(owner, stored string) []byte {
	k := make([]byte, 0, len(owner)+1+len(stored))
	k = append(k, owner...)
	k = append(k, 0)
	return append(k, stored...)
}

// ListFiles returns one page of q.Owner's completed files. It seeks the
// paths bucket to the owner, prefix and cursor, so that a page costs the
// records it examines, not the owner's whole catalogue. A page may be
// short, even empty, with a Next when ScanLimit records were examined
// without filling it.
func (s *BoltStore) ListFiles(ctx context.Context, q ListQuery) (*Page, error) {
	if q.Owner == "" || q.Limit <= 0 {
		return nil, errors.New("listing files: owner and limit are required")
	}
	scanLimit := q.ScanLimit
	if scanLimit <= 0 {
		scanLimit = DefaultScanLimit
	}
	page := &Page{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		fb, pb := tx.Bucket(bucketFiles), tx.Bucket(bucketPaths)
		// take examines one path; it reports whether the page is full.
		take := func(stored string, fileKey []byte) (bool, error) {
			v := fb.Get(fileKey)
			if v == nil {
				return false, nil
			}
			var f File
			if err := json.Unmarshal(v, &f); err != nil {
				return false, fmt.Errorf("corrupt file record for %s: %w", stored, err)
			}
			if f.Removed || !hasAll(f.Tags, q.Tags) {
				return false, nil
			}
			page.Files = append(page.Files, &f)
			return len(page.Files) == q.Limit, nil
		}
		if len(q.Paths) > 0 {
			paths := slices.Clone(q.Paths)
			slices.Sort(paths)
			paths = slices.Compact(paths)
			for i, p := range paths {
				if p <= q.After || !strings.HasPrefix(p, q.Prefix) {
					continue
				}
				v := pb.Get(pathKey(q.Owner, p))
				if v == nil {
					continue
				}
				full, err := take(p, v)
				if err != nil {
					return err
				}
				if full && i < len(paths)-1 {
					page.Next = p
					return nil
				}
			}
			return nil
		}
		ownerPrefix := pathKey(q.Owner, "")
		prefix := pathKey(q.Owner, q.Prefix)
		start := prefix
		if q.After >= q.Prefix {
			start = pathKey(q.Owner, q.After)
		}
		c := pb.Cursor()
		k, v := c.Seek(start)
		if q.After >= q.Prefix && k != nil && bytes.Equal(k, start) {
			k, v = c.Next()
		}
		for scanned := 0; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			stored := string(k[len(ownerPrefix):])
			full, err := take(stored, v)
			if err != nil {
				return err
			}
			scanned++
			if full || scanned >= scanLimit {
				if nk, _ := c.Next(); nk != nil && bytes.HasPrefix(nk, prefix) {
					page.Next = stored
				}
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// hasAll reports whether the sorted set tags holds every one of want.
func hasAll(tags, want []string) bool {
	for _, w := range want {
		if _, ok := slices.BinarySearch(tags, w); !ok {
			return false
		}
	}
	return true
}

// RemoveFiles deletes the records of owner's files at the stored paths,
// all or none: if one path is not owner's completed file it fails with
// ErrFileNotFound (wrapped, naming the path) and changes nothing. In one
// transaction it drops the records, their tag entries and path index,
// and releases their bytes from owner's usage. It returns the removed
// records, in the order of paths (a path named twice once); the caller
// deletes their bytes (Unpublish).
//
// A record whose upload is still known (its fid can be resumed) stays as
// a tombstone, so that the upload keeps counting the file complete rather
// than asking for it again; DeleteUpload drops it with the upload.
func (s *BoltStore) RemoveFiles(ctx context.Context, owner string, paths []string) ([]*File, error) {
	var out []*File
	err := s.db.Update(func(tx *bbolt.Tx) error {
		out = out[:0]
		pb := tx.Bucket(bucketPaths)
		seen := make(map[string]bool, len(paths))
		var keys [][]byte
		for _, p := range paths {
			if seen[p] {
				continue
			}
			seen[p] = true
			v := pb.Get(pathKey(owner, p))
			if v == nil {
				return fmt.Errorf("%w: %s", ErrFileNotFound, p)
			}
			keys = append(keys, bytes.Clone(v))
		}
		for _, k := range keys {
			f, err := removeRecord(tx, k)
			if err != nil {
				return err
			}
			if f != nil {
				out = append(out, f)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// removeRecord takes the file record at key out of the catalogue: its path
// index entry, its tags, its bytes from the owner's usage, and the record
// itself (or, while its upload is known, marks it removed). It returns the
// record, or nil if there was none.
func removeRecord(tx *bbolt.Tx, key []byte) (*File, error) {
	fb := tx.Bucket(bucketFiles)
	v := fb.Get(key)
	if v == nil {
		return nil, nil
	}
	var f File
	if err := json.Unmarshal(v, &f); err != nil {
		return nil, fmt.Errorf("corrupt file record: %w", err)
	}
	if f.Removed {
		return nil, nil
	}
	pb := tx.Bucket(bucketPaths)
	pk := pathKey(f.Owner, f.Stored)
	if bytes.Equal(pb.Get(pk), key) {
		if err := pb.Delete(pk); err != nil {
			return nil, err
		}
	}
	tb := tx.Bucket(bucketTags)
	for _, tag := range f.Tags {
		if err := tb.Delete(append(append([]byte(tag), 0), key...)); err != nil {
			return nil, err
		}
	}
	completed, reserved := getUsage(tx, f.Owner)
	if err := putUsage(tx, f.Owner, max(completed-int64(f.Size), 0), reserved); err != nil {
		return nil, err
	}
	if tx.Bucket(bucketUploads).Get(f.FID[:]) == nil {
		return &f, fb.Delete(key)
	}
	tomb := f
	tomb.Removed = true
	rec, err := json.Marshal(&tomb)
	if err != nil {
		return nil, err
	}
	return &f, fb.Put(key, rec)
}

// buildPathIndex fills the paths bucket from the file records, for a
// database written before the index existed.
func buildPathIndex(tx *bbolt.Tx) error {
	pb := tx.Bucket(bucketPaths)
	return tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
		var f File
		if err := json.Unmarshal(v, &f); err != nil {
			return fmt.Errorf("corrupt file record: %w", err)
		}
		if f.Removed {
			return nil
		}
		return pb.Put(pathKey(f.Owner, f.Stored), bytes.Clone(k))
	})
}
