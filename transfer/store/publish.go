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
	"github.com/hoist-dev/hoist/transfer/wire"
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
// directory at the relative path name ('/'-separated, see SafePath),
// creating its directories. It never overwrites and never follows a
// symbolic link:
//   - if the last element is taken (by any entry, including a symbolic
//     link), it uses "stem (2).ext", "stem (3).ext", ... and finally
//     "stem (FID8-I).ext" in the same directory;
//   - if a directory element exists but is not a plain directory, it uses
//     "dir (2)", "dir (3)", ... (the first that is a plain directory or
//     free), and finally "dir (FID8-I)".
//
// It returns the path used. The new entries are durable only after
// SyncPublished(owner), so that a batch of files needs one sync per
// directory. Publishing the same partial file again (after a crash between
// the link and the metadata update) finds and returns the earlier path.
//
// The partial file stays in place; RemovePartial removes it once the
// completion is recorded.
func (s *BoltStore) Publish(ctx context.Context, fid uuid.UUID, index int, owner, name string) (string, error) {
	if err := SafePath(name); err != nil {
		return "", fmt.Errorf("file path: %w", err)
	}
	if err := SafeName(owner); err != nil {
		return "", fmt.Errorf("user id: %w", err)
	}
	src := partialPath(Part{fid, index})
	srcInfo, err := s.root.Lstat(src)
	if err != nil {
		return "", fmt.Errorf("publishing: %w", err)
	}
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	stored, err := s.publish(ctx, fid, index, owner, name, src, srcInfo)
	if err != nil && len(s.knownDirs) > 0 {
		// A directory known to exist may have been removed or replaced
		// behind the server's back: look at every one again.
		clear(s.knownDirs)
		stored, err = s.publish(ctx, fid, index, owner, name, src, srcInfo)
	}
	return stored, err
}

// rememberDir notes that dir is a plain directory. The caller holds dirMu.
func (s *BoltStore) rememberDir(dir string) {
	if len(s.knownDirs) >= maxKnownDirs {
		clear(s.knownDirs)
	}
	s.knownDirs[dir] = true
}

// maxKnownDirs bounds knownDirs.
const maxKnownDirs = 100_000

// publish is Publish with dirMu held.
func (s *BoltStore) publish(ctx context.Context, fid uuid.UUID, index int, owner, name, src string, srcInfo fs.FileInfo) (string, error) {
	area := path.Join(usersDir, owner)
	if !s.knownDirs[area] {
		if err := s.PrepareUserArea(ctx, owner); err != nil {
			return "", err
		}
		s.rememberDir(area)
	}
	dir := area
	elems := strings.Split(name, "/")
	// A numbered variant lengthens the path: stems are shortened so that
	// the stored path stays within wire.MaxPathLength, as the path sent.
	total := len(name)
	room := func(elem string) int {
		return min(MaxNameLength, len(elem)+max(wire.MaxPathLength-total, 0))
	}
	for _, elem := range elems[:len(elems)-1] {
		used, err := s.enterDir(owner, dir, elem, fid, index, room(elem))
		if err != nil {
			return "", fmt.Errorf("publishing %s for user %s: %w", name, owner, err)
		}
		total += len(used) - len(elem)
		dir = path.Join(dir, used)
	}
	base := elems[len(elems)-1]
	maxLen := room(base)
	for n := 1; n <= maxNumbered+1; n++ {
		cand := candidateName(base, n, fid, index, true, maxLen)
		dst := path.Join(dir, cand)
		err := s.root.Link(src, dst)
		if err == nil {
			s.markUnsynced(owner, dir)
			return dst[len(area)+1:], nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("publishing %s for user %s: %w", name, owner, err)
		}
		// Taken: by this very file when it is published again after a
		// crash, or by another entry (link(2) never follows a symbolic
		// link), and then the next candidate.
		if fi, err := s.root.Lstat(dst); err == nil && os.SameFile(fi, srcInfo) {
			return dst[len(area)+1:], nil
		}
	}
	return "", fmt.Errorf("publishing %s for user %s: %w", name, owner, ErrNoFreeName)
}

