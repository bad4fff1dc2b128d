package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/google/uuid"
)

// ErrNoSpace: the disk has no room for an upload's files.
var ErrNoSpace = errors.New("no space left for the upload's files")

// ErrUnsafeArea: a user's directory is not a plain directory (for example a
// planted symbolic link); the server refuses to store anything there.
var ErrUnsafeArea = errors.New("user directory is not a plain directory")

func partialPath(fid uuid.UUID, file int) string {
	return path.Join(partialDir, fid.String(), strconv.Itoa(file))
}

// CreatePartials creates the partial files of upload u, each with its
// final size and its disk space reserved (ErrNoSpace if there is not
// enough), and makes their directory entries durable. Files that exist are
// left as they are.
func (s *BoltStore) CreatePartials(u *Upload) error {
	dir := path.Join(partialDir, u.FID.String())
	if err := s.root.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := checkRealDir(s.root, dir); err != nil {
		return err
	}
	for i, fi := range u.Files {
		if u.Done != nil && u.Done[i] != nil {
			continue
		}
		p := partialPath(u.FID, i)
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

// OpenPartial opens the partial file of file index file of upload fid for
// reading and writing.
func (s *BoltStore) OpenPartial(fid uuid.UUID, file int) (*os.File, error) {
	f, err := s.root.OpenFile(partialPath(fid, file), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening partial data: %w", err)
	}
	return f, nil
}

// RemovePartial removes one partial file; a missing file is not an error.
func (s *BoltStore) RemovePartial(fid uuid.UUID, file int) error {
	err := s.root.Remove(partialPath(fid, file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// RemovePartials removes all partial data of upload fid.
func (s *BoltStore) RemovePartials(fid uuid.UUID) error {
	return s.root.RemoveAll(path.Join(partialDir, fid.String()))
}

// EnsureUserDir creates owner's directory if needed and checks that it is a
// plain directory, not a symbolic link; otherwise it returns ErrUnsafeArea.
func (s *BoltStore) EnsureUserDir(owner string) error {
	if err := SafeName(owner); err != nil {
		return fmt.Errorf("user id: %w", err)
	}
	dir := path.Join(usersDir, owner)
	err := s.root.Mkdir(dir, 0o700)
	if err == nil {
		return s.syncDir(usersDir)
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating the directory of user %s: %w", owner, err)
	}
	fi, err := s.root.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s has mode %v", ErrUnsafeArea, dir, fi.Mode())
	}
	return nil
}

// maxNumbered is how many "name (n).ext" candidates Publish tries before it
// falls back to a name carrying the fid.
const maxNumbered = 100

// Publish moves the partial file of file index of upload fid into owner's
// directory under name, or, if that name is taken (by any entry, including a
// symbolic link, which is never followed), under "stem (2).ext",
// "stem (3).ext", ... and finally "stem (FID8-I).ext". It never overwrites.
// The new directory entry is durable only after SyncUserDir(owner), so
// that a batch of files needs one directory sync. Publishing the same
// partial file again (after a crash between the link and the metadata
// update) finds and returns the earlier name.
//
// The partial file stays in place; RemovePartial removes it once the
// completion is recorded.
func (s *BoltStore) Publish(fid uuid.UUID, index int, owner, name string) (string, error) {
	if err := SafeName(name); err != nil {
		return "", fmt.Errorf("file name: %w", err)
	}
	if err := s.EnsureUserDir(owner); err != nil {
		return "", err
	}
	src := partialPath(fid, index)
	srcInfo, err := s.root.Lstat(src)
	if err != nil {
		return "", fmt.Errorf("publishing: %w", err)
	}
	dir := path.Join(usersDir, owner)
	for n := 1; n <= maxNumbered+1; n++ {
		cand := candidateName(name, n, fid, index)
		dst := path.Join(dir, cand)
		if fi, err := s.root.Lstat(dst); err == nil {
			if os.SameFile(fi, srcInfo) {
				return cand, nil
			}
			continue
		}
		err := s.root.Link(src, dst)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("publishing %s for user %s: %w", name, owner, err)
		}
		return cand, nil
	}
	return "", fmt.Errorf("publishing %s for user %s: no free name", name, owner)
}

// SyncUserDir makes the entries Publish added to owner's directory durable.
func (s *BoltStore) SyncUserDir(owner string) error {
	return s.syncDir(path.Join(usersDir, owner))
}

// candidateName is name for n == 1, "stem (n).ext" up to maxNumbered, then a
// name made unique by the fid and file index.
func candidateName(name string, n int, fid uuid.UUID, index int) string {
	if n == 1 {
		return name
	}
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 32 {
		stem, ext = name[:i], name[i:]
	}
	suffix := fmt.Sprintf(" (%d)%s", n, ext)
	if n > maxNumbered {
		suffix = fmt.Sprintf(" (%s-%d)%s", fid.String()[:8], index, ext)
	}
	for len(stem)+len(suffix) > MaxNameLength {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return stem + suffix
}

// syncDir makes the entries of directory dir durable.
func (s *BoltStore) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) {
		err = nil // file systems that cannot sync directories
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// Sweep removes partial data that no upload needs any more: directories of
// forgotten uploads and files whose completion was recorded (a crash can
// leave either behind).
func (s *BoltStore) Sweep() error {
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
		u, err := s.LoadUpload(fid)
		if errors.Is(err, ErrNotFound) {
			errs = append(errs, s.RemovePartials(fid))
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range u.Files {
			if u.Done[i] != nil {
				errs = append(errs, s.RemovePartial(fid, i))
			}
		}
	}
	return errors.Join(errs...)
}
