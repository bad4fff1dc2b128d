package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
	"go.etcd.io/bbolt"
)

// FileInfo is one file of an upload as the client announced it.
type FileInfo struct {
	Name string `json:"name"`
	Size uint64 `json:"size"`
}

// Upload is an upload's metadata and, when loaded, its progress.
type Upload struct {
	FID       uuid.UUID  `json:"-"`
	Owner     string     `json:"owner"`
	Files     []FileInfo `json:"files"`
	Tags      []string   `json:"tags"`
	ChunkSize int        `json:"chunk_size"`
	Created   time.Time  `json:"created"`

	// Set by LoadUpload.
	Touched time.Time `json:"-"`
	// Held has, per file, the chunks on stable storage (nil once complete).
	Held []Bitset `json:"-"`
	// Done has, per file, its completion record (nil while incomplete).
	Done []*File `json:"-"`
}

// TotalSize is the sum of the file sizes; the caller checks it fits int64.
func (u *Upload) TotalSize() uint64 {
	var t uint64
	for _, f := range u.Files {
		t += f.Size
	}
	return t
}

// Mark says that one chunk is on stable storage.
type Mark struct {
	FID   uuid.UUID
	File  uint32
	Index uint64
}

// segmentBits is how many chunk bits one bbolt value holds, so that marking
// a chunk rewrites at most segmentBits/8 bytes however large the file.
const segmentBits = 8192

func chunkKey(dst []byte, fid uuid.UUID, file uint32, seg uint32) []byte {
	dst = append(dst[:0], fid[:]...)
	dst = binary.BigEndian.AppendUint32(dst, file)
	return binary.BigEndian.AppendUint32(dst, seg)
}

// CreateUpload records a new upload and reserves its bytes against the
// owner's usage. With quota > 0 it fails with ErrQuota (wrapped, with the
// figures) if completed plus reserved plus this upload's bytes exceed quota.
// It fails with ErrExists if the fid is taken.
func (s *BoltStore) CreateUpload(ctx context.Context, u *Upload, quota int64) error {
	rec, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		ub := tx.Bucket(bucketUploads)
		if ub.Get(u.FID[:]) != nil {
			return ErrExists
		}
		completed, reserved := getUsage(tx, u.Owner)
		total := int64(u.TotalSize())
		if quota > 0 && (total > quota || completed+reserved > quota-total) {
			return fmt.Errorf("%w: upload of %d bytes; %d stored and %d in unfinished uploads of a quota of %d",
				ErrQuota, total, completed, reserved, quota)
		}
		if err := ub.Put(u.FID[:], rec); err != nil {
			return err
		}
		if err := putTouched(tx, u.FID, u.Created); err != nil {
			return err
		}
		return putUsage(tx, u.Owner, completed, reserved+total)
	})
}