// enterDir finds or makes the directory for element elem under parent: elem
// itself, or its first numbered variant (of at most maxLen bytes) that is a
// plain directory or free. It returns the element used. The caller holds
// dirMu.
func (s *BoltStore) enterDir(owner, parent, elem string, fid uuid.UUID, index int, maxLen int) (string, error) {
	for n := 1; n <= maxNumbered+1; n++ {
		cand := candidateName(elem, n, fid, index, false, maxLen)
		p := path.Join(parent, cand)
		if s.knownDirs[p] {
			return cand, nil
		}
		err := s.root.Mkdir(p, 0o700)
		if err == nil {
			s.markUnsynced(owner, parent)
			s.rememberDir(p)
			return cand, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
		fi, err := s.root.Lstat(p)
		if err != nil {
			return "", err
		}
		if fi.IsDir() { // Lstat: never true of a symbolic link
			s.rememberDir(p)
			return cand, nil
		}
	}
	return "", fmt.Errorf("directory %s: %w", elem, ErrNoFreeName)
}

// markUnsynced notes that dir's entries changed. The caller holds dirMu.
func (s *BoltStore) markUnsynced(owner, dir string) {
	m := s.unsynced[owner]
	if m == nil {
		m = map[string]bool{}
		s.unsynced[owner] = m
	}
	m[dir] = true
}

// SyncPublished makes the entries Publish added to owner's directories
// durable.
func (s *BoltStore) SyncPublished(ctx context.Context, owner string) error {
	s.dirMu.Lock()
	dirs := s.unsynced[owner]
	delete(s.unsynced, owner)
	s.dirMu.Unlock()
	area := path.Join(usersDir, owner)
	if dirs == nil {
		dirs = map[string]bool{area: true}
	}
	var errs []error
	for dir := range dirs {
		if err := s.syncDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		s.dirMu.Lock()
		for dir := range dirs {
			s.markUnsynced(owner, dir) // try again next time
		}
		s.dirMu.Unlock()
		return err
	}
	return nil
}

// Unpublish deletes owner's file at the stored path, then the directories
// of the path that this leaves empty (never owner's directory itself). A
// file already gone is no error.
func (s *BoltStore) Unpublish(ctx context.Context, owner, stored string) error {
	if err := SafeName(owner); err != nil {
		return fmt.Errorf("user id: %w", err)
	}
	if err := SafePath(stored); err != nil {
		return fmt.Errorf("file path: %w", err)
	}
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	clear(s.knownDirs) // the directories this empties go
	area := path.Join(usersDir, owner)
	p := path.Join(area, stored)
	if err := s.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s of user %s: %w", stored, owner, err)
	}
	dir := path.Dir(p)
	for dir != area {
		if s.root.Remove(dir) != nil {
			break // not empty (or gone): the directories above are not empty either
		}
		dir = path.Dir(dir)
	}
	if err := s.syncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// NameCandidates is how many names CandidateName gives for one file:
// the name itself, its numbered variants, and a last one made unique by
// the fid. Backends that reserve names elsewhere (a database) try them in
// this order, as Publish does.
const NameCandidates = maxNumbered + 1

// CandidateName is the n-th stored path (1-based, up to NameCandidates)
// Publish tries for file index of upload fid sent as path name: the
// path itself, then variants of its last element, shortened so that the
// path stays within wire.MaxPathLength. Backends that reserve paths in a
// database try them in this order; unlike the file system, they number
// only the last element.
func CandidateName(name string, n int, fid uuid.UUID, index int) string {
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i+1], name[i+1:]
	}
	maxLen := min(MaxNameLength, len(base)+max(wire.MaxPathLength-len(name), 0))
	return dir + candidateName(base, n, fid, index, true, maxLen)
}

// candidateName is name for n == 1, "stem (n).ext" up to maxNumbered, then a
// name made unique by the fid and file index, with stem shortened (at a
// rune boundary) to keep the result within maxLen bytes where it can. With
// splitExt false (a directory) the whole name is the stem.
func candidateName(name string, n int, fid uuid.UUID, index int, splitExt bool, maxLen int) string {
	if n == 1 {
		return name
	}
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); splitExt && i > 0 && len(name)-i <= 32 {
		stem, ext = name[:i], name[i:]
	}
	suffix := fmt.Sprintf(" (%d)%s", n, ext)
	if n > maxNumbered {
		suffix = fmt.Sprintf(" (%s-%d)%s", fid.String()[:8], index, ext)
	}
	for stem != "" && len(stem)+len(suffix) > maxLen {
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
