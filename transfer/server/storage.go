package server

import (
	"context"
	"io"
	"reflect"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
)

// The server keeps its state behind four small role interfaces, in the
// manner of tusd's data store composer: each backend implements the roles
// it can, and Storage composes them. The embedded backend (store.BoltStore:
// files on disk, metadata in bbolt) implements all four; a deployment with
// an object store for the bytes and a database for the metadata would split
// them, UploadStore and FileRecords in the database, ChunkStore and
// FilePublisher in the object store.
//
// Every method may be called from many goroutines at once. ctx ends the
// call early where the backend can; the server passes a context that
// outlives the connection for commits, so that a chunk written is committed
// or failed, never abandoned.

// UploadStore keeps the metadata of unfinished uploads, the chunks each
// holds, and the quota reservations. Quota is checked in the same
// transaction that records the upload, so that two servers sharing one
// database cannot both admit uploads that together exceed it.
type UploadStore interface {
	// CreateUpload records u and reserves its bytes against u.Owner's
	// usage. It fails with store.ErrExists if the fid is taken, and, with
	// quota > 0, with store.ErrQuota if the owner's completed plus
	// reserved bytes plus u's would exceed quota.
	CreateUpload(ctx context.Context, u *store.Upload, quota int64) error
	// LoadUpload returns upload fid with its held chunks (Held) and its
	// completed files (Done), or store.ErrNotFound.
	LoadUpload(ctx context.Context, fid uuid.UUID) (*store.Upload, error)
	// MarkHeld records, durably and in one transaction, that the marked
	// chunks are on stable storage, and sets their uploads' touched time.
	// The server calls it only after ChunkStore.Sync succeeded for them.
	MarkHeld(ctx context.Context, marks []store.Mark, now time.Time) error
	// DeleteUpload forgets upload fid and releases the reservation of its
	// incomplete files; completed files stay recorded.
	DeleteUpload(ctx context.Context, fid uuid.UUID) error
	// Untouched lists the uploads not touched since before.
	Untouched(ctx context.Context, before time.Time) ([]uuid.UUID, error)
}

// ChunkStore keeps the bytes of unfinished uploads, one part per file of
// an upload, written chunk by chunk at their offsets in any order.
type ChunkStore interface {
	// CreatePartials prepares the parts of every incomplete file of u and
	// reserves their space where the backend can (store.ErrNoSpace when it
	// has none).
	CreatePartials(ctx context.Context, u *store.Upload) error
	// WriteChunk stores one chunk, at c.Offset of its part (an object
	// store would upload it as part c.Index+1 of the file's multipart
	// upload). The bytes need not be durable before Sync; a backend whose
	// writes are durable at once makes Sync a no-op. Chunks of one part may
	// arrive in any order, and a chunk may be written again.
	WriteChunk(ctx context.Context, c store.Chunk) error
	// Sync makes every chunk written to parts before the call durable, and
	// returns one error per part (nil where it succeeded).
	Sync(ctx context.Context, parts []store.Part) []error
	// ReadPartial reads part p's bytes from offset off to its end, to hash
	// what did not arrive in order.
	ReadPartial(ctx context.Context, p store.Part, off int64) (io.ReadCloser, error)
	// RemovePartial deletes one part once its file is recorded complete,
	// RemovePartials every part of an upload; a missing part is no error.
	RemovePartial(ctx context.Context, p store.Part) error
	RemovePartials(ctx context.Context, fid uuid.UUID) error
}

// FilePublisher turns complete parts into the user's files, under names
// that never overwrite anything.
type FilePublisher interface {
	// PrepareUserArea makes sure owner's storage area exists and is
	// usable; store.ErrUnsafeArea if it is not (a planted symbolic link).
	PrepareUserArea(ctx context.Context, owner string) error
	// Publish makes file index of upload fid one of owner's files, named
	// name or, if taken, the next free variant, and returns the name used.
	// The name is reserved atomically (a link that fails if the name
	// exists; a unique constraint in a database), never overwritten, and
	// publishing the same part again returns the name it got the first
	// time. store.ErrNoFreeName when every variant is taken.
	Publish(ctx context.Context, fid uuid.UUID, index int, owner, name string) (string, error)
	// SyncPublished makes owner's names published so far durable.
	SyncPublished(ctx context.Context, owner string) error
	// Unpublish deletes owner's file at the stored path (and what that
	// leaves empty); a file already gone is no error.
	Unpublish(ctx context.Context, owner, stored string) error
}

// FileRecords keeps the records of completed files.
type FileRecords interface {
	// CompleteFiles records files as complete in one transaction, moving
	// their bytes from reserved to completed in their owners' usage and
	// dropping their chunk records. Recording a file twice is a no-op.
	CompleteFiles(ctx context.Context, files []*store.File) error
	// Files lists the completed files q selects, oldest first.
	Files(ctx context.Context, q store.Query) ([]*store.File, error)
	// ListFiles returns one page of an owner's completed files in byte
	// order of their stored paths, reading only what the page needs.
	ListFiles(ctx context.Context, q store.ListQuery) (*store.Page, error)
	// RemoveFiles drops the records of an owner's files at the stored
	// paths and releases their bytes from the owner's usage, all or none:
	// store.ErrFileNotFound (wrapped) if one is not the owner's file.
	RemoveFiles(ctx context.Context, owner string, paths []string) ([]*store.File, error)
}

// Sweeper is implemented by a backend that can clean up after a crash;
// New calls Sweep once before serving.
type Sweeper interface {
	Sweep(ctx context.Context) error
}

// CatalogWriter is implemented by a backend that keeps a copy of its
// records for readers while the server runs (bbolt's `hoist ls` catalog);
// the server calls WriteCatalog after completions and at shutdown.
type CatalogWriter interface {
	WriteCatalog() error
}

// Storage composes the roles the server needs. Every field is required.
// The caller that opened the backends closes them, after Shutdown.
type Storage struct {
	Uploads   UploadStore
	Chunks    ChunkStore
	Publisher FilePublisher
	Records   FileRecords
}

// The embedded backend implements every role.
var (
	_ UploadStore   = (*store.BoltStore)(nil)
	_ ChunkStore    = (*store.BoltStore)(nil)
	_ FilePublisher = (*store.BoltStore)(nil)
	_ FileRecords   = (*store.BoltStore)(nil)
	_ Sweeper       = (*store.BoltStore)(nil)
	_ CatalogWriter = (*store.BoltStore)(nil)
)

// BoltStorage returns a Storage whose every role is s.
func BoltStorage(s *store.BoltStore) Storage {
	return Storage{Uploads: s, Chunks: s, Publisher: s, Records: s}
}

// empty reports whether no role is set.
func (st Storage) empty() bool {
	return st.Uploads == nil && st.Chunks == nil && st.Publisher == nil && st.Records == nil
}

// complete reports whether every role is set.
func (st Storage) complete() bool {
	return st.Uploads != nil && st.Chunks != nil && st.Publisher != nil && st.Records != nil
}

// components lists the distinct backends of st, for the optional
// interfaces.
func (st Storage) components() []any {
	var out []any
	for _, c := range []any{st.Uploads, st.Chunks, st.Publisher, st.Records} {
		if !slices.ContainsFunc(out, func(o any) bool { return sameBackend(o, c) }) {
			out = append(out, c)
		}
	}
	return out
}

// sameBackend reports whether a and b are the same value, without
// panicking on types that cannot be compared.
func sameBackend(a, b any) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}