// LoadUpload returns the upload fid with its held chunks and completed
// files, or ErrNotFound.
func (s *BoltStore) LoadUpload(ctx context.Context, fid uuid.UUID) (*Upload, error) {
	var u Upload
	err := s.db.View(func(tx *bbolt.Tx) error {
		rec := tx.Bucket(bucketUploads).Get(fid[:])
		if rec == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(rec, &u); err != nil {
			return fmt.Errorf("upload %s: corrupt record: %w", fid, err)
		}
		u.FID = fid
		if t := tx.Bucket(bucketTouched).Get(fid[:]); len(t) == 8 {
			u.Touched = time.Unix(0, int64(binary.BigEndian.Uint64(t)))
		}
		u.Done = make([]*File, len(u.Files))
		prefix := filePrefix(nil, u.Owner, fid)
		c := tx.Bucket(bucketFiles).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var f File
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("upload %s: corrupt file record: %w", fid, err)
			}
			if f.Index >= 0 && f.Index < len(u.Files) { // tombstones too: the file was completed
				u.Done[f.Index] = &f
			}
		}
		u.Held = make([]Bitset, len(u.Files))
		for i, f := range u.Files {
			if u.Done[i] == nil {
				u.Held[i] = NewBitset(wire.ChunkCount(f.Size, u.ChunkSize))
			}
		}
		c = tx.Bucket(bucketChunks).Cursor()
		for k, v := c.Seek(fid[:]); k != nil && bytes.HasPrefix(k, fid[:]); k, v = c.Next() {
			if len(k) != 24 {
				continue
			}
			file := binary.BigEndian.Uint32(k[16:20])
			seg := uint64(binary.BigEndian.Uint32(k[20:24]))
			if int(file) >= len(u.Held) || u.Held[file] == nil {
				continue
			}
			b := u.Held[file]
			for j, byt := range v {
				bit := seg*segmentBits + uint64(j)*8
				if bit/64 >= uint64(len(b)) {
					break
				}
				b[bit/64] |= uint64(byt) << (bit % 64)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// MarkHeld records marks in one transaction (one fsync) and sets the
// uploads' touched time to now. marks is reordered.
func (s *BoltStore) MarkHeld(ctx context.Context, marks []Mark, now time.Time) error {
	slices.SortFunc(marks, func(a, b Mark) int {
		if c := bytes.Compare(a.FID[:], b.FID[:]); c != 0 {
			return c
		}
		if a.File != b.File {
			return int(a.File) - int(b.File)
		}
		switch {
		case a.Index < b.Index:
			return -1
		case a.Index > b.Index:
			return 1
		}
		return 0
	})
	return s.db.Update(func(tx *bbolt.Tx) error {
		cb := tx.Bucket(bucketChunks)
		var key [24]byte
		var cur []byte // value being built for key
		var curKey []byte
		flush := func() error {
			if curKey == nil {
				return nil
			}
			return cb.Put(curKey, cur)
		}
		var lastFID uuid.UUID
		for i, m := range marks {
			if i == 0 || m.FID != lastFID {
				if err := putTouched(tx, m.FID, now); err != nil {
					return err
				}
				lastFID = m.FID
			}
			k := chunkKey(key[:0], m.FID, m.File, uint32(m.Index/segmentBits))
			if !bytes.Equal(k, curKey) {
				if err := flush(); err != nil {
					return err
				}
				curKey = bytes.Clone(k)
				cur = bytes.Clone(cb.Get(curKey))
			}
			bit := m.Index % segmentBits
			if need := int(bit/8) + 1; len(cur) < need {
				cur = append(cur, make([]byte, need-len(cur))...)
			}
			cur[bit/8] |= 1 << (bit % 8)
		}
		return flush()
	})
}

// DeleteUpload forgets upload fid: its record, chunk bitmaps, the
// reservation of its incomplete files and the tombstones of its removed
// files. Completed files stay listed. The caller removes the partial data
// (RemovePartials).
func (s *BoltStore) DeleteUpload(ctx context.Context, fid uuid.UUID) error {
	u, err := s.LoadUpload(ctx, fid)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		var pending int64
		for i, f := range u.Files {
			if u.Done[i] == nil {
				pending += int64(f.Size)
			}
		}
		completed, reserved := getUsage(tx, u.Owner)
		if err := putUsage(tx, u.Owner, completed, max(reserved-pending, 0)); err != nil {
			return err
		}
		if err := deletePrefix(tx.Bucket(bucketChunks), fid[:]); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTouched).Delete(fid[:]); err != nil {
			return err
		}
		for i, f := range u.Done {
			if f != nil && f.Removed {
				if err := tx.Bucket(bucketFiles).Delete(fileKey(u.Owner, fid, i)); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketUploads).Delete(fid[:])
	})
}

// Untouched returns the fids of uploads not touched since before.
func (s *BoltStore) Untouched(ctx context.Context, before time.Time) ([]uuid.UUID, error) {
	var out []uuid.UUID
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketTouched).ForEach(func(k, v []byte) error {
			if len(k) == 16 && len(v) == 8 && int64(binary.BigEndian.Uint64(v)) < before.UnixNano() {
				out = append(out, uuid.UUID(k))
			}
			return nil
		})
	})
	return out, err
}

// Usage returns the bytes owner has in completed files and reserved by
// unfinished uploads.
func (s *BoltStore) Usage(ctx context.Context, owner string) (completed, reserved int64, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		completed, reserved = getUsage(tx, owner)
		return nil
	})
	return completed, reserved, err
}

func putTouched(tx *bbolt.Tx, fid uuid.UUID, t time.Time) error {
	return tx.Bucket(bucketTouched).Put(bytes.Clone(fid[:]), binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())))
}

func getUsage(tx *bbolt.Tx, owner string) (completed, reserved int64) {
	v := tx.Bucket(bucketUsage).Get([]byte(owner))
	if len(v) != 16 {
		return 0, 0
	}
	return int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:]))
}

func putUsage(tx *bbolt.Tx, owner string, completed, reserved int64) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(completed))
	v = binary.BigEndian.AppendUint64(v, uint64(reserved))
	return tx.Bucket(bucketUsage).Put([]byte(owner), v)
}

func deletePrefix(b *bbolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
