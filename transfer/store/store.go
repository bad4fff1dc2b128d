// Package store keeps what a hoist server holds: upload metadata, chunk
// bitmaps, completed-file records and a tag index in a bbolt database, and
// the bytes themselves as files under the data directory.
//
// Layout of a data directory:
//
//	hoist.db            bbolt metadata (this package's buckets)
//	catalog.db          a read-only copy of hoist.db for `hoist ls` while a server runs
//	partial/FID/I       the bytes of file I of upload FID while it is incomplete
//	users/USER/PATH     completed files, one directory per user; PATH may
//	                    have directories (a/b/notes.txt)
//
// Every path below the data directory is opened through an os.Root, user
// names must be single safe path elements (see SafeName) and file paths
// safe relative paths (SafePath); no symbolic link in a user's area is ever
// followed, so nothing is read or written outside it.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// File names inside the data directory.
const (
	DBFile      = "hoist.db"
	CatalogFile = "catalog.db"
	partialDir  = "partial"
	usersDir    = "users"
)

// Buckets.
var (
	bucketUploads = []byte("uploads") // fid(16) -> uploadRecord JSON
	bucketTouched = []byte("touched") // fid(16) -> unix nanoseconds (8, big-endian)
	bucketChunks  = []byte("chunks")  // fid(16) file(4) segment(4) -> bitmap bytes
	bucketFiles   = []byte("files")   // owner 0 fid(16) file(4) -> File JSON
	bucketPaths   = []byte("paths")   // owner 0 stored path -> key in files
	bucketTags    = []byte("tags")    // tag 0 owner 0 fid(16) file(4) -> empty
	bucketUsage   = []byte("usage")   // owner -> completed(8) reserved(8)
	allBuckets    = [][]byte{bucketUploads, bucketTouched, bucketChunks, bucketFiles, bucketPaths, bucketTags, bucketUsage}
)

// Errors.
var (
	// ErrNotFound: no such upload.
	ErrNotFound = errors.New("no such upload")
	// ErrExists: an upload with that fid exists already.
	ErrExists = errors.New("upload exists")
	// ErrQuota: the user's quota would be exceeded.
	ErrQuota = errors.New("quota exceeded")
	// ErrLocked: the database is held by a running server.
	ErrLocked = errors.New("database is in use by a running server")
)

// BoltStore is the bbolt- and file-backed store. It is safe for concurrent
// use.
type BoltStore struct {
	dir   string
	db    *bbolt.DB
	root  *os.Root
	cache *fileCache

	// dirMu serialises changes to users' directory trees (Publish,
	// Unpublish), so that a directory is never removed while a file is
	// being placed in it. unsynced has, per owner, the directories whose
	// entries Publish changed since the last SyncPublished.
	dirMu    sync.Mutex
	unsynced map[string]map[string]bool
	// knownDirs holds the directories of users' areas that Publish found
	// or made as plain directories, so that the next files placed in them
	// skip the checks: each os.Root call walks its path one openat at a
	// time. Unpublish, which removes directories, empties it, and so does
	// a Publish that finds one gone behind the server's back. dirMu guards
	// it.
	knownDirs map[string]bool
}

// Options configure Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the database before it fails with ErrLocked (0: fail at once).
	LockTimeout time.Duration
	// MaxOpenFiles bounds the partial files kept open at once (default
	// DefaultMaxOpenFiles); the others are opened when written.
	MaxOpenFiles int
}

// Open opens (creating if needed) the store in dir for a server. Only one
// process may have a store open for writing; a second Open waits up to
// opts.LockTimeout and then fails with ErrLocked.
func Open(dir string, opts Options) (*BoltStore, error) {
	lockTimeout := opts.LockTimeout
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	for _, d := range []string{partialDir, usersDir} {
		if err := root.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			root.Close()
			return nil, fmt.Errorf("data directory: %w", err)
		}
		if err := checkRealDir(root, d); err != nil {
			root.Close()
			return nil, err
		}
	}
	db, err := bbolt.Open(filepath.Join(dir, DBFile), 0o600, &bbolt.Options{Timeout: lockTimeout, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		root.Close()
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, filepath.Join(dir, DBFile))
		}
		return nil, fmt.Errorf("opening %s: %w", filepath.Join(dir, DBFile), err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		migrate := tx.Bucket(bucketPaths) == nil && tx.Bucket(bucketFiles) != nil
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if migrate {
			return buildPathIndex(tx)
		}
		return nil
	})
	if err != nil {
		db.Close()
		root.Close()
		return nil, fmt.Errorf("initializing %s: %w", DBFile, err)
	}
	s := &BoltStore{dir: dir, db: db, root: root, unsynced: map[string]map[string]bool{}, knownDirs: map[string]bool{}}
	s.cache = newFileCache(opts.MaxOpenFiles, s.openPartial, s.syncPartialFS)
	return s, nil
}

// Dir is the data directory.
func (s *BoltStore) Dir() string { return s.dir }

// Close closes the open partial files (syncing those written since their
// last Sync), the database and the data directory.
func (s *BoltStore) Close() error {
	return errors.Join(s.cache.closeAllFiles(), s.db.Close(), s.root.Close())
}

// syncPartialFS syncs the whole file system that holds the partial data.
func (s *BoltStore) syncPartialFS() error {
	d, err := s.root.Open(partialDir)
	if err != nil {
		return err
	}
	defer d.Close()
	return syncfs(d)
}

// OpenFiles is the number of partial files open now.
func (s *BoltStore) OpenFiles() int { return s.cache.openCount() }

// WriteCatalog writes a consistent copy of the database to catalog.db
// (atomically replaced) so that `hoist ls` can read it while the server holds
// hoist.db's lock.
func (s *BoltStore) WriteCatalog() error {
	tmp := filepath.Join(s.dir, CatalogFile+".tmp")
	err := s.db.View(func(tx *bbolt.Tx) error { return tx.CopyFile(tmp, 0o600) })
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.dir, CatalogFile))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing catalog: %w", err)
	}
	return nil
}

// checkRealDir fails unless name is a directory and not a symbolic link.
func checkRealDir(root *os.Root, name string) error {
	fi, err := root.Lstat(name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s in the data directory is not a plain directory (mode %v)", name, fi.Mode())
	}
	return nil
}
