package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
	"go.etcd.io/bbolt"
)

// Ping checks cheaply that the metadata can be read and the data
// directory reached, for a readiness probe.
func (s *BoltStore) Ping(ctx context.Context) error {
	if err := s.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketUsage) == nil {
			return fmt.Errorf("%s has no usage records", DBFile)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("reading metadata: %w", err)
	}
	if _, err := s.root.Stat(partialDir); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// TotalUsage returns the bytes of completed files and the bytes reserved
// by unfinished uploads, summed over every user.
func (s *BoltStore) TotalUsage(ctx context.Context) (completed, reserved int64, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		for _, u := range usageOf(tx) {
			completed += u.Completed
			reserved += u.Reserved
		}
		return nil
	})
	return completed, reserved, err
}

// UserUsage is what one user holds: completed files and bytes, and bytes
// reserved by unfinished uploads (the quota counts both).
type UserUsage struct {
	Owner     string
	Files     int
	Completed int64
	Reserved  int64
}

// usageOf lists every user's usage, by name; Files is left zero.
func usageOf(tx *bbolt.Tx) []UserUsage {
	var out []UserUsage
	tx.Bucket(bucketUsage).ForEach(func(k, v []byte) error {
		if len(v) == 16 {
			out = append(out, UserUsage{Owner: string(k),
				Completed: int64(binary.BigEndian.Uint64(v)), Reserved: int64(binary.BigEndian.Uint64(v[8:]))})
		}
		return nil
	})
	return out
}

// Usage lists every user that holds or reserves anything, by name, with
// the number of completed files.
func (c *Catalog) Usage() ([]UserUsage, error) {
	var out []UserUsage
	err := c.db.View(func(tx *bbolt.Tx) error {
		out = usageOf(tx)
		files := map[string]int{}
		tx.Bucket(bucketFiles).ForEach(func(k, _ []byte) error {
			if i := bytes.IndexByte(k, 0); i > 0 {
				files[string(k[:i])]++
			}
			return nil
		})
		for i := range out {
			out[i].Files = files[out[i].Owner]
		}
		return nil
	})
	return out, err
}

// PartialUpload is an unfinished upload as `hoist ls --partial` shows it.
type PartialUpload struct {
	FID     uuid.UUID
	Owner   string
	Files   int // files in the upload
	Pending int // of which not yet complete
	// Reserved is the size of the files not yet complete, which the upload
	// reserves against its owner's quota (and, where the file system
	// allows, on disk); Held the bytes of their chunks already durable.
	Reserved int64
	Held     int64
	Created  time.Time
	Touched  time.Time
}

// Partials lists the uploads with files not yet complete, oldest first.
func (c *Catalog) Partials() ([]PartialUpload, error) {
	var out []PartialUpload
	err := c.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketUploads).ForEach(func(k, _ []byte) error {
			if len(k) != 16 {
				return nil
			}
			u, err := loadUpload(tx, uuid.UUID(k))
			if err != nil {
				return err
			}
			p := PartialUpload{FID: u.FID, Owner: u.Owner, Files: len(u.Files), Created: u.Created, Touched: u.Touched}
			for i, f := range u.Files {
				if u.Done[i] != nil {
					continue
				}
				p.Pending++
				p.Reserved += int64(f.Size)
				p.Held += heldBytes(u.Held[i], f.Size, u.ChunkSize)
			}
			if p.Pending > 0 {
				out = append(out, p)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// heldBytes is the number of bytes in the held chunks of a file of size
// bytes cut in chunks of chunkSize.
func heldBytes(held Bitset, size uint64, chunkSize int) int64 {
	var n int64
	for i := range wire.ChunkCount(size, chunkSize) {
		if held.Has(i) {
			_, l := wire.ChunkBounds(size, chunkSize, i)
			n += int64(l)
		}
	}
	return n
}
