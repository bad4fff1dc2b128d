package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// finishJob is a file whose chunks are all durable. Either chunk is the
// job of the chunk that completed it (answered with the sha256), or done
// receives the outcome (completion at authentication).
type finishJob struct {
	u     *upload
	file  int
	chunk chunkJob
	done  chan<- error
}

// finisher completes files in batches: for each it finishes the sha256,
// publishes the part under a free name, and then records all of the
// batch's files in one FileRecords transaction.
type finisher struct {
	srv   *Server
	mu    sync.Mutex
	queue []finishJob
	wake  chan struct{}
	quit  chan struct{}
	buf   []byte
}

func newFinisher(srv *Server) *finisher {
	return &finisher{srv: srv, wake: make(chan struct{}, 1), quit: make(chan struct{})}
}

func (f *finisher) enqueue(j finishJob) {
	f.mu.Lock()
	f.queue = append(f.queue, j)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *finisher) stop() { close(f.quit) }

func (f *finisher) run() {
	for {
		select {
		case <-f.wake:
			f.round()
		case <-f.quit:
			f.round()
			return
		}
	}
}

func (f *finisher) round() {
	f.mu.Lock()
	batch := f.queue
	f.queue = nil
	f.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	// Completions are never abandoned halfway, even while the server stops.
	ctx := context.Background()
	recs := make([]*store.File, len(batch))
	errs := make([]error, len(batch))
	for i, j := range batch {
		recs[i], errs[i] = f.prepare(ctx, j)
	}
	// One directory sync per user makes the batch's new names durable.
	synced := map[string]error{}
	for i, rec := range recs {
		if errs[i] != nil {
			continue
		}
		err, done := synced[rec.Owner]
		if !done {
			err = f.srv.st.Publisher.SyncPublished(ctx, rec.Owner)
			synced[rec.Owner] = err
		}
		errs[i] = err
	}
	var ok []*store.File
	for i, rec := range recs {
		if errs[i] == nil {
			ok = append(ok, rec)
		}
	}
	if len(ok) > 0 {
		if err := f.srv.st.Records.CompleteFiles(ctx, ok); err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	for i, j := range batch {
		f.settle(ctx, j, recs[i], errs[i])
	}
	f.srv.catalogChanged()
}

// prepare hashes and publishes one file.
func (f *finisher) prepare(ctx context.Context, j finishJob) (*store.File, error) {
	u := j.u
	u.mu.Lock()
	fs := u.files[j.file]
	if fs.h == nil {
		fs.h, fs.hashed = sha256.New(), 0
	}
	h, hashed, size := fs.h, fs.hashed, fs.size
	u.mu.Unlock()
	if hashed < size {
		if f.buf == nil {
			f.buf = make([]byte, 1<<20)
		}
		if err := f.hashRest(ctx, h, store.Part{FID: u.fid, File: j.file}, hashed, size); err != nil {
			return nil, err
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	info := u.rec.Files[j.file]
	stored, err := f.srv.st.Publisher.Publish(ctx, u.fid, j.file, u.rec.Owner, info.Name)
	if err != nil {
		return nil, err
	}
	return &store.File{
		Owner: u.rec.Owner, Name: info.Name, Stored: stored, Size: info.Size, SHA256: sum,
		Tags: u.rec.Tags, FID: u.fid, Index: j.file, Completed: f.srv.now(),
	}, nil
}

// hashRest feeds h the bytes of part from offset hashed to size, read
// back from the store.
func (f *finisher) hashRest(ctx context.Context, h hash.Hash, part store.Part, hashed, size uint64) error {
	r, err := f.srv.st.Chunks.ReadPartial(ctx, part, int64(hashed))
	if err != nil {
		return fmt.Errorf("reading the stored file back: %w", err)
	}
	defer r.Close()
	n, err := io.CopyBuffer(h, io.LimitReader(r, int64(size-hashed)), f.buf)
	if err == nil && uint64(n) != size-hashed {
		err = fmt.Errorf("%d bytes, want %d", n, size-hashed)
	}
	if err != nil {
		return fmt.Errorf("reading the stored file back: %w", err)
	}
	return nil
}

// settle records the outcome in memory and answers.
func (f *finisher) settle(ctx context.Context, j finishJob, rec *store.File, err error) {
	u := j.u
	srv := f.srv
	noName := errors.Is(err, store.ErrNoFreeName)
	u.mu.Lock()
	fs := u.files[j.file]
	if err != nil {
		fs.finishing = false
		// Start the hash over next time: its state is unknown now.
		fs.h, fs.hashed = nil, 0
		if !noName {
			u.markBroken(err)
		}
	} else {
		fs.done = rec
		fs.held, fs.pending, fs.h = nil, nil, nil
	}
	u.mu.Unlock()
	if noName {
		// The upload's state is sound, and will stay so: retrying cannot
		// help until the user frees a name, so the answer is final.
		name := u.rec.Files[j.file].Name
		srv.log.Warn("no free name for a complete file", "user", u.rec.Owner, "name", name, "fid", u.fid, "file", j.file)
		we := wire.Errorf(wire.CodeNoFreeName, "file %d (%s) cannot be stored: that name and every numbered variant of it are taken in your storage area; rename the file or have names freed", j.file, name)
		if j.done != nil {
			j.done <- we
			return
		}
		j.chunk.s.commitDone(reply{id: j.chunk.id, err: we})
		return
	}
	if err != nil {
		srv.log.Error("completing file", "fid", u.fid, "file", j.file, "err", err)
		srv.dropUpload(u)
		we := wire.Errorf(wire.CodeInternal, "file %d could not be completed; reconnect to retry", j.file)
		if j.done != nil {
			j.done <- we
			return
		}
		j.chunk.s.commitDone(reply{id: j.chunk.id, err: we})
		j.chunk.s.stopReading()
		return
	}
	if rerr := srv.st.Chunks.RemovePartial(ctx, store.Part{FID: u.fid, File: j.file}); rerr != nil {
		srv.log.Warn("removing partial file", "fid", u.fid, "file", j.file, "err", rerr)
	}
	srv.log.Info("file complete", "user", rec.Owner, "name", rec.Name, "stored", rec.Stored,
		"size", rec.Size, "sha256", rec.SHA256, "fid", u.fid.String(), "file", j.file, "tags", rec.Tags)
	if j.done != nil {
		j.done <- nil
		return
	}
	c := j.chunk
	c.s.commitDone(reply{id: c.id, chunk: true, file: c.file, index: c.index, completed: true, sha256: rec.SHA256, stored: rec.Stored})
}
