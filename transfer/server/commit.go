package server

import (
	"context"
	"sync"
	"time"

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
	// size is the chunk's length and arrived when its frame was read.
	size    int
	arrived time.Time
}

// okReply is the Ok to the chunk.
func (j *chunkJob) okReply() reply {
	return reply{id: j.id, chunk: true, file: j.file, index: j.index, chunkBytes: j.size, arrived: j.arrived}
}

// committer is the group commit: one goroutine for the whole server takes
// every queued chunk, syncs each touched part once, records all the chunks
// in one UploadStore transaction, then releases their answers.
type committer struct {
	srv   *Server
	mu    sync.Mutex
	queue []chunkJob
	wake  chan struct{}
	quit  chan struct{}

	// gatherChunks and gatherWait shape a round that follows the last
	// one at once: see gather.
	gatherChunks int
	gatherWait   time.Duration
	lastEnd      time.Time // when the last round ended (committer only)
	// streaming is whether the last round carried more than one chunk
	// of some connection: that client keeps several in flight, so more
	// are on their way (committer only).
	streaming bool
	senders   map[*session]struct{}

	// Reused between rounds.
	batch  []chunkJob
	marks  []store.Mark
	parts  []store.Part
	synced map[store.Part]error
}

// A round costs the same whatever it carries: a sync of each partial file
// it touches and a transaction with syncs of its own, each a flush of the
// disk's cache, plus the wake-ups around them. When chunks stream in faster
// than rounds end, a round that started at once would carry the few that
// came during the last one; it gathers instead, until commitGatherChunks
// are queued or commitGatherWait has passed. It does so only while some
// client keeps several chunks in flight (its chunks shared the last round):
// a chunk that comes after a pause, or from clients that wait for each
// answer before they send again, is committed at once.
const (
	commitGatherChunks = 16
	commitGatherWait   = 2 * time.Millisecond
)

func newCommitter(srv *Server) *committer {
	return &committer{srv: srv, wake: make(chan struct{}, 1), quit: make(chan struct{}), synced: make(map[store.Part]error),
		gatherChunks: commitGatherChunks, gatherWait: commitGatherWait, senders: make(map[*session]struct{})}
}

// enqueue queues a chunk for the next round. It wakes the committer only
// when it has something new to decide: the first chunk of a round (the
// committer may be idle) and a queue long enough to end a gathering. The
// chunks in between would wake a gathering committer only to count them,
// a wake-up of another thread for every chunk.
func (c *committer) enqueue(j chunkJob) {
	c.mu.Lock()
	c.queue = append(c.queue, j)
	n := len(c.queue)
	c.mu.Unlock()
	if n != 1 && n < c.gatherChunks {
		return
	}
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
			stopping := !c.gather()
			c.round()
			if stopping {
				return
			}
			c.lastEnd = time.Now()
		case <-c.quit:
			c.round()
			return
		}
	}
}

// gather waits, when the last round was streaming and ended less than
// gatherWait ago, until gatherChunks are queued or gatherWait has passed
// since the wake-up; false when the server stops meanwhile.
func (c *committer) gather() bool {
	if !c.streaming || time.Since(c.lastEnd) >= c.gatherWait {
		return true
	}
	timer := time.NewTimer(c.gatherWait)
	defer timer.Stop()
	for c.queued() < c.gatherChunks {
		select {
		case <-c.wake:
		case <-timer.C:
			return true
		case <-c.quit:
			return false
		}
	}
	return true
}

// queued is how many chunks wait for the next round.
func (c *committer) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
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
	c.streaming = c.sharesSender(batch)
	// Commits are never abandoned: a chunk written is committed or failed,
	// even while the server stops.
	ctx := context.Background()
	start := time.Now()
	clear(c.synced)
	c.parts = c.parts[:0]
	for i := range batch {
		p := store.Part{FID: batch[i].u.fid, File: batch[i].file}
		if _, dup := c.synced[p]; !dup {
			c.synced[p] = nil
			c.parts = append(c.parts, p)
		}
	}
	for i, err := range c.srv.st.Chunks.Sync(ctx, c.parts) {
		c.synced[c.parts[i]] = err
	}
	syncTime := time.Since(start)
	c.marks = c.marks[:0]
	for _, j := range batch {
		if c.synced[store.Part{FID: j.u.fid, File: j.file}] == nil {
			c.marks = append(c.marks, store.Mark{FID: j.u.fid, File: uint32(j.file), Index: j.index})
		}
	}
	var txErr error
	if len(c.marks) > 0 {
		txErr = c.srv.st.Uploads.MarkHeld(ctx, c.marks, c.srv.now())
	}
	c.srv.obs.CommitRound(syncTime, time.Since(start))
	for i := range batch {
		c.settle(&batch[i], txErr)
		batch[i] = chunkJob{} // drop references
	}
}

// sharesSender reports whether two chunks of batch came from the same
// connection.
func (c *committer) sharesSender(batch []chunkJob) bool {
	defer clear(c.senders) // holds no session past the round
	for _, j := range batch {
		if _, seen := c.senders[j.s]; seen {
			return true
		}
		c.senders[j.s] = struct{}{}
	}
	return false
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
		j.s.commitDone(j.okReply())
		return
	}
	err := c.synced[store.Part{FID: u.fid, File: j.file}]
	if err == nil {
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
	j.s.commitDone(j.okReply())
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
