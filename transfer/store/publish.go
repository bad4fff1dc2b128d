package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/google/uuid"
)

// ErrNoSpace: the disk has no room for an upload's files.
var ErrNoSpace = errors.New("no space left for the upload's files")

// ErrNoFreeName: every name Publish may use for a file is taken; trying
// again will not help until the user's directory is cleared.
var ErrNoFreeName = errors.New("no free name: every numbered variant of the name is taken")

// ErrCorrupt: the storage found a chunk's bytes differ from its checksum
// (an object store refusing a part); the chunk must be sent again.
var ErrCorrupt = errors.New("chunk does not match its checksum")

// ErrUnsafeArea: a user's directory is not a plain directory (for example a
// planted symbolic link); the server refuses to store anything there.
var ErrUnsafeArea = errors.New("user directory is not a plain directory")

// PrepareUserArea creates owner's directory if needed and checks that it
// is a plain directory, not a symbolic link; otherwise it returns
// ErrUnsafeArea.
func (s *BoltStore) PrepareUserArea(ctx context.Context, owner string) error {
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
// The new directory entry is durable only after SyncPublished(owner), so
// that a batch of files needs one directory sync. Publishing the same
// partial file again (after a crash between the link and the metadata
// update) finds and returns the earlier name.
//
// The partial file stays in place; RemovePartial removes it once the
// completion is recorded.
func (s *BoltStore) Publish(ctx context.Context, fid uuid.UUID, index int, owner, name string) (string, error) {
	if err := SafeName(name); err != nil {
		return "", fmt.Errorf("file name: %w", err)
	}
	if err := s.PrepareUserArea(ctx, owner); err != nil {
		return "", err
	}
	src := partialPath(Part{fid, index})
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
	return "", fmt.Errorf("publishing %s for user %s: %w", name, owner, ErrNoFreeName)
}

// SyncPublished makes the entries Publish added to owner's directory
// durable.
func (s *BoltStore) SyncPublished(ctx context.Context, owner string) error {
	return s.syncDir(path.Join(usersDir, owner))
}

// NameCandidates is how many names CandidateName gives for one file:
// the name itself, its numbered variants, and a last one made unique by
// the fid. Backends that reserve names elsewhere (a database) try them in
// this order, as Publish does.
const NameCandidates = maxNumbered + 1

// CandidateName is the n-th name (1-based, up to NameCandidates) Publish
// tries for file index of upload fid.
func CandidateName(name string, n int, fid uuid.UUID, index int) string {
	return candidateName(name, n, fid, index)
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
