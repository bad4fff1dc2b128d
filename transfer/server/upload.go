package server

import (
	"errors"
	"hash"
	"sync"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// upload is the in-memory state of an upload that has at least one session
// attached. The server's registry (Server.uploads) holds it while sessions
// reference it; mu guards everything below it.
type upload struct {
	fid uuid.UUID
	rec *store.Upload

	// loading is closed once rec and files are ready; nil afterwards.
	// Guarded by Server.mu, as is refs.
	loading chan struct{}
	refs    int
	// idle, when set, is closed once refs drops to 0: an abort waits for
	// it, and new sessions wait for the abort. Guarded by Server.mu.
	idle chan struct{}

	mu      sync.Mutex
	session *session // the session allowed to send chunks
	files   []*fileState
	broken  error // a commit failed: the state is no longer trusted
}

// fileState tracks one file of an upload.
type fileState struct {
	size   uint64
	chunks uint64
	// held are the chunks on stable storage, pending those written and
	// waiting for a commit; both nil once the file is done.
	held, pending store.Bitset
	heldCount     uint64
	// h hashes the file's bytes in order as long as chunks arrive in
	// order; hashed is how many leading bytes it has seen. The finisher
	// reads the rest back from the store. nil until the first chunk.
	h      hash.Hash
	hashed uint64
	// finishing is set once the file's last chunk committed.
	finishing bool
	done      *store.File
}

func newUpload(rec *store.Upload) *upload {
	u := &upload{fid: rec.FID, rec: rec, files: make([]*fileState, len(rec.Files))}
	for i, fi := range rec.Files {
		fs := &fileState{size: fi.Size, chunks: wire.ChunkCount(fi.Size, rec.ChunkSize)}
		if rec.Done != nil && rec.Done[i] != nil {
			fs.done = rec.Done[i]
		} else {
			fs.held = rec.Held[i]
			if fs.held == nil {
				fs.held = store.NewBitset(fs.chunks)
			}
			fs.pending = store.NewBitset(fs.chunks)
			fs.heldCount = fs.held.Count()
		}
		u.files[i] = fs
	}
	return u
}

// markBroken records that the upload's state can no longer be trusted; its
// sessions are answered internal and must authenticate again, which reloads
// the state from the store. Call with u.mu held.
func (u *upload) markBroken(err error) {
	if u.broken == nil {
		u.broken = err
	}
}

var (
	errTakenOver        = errors.New("another connection took this upload over")
	errClaimedElsewhere = errors.New("another server took this upload over")
)
