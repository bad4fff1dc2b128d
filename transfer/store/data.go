package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"

	"github.com/google/uuid"
)

// Part names one file of an upload: the unit in which chunk data is
// written, synced and removed.
type Part struct {
	FID  uuid.UUID
	File int
}

// Chunk is one chunk of a file of an upload, and where its bytes go.
type Chunk struct {
	Part Part
	// Index is the chunk's index in its file; Offset is Index times the
	// upload's chunk size, where Data starts in the file.
	Index  uint64
	Offset int64
	Data   []byte
}

func partialPath(p Part) string {
	return path.Join(partialDir, p.FID.String(), strconv.Itoa(p.File))
}

// CreatePartials creates the partial files of upload u, each with its
// final size and its disk space reserved (ErrNoSpace if there is not
// enough), and makes their directory entries durable. Files that exist are
// left as they are.
func (s *BoltStore) CreatePartials(ctx context.Context, u *Upload) error {
	dir := path.Join(partialDir, u.FID.String())
	if err := s.root.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := checkRealDir(s.root, dir); err != nil {
		return err
	}
	for i, fi := range u.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if u.Done != nil && u.Done[i] != nil {
			continue
		}
		p := partialPath(Part{u.FID, i})
		f, err := s.root.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("creating %s: %w", p, err)
		}
		err = allocate(f, int64(fi.Size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("sizing %s: %w", p, err)
		}
	}
	return errors.Join(s.syncDir(dir), s.syncDir(partialDir))
}

// openPartial opens a partial file for the cache.
func (s *BoltStore) openPartial(p Part) (*os.File, error) {
	f, err := s.root.OpenFile(partialPath(p), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening partial data: %w", err)
	}
	return f, nil
}

// WriteChunk writes c's bytes at their offset in its part's partial data.
// They are durable only after a Sync that names the part returned no error
// for it.
// At most Options.MaxOpenFiles partial files are open at once: others are
// opened on demand, and a file closed to make room is synced first.
func (s *BoltStore) WriteChunk(ctx context.Context, c Chunk) error {
	e, err := s.cache.acquire(c.Part)
	if err != nil {
		return err
	}
	defer s.cache.release(e)
	err = writeInPieces(e.f, c.Data, c.Offset)
	// Dirty after the write, so that a Sync that sees the flag clean again
	// started its fdatasync after these bytes were written.
	s.cache.mu.Lock()
	e.dirty = true
	s.cache.mu.Unlock()
	if err != nil {
		return fmt.Errorf("writing partial data: %w", err)
	}
	return nil
}

// writePiece bounds one write(2) of chunk data. The page cache sizes its
// folios after the write: one 4 MiB write gets large folios, and on this
// project's VMs (Linux 6.18, ext4) writing 1 GiB that way took 1.2-1.5 s of
// kernel time against 0.40-0.43 s for the same bytes in 256 KiB writes,
// and made the 4 MiB chunk rate erratic (see BenchmarkChunkSizes).
const writePiece = 256 << 10

// writeInPieces writes b at off in writes of at most writePiece bytes.
func writeInPieces(f *os.File, b []byte, off int64) error {
	for len(b) > 0 {
		n := min(len(b), writePiece)
		if _, err := f.WriteAt(b[:n], off); err != nil {
			return err
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

// Sync makes every chunk written to the given parts before the call
// durable (fdatasync, or one syncfs for many files) and returns one error
// per part, nil where it succeeded.
func (s *BoltStore) Sync(ctx context.Context, parts []Part) []error {
	return s.cache.sync(parts)
}

// ReadPartial returns a reader of part p's partial data from offset off to
// its end; the caller closes it.
func (s *BoltStore) ReadPartial(ctx context.Context, p Part, off int64) (io.ReadCloser, error) {
	f, err := s.root.Open(partialPath(p))
	if err != nil {
		return nil, fmt.Errorf("opening partial data: %w", err)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("reading partial data: %w", err)
	}
	return f, nil
}

// RemovePartial removes one partial file, and the upload's partial
// directory once it is empty; a missing file is not an error.
func (s *BoltStore) RemovePartial(ctx context.Context, p Part) error {
	s.cache.forget(func(q Part) bool { return q == p })
	err := s.root.Remove(partialPath(p))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Fails while other files of the upload remain, which is fine.
	s.root.Remove(path.Join(partialDir, p.FID.String()))
	return nil
}

// RemovePartials removes all partial data of upload fid.
func (s *BoltStore) RemovePartials(ctx context.Context, fid uuid.UUID) error {
	s.cache.forget(func(q Part) bool { return q.FID == fid })
	return s.root.RemoveAll(path.Join(partialDir, fid.String()))
}

// Sweep removes partial data that no upload needs any more: directories of
// forgotten uploads and files whose completion was recorded (a crash can
// leave either behind).
func (s *BoltStore) Sweep(ctx context.Context) error {
	d, err := s.root.Open(partialDir)
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		fid, err := uuid.Parse(n)
		if err != nil {
			continue
		}
		u, err := s.LoadUpload(ctx, fid)
		if errors.Is(err, ErrNotFound) {
			errs = append(errs, s.RemovePartials(ctx, fid))
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range u.Files {
			if u.Done[i] != nil {
				errs = append(errs, s.RemovePartial(ctx, Part{fid, i}))
			}
		}
	}
	return errors.Join(errs...)
}
