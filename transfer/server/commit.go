package server

import (
	"errors"
	"os"
	"sync"

	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// chunkJob is a chunk written to its partial file, waiting to be durable.
type chunkJob struct {
	s     *session
	u     *upload
	file  int
	index uint64
	id    string
	f     *os.File // the partial file when the round started; nil once complete
}

// committer is the group commit: one goroutine for the whole server takes
// every queued chunk, syncs each touched file once, records all the chunks
// in one bbolt transaction, then releases their answers.
type committer struct {
	srv   *Server
	mu    sync.Mutex
	queue []chunkJob
	wake  chan struct{}
	quit  chan struct{}

	// Reused between rounds.
	batch  []chunkJob
	marks  []store.Mark
	synced map[*os.File]error
}

func newCommitter(srv *Server) *committer {
	return &committer{srv: srv, wake: make(chan struct{}, 1), quit: make(chan struct{}), synced: make(map[*os.File]error)}
}

func (c *committer) enqueue(j chunkJob) {
	c.mu.Lock()
	c.queue = append(c.queue, j)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// stop ends run once the queue is empty.
func (c *committer) stop() { close(c.quit) }

func (c *committer) run() {
	for {
		select {
		case <-c.wake:
			c.round()
		case <-c.quit:
			c.round()
			return
		}
	}
}

// round commits everything queued so far.
func (c *committer) round() {
	c.mu.Lock()
	c.batch, c.queue = c.queue, c.batch[:0]
	c.mu.Unlock()
	batch := c.batch
	if len(batch) == 0 {
		return
	}
	clear(c.synced)
	for i := range batch {
		j := &batch[i]
		j.u.mu.Lock()
		j.f = j.u.files[j.file].f
		j.u.mu.Unlock()
		if j.f != nil {
			c.synced[j.f] = nil
		}
	}
	c.syncFiles()
	c.marks = c.marks[:0]
	for _, j := range batch {
		if j.f != nil && c.synced[j.f] == nil {
			c.marks = append(c.marks, store.Mark{FID: j.u.fid, File: uint32(j.file), Index: j.index})
		}
	}
	var txErr error
	if len(c.marks) > 0 {
		txErr = c.srv.store.MarkHeld(c.marks, c.srv.now())
	}
	for i := range batch {
		c.settle(&batch[i], txErr)
		batch[i] = chunkJob{} // drop references
	}
}

// syncManyFiles is the number of files above which one round syncs the
// whole file system (syncfs) instead of each file: many small files (an
// upload of a thousand 4 KiB files) would otherwise cost a journal commit
// each.
const syncManyFiles = 16

// syncFiles makes the data of every file in c.synced durable, recording
// the outcome per file.
func (c *committer) syncFiles() {
	if len(c.synced) > syncManyFiles {
		var one *os.File
		for f := range c.synced {
			one = f
			break
		}
		if err := syncfs(one); !errors.Is(err, errors.ErrUnsupported) {
			for f := range c.synced {
				c.synced[f] = err
			}
			return
		}
	}
	for f := range c.synced {
		c.synced[f] = datasync(f)
	}
}

// settle updates the in-memory state for one committed (or failed) chunk
// and answers it, or passes it to the finisher if it completed its file.
func (c *committer) settle(j *chunkJob, txErr error) {
	u := j.u
	u.mu.Lock()
	fs := u.files[j.file]
	if fs.done != nil {
		// The file completed meanwhile (this was a resend of a chunk that
		// was waiting for its commit): every chunk of it is durable.
		u.mu.Unlock()
		j.s.commitDone(reply{id: j.id, chunk: true, file: j.file, index: j.index})
		return
	}
	err := c.synced[j.f]
	switch {
	case j.f == nil:
		err = errors.New("the partial file was closed before its commit")
	case err == nil:
		err = txErr
	}
	if err != nil {
		u.markBroken(err)
		u.mu.Unlock()
		c.srv.log.Error("committing chunk", "fid", u.fid, "file", j.file, "index", j.index, "err", err)
		c.srv.dropUpload(u)
		j.s.commitDone(reply{id: j.id, err: wire.Errorf(wire.CodeInternal, "chunk %d of file %d could not be made durable; reconnect and resend", j.index, j.file)})
		j.s.stopReading()
		return
	}
	if fs.held != nil && fs.held.Set(j.index) {
		fs.heldCount++
	}
	if fs.pending != nil {
		fs.pending.Clear(j.index)
	}
	completes := fs.done == nil && !fs.finishing && fs.heldCount == fs.chunks
	if completes {
		fs.finishing = true
	}
	u.mu.Unlock()
	if completes {
		c.srv.finish.enqueue(finishJob{u: u, file: j.file, chunk: *j})
		return
	}
	j.s.commitDone(reply{id: j.id, chunk: true, file: j.file, index: j.index})
}

// commitDone queues the answer to a chunk that went through the committer.
func (s *session) commitDone(r reply) {
	s.send(r)
	s.commits.Done()
}

// dropUpload removes a broken upload from the registry so that the next
// authentication reloads it from the store.
func (srv *Server) dropUpload(u *upload) {
	srv.mu.Lock()
	if srv.uploads[u.fid] == u {
		delete(srv.uploads, u.fid)
	}
	srv.mu.Unlock()
}
