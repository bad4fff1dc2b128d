package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// upload is one upload's lifecycle: sessions with the server, backoff
// between them, verification, journal. Everything but the control flags is
// owned by its goroutine (run), which also builds the progress snapshots, so
// the hot path takes no locks.
type upload struct {
	e      *Engine
	fid    uuid.UUID
	entry  JournalEntry
	ep     endpoint
	files  []*upFile
	unlock func() // releases the journal lock
	// journaled: the journal holds the entry (written once the server
	// accepted the upload, so that it never lists uploads that never began).
	journaled bool

	chunkSize   int // fixed by the server; 0 until the first authentication
	state       State
	wireBytes   uint64
	dirty       bool // progress changed since the last snapshot
	lastReport  time.Time
	rate        RateMeter
	windowBytes int64
	retryReason map[chunkRef]string
	hashes      chan hashResult
	hasher      *chunkHasher // while drive runs
	frame       []byte       // frame buffer, reused across sessions

	// Control, set by other goroutines.
	paused   atomic.Bool
	canceled atomic.Bool
	retryNow atomic.Bool   // end the current backoff wait
	ctl      chan struct{} // nudges run to look at paused and retryNow
	cancel   context.CancelFunc

	done     chan struct{} // closed when run returns
	err      error         // why it ended; read after done
	abortErr error         // canceled: why the server kept the partial upload; read after done
}

// chunkRef names one chunk of an upload.
type chunkRef struct {
	file  int
	index uint64
}

// reportEvery is the most often progress snapshots are emitted while
// nothing but counters changes.
const reportEvery = 100 * time.Millisecond

func newUpload(e *Engine, fid uuid.UUID, entry JournalEntry, ep endpoint) *upload {
	u := &upload{
		e: e, fid: fid, entry: entry, ep: ep,
		retryReason: make(map[chunkRef]string),
		hashes:      make(chan hashResult, len(entry.Files)),
		ctl:         make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
	for i, jf := range entry.Files {
		u.files = append(u.files, newUpFile(i, jf))
	}
	return u
}

func (u *upload) id() string { return u.entry.FID }

func (u *upload) nudge() {
	select {
	case u.ctl <- struct{}{}:
	default:
	}
}

// run drives the upload to its end and records the outcome.
func (u *upload) run(ctx context.Context) {
	defer close(u.done)
	defer u.unlock()
	err := u.drive(ctx)
	switch {
	case err == nil:
		u.setState(StateDone, 0, time.Time{}, nil)
		u.forget()
	case u.canceled.Load():
		err = ErrCanceled
		u.forget()
		var reported error = ErrCanceled
		if u.journaled {
			// The server accepted the upload: ask it to drop the partial
			// data now rather than keep it (and the quota) until it expires.
			if u.abortErr = u.e.sendAbort(context.Background(), u.entry.Server, u.id()); u.abortErr != nil {
				reported = fmt.Errorf("%w; %w", ErrCanceled, u.abortErr)
			}
		}
		u.setState(StateCanceled, 0, time.Time{}, reported)
	case ctx.Err() != nil:
		err = ErrClosed // the engine is closing; the journal keeps the upload
	default:
		u.setState(StateFailed, 0, time.Time{}, err)
		if u.settled() {
			// Every file verified or failed for good (changed on disk,
			// digest mismatch): resuming cannot change the outcome.
			u.forget()
		}
	}
	u.err = err
}

// forget removes the journal entry.
func (u *upload) forget() {
	if err := u.e.journal.remove(u.id()); err != nil {
		u.e.log.Warn("journal", "fid", u.id(), "err", err)
	}
}

// drive opens the files, then runs sessions until every file is verified or
// failed, or the upload must stop. nil means every file verified.
func (u *upload) drive(ctx context.Context) error {
	defer u.closeFiles()
	for _, f := range u.files {
		if err := f.open(); err != nil {
			f.fail(err)
		}
	}
	if err := u.outcome(); err != nil {
		return err
	}
	hctx, stopHashing := context.WithCancel(ctx)
	u.hasher = newChunkHasher(hctx, len(u.files), u.hashes)
	var hashing sync.WaitGroup
	hashing.Go(u.hasher.run)
	defer hashing.Wait()
	defer stopHashing()

	policy := u.e.opts.Retry
	bo := newBackoff(policy)
	lastProgress := time.Now() // the retry budget counts from here
	tokenReread := false
	askedAgain := false // a session ended with files still lacking the server's digest
	for {
		if err := u.waitWhilePaused(ctx); err != nil {
			return err
		}
		progressed, err := u.session(ctx, bo.attempt+1)
		if progressed {
			bo.reset()
			lastProgress = time.Now()
			tokenReread = false
			askedAgain = false
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			// Nothing left to send: wait for the local digests, then see.
			if err := u.awaitVerification(ctx); err != nil {
				return err
			}
			if u.settled() {
				return u.outcome()
			}
			if askedAgain {
				u.failUndigested()
				return u.outcome()
			}
			askedAgain = true // a completion answer was lost: authenticate again
			continue
		case errors.Is(err, errPaused):
			continue
		}
		u.e.log.Info("session ended", "fid", u.id(), "err", err)
		switch classify(err) {
		case kindStop:
			return err
		case kindReauth:
			if tokenReread {
				return fmt.Errorf("the server refused the token again after it was re-read: %w", err)
			}
			tokenReread = true
			continue
		}
		delay, ok := bo.next()
		if !ok {
			return fmt.Errorf("giving up after %d attempts: %w", bo.attempt, err)
		}
		if stalled := time.Since(lastProgress); policy.Budget > 0 && stalled+delay > policy.Budget {
			return fmt.Errorf("giving up after %v without progress (%d attempts, retry budget %v): %w",
				stalled.Round(time.Millisecond), bo.attempt, policy.Budget, err)
		}
		u.retryNow.Store(false) // a request made before this wait is spent
		if err := u.backOff(ctx, bo.attempt+1, delay, err); err != nil {
			return err
		}
	}
}

// waitWhilePaused blocks while the upload is paused.
func (u *upload) waitWhilePaused(ctx context.Context) error {
	if !u.paused.Load() {
		return nil
	}
	u.setState(StatePaused, 0, time.Time{}, nil)
	for u.paused.Load() {
		select {
		case <-u.ctl:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// backOff waits delay before attempt, unless paused or stopped first.
func (u *upload) backOff(ctx context.Context, attempt int, delay time.Duration, cause error) error {
	until := time.Now().Add(delay)
	u.setState(StateBackingOff, attempt, until, cause)
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return nil
		case <-u.ctl:
			if u.paused.Load() {
				return nil // the loop pauses, and reconnects at once on Resume
			}
			if u.retryNow.Swap(false) {
				return nil
			}
		case h := <-u.hashes:
			u.hashed(h)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// awaitVerification waits until every file that the server holds entirely
// has its local digest, and compares the digests.
func (u *upload) awaitVerification(ctx context.Context) error {
	tick := time.NewTicker(reportEvery)
	defer tick.Stop()
	for {
		pending := false
		for _, f := range u.files {
			if !f.terminal() && f.allHeld() && f.localSHA == "" {
				pending = true
			}
		}
		if !pending {
			return nil
		}
		select {
		case h := <-u.hashes:
			u.hashed(h)
		case <-tick.C:
			u.report(false)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// settled reports whether every file is verified or failed.
func (u *upload) settled() bool {
	for _, f := range u.files {
		if !f.terminal() {
			return false
		}
	}
	return true
}

// outcome is nil when every file verified, else the failed files' errors.
// Before every file settled it is nil unless all remaining files failed.
func (u *upload) outcome() error {
	var errs []error
	for _, f := range u.files {
		switch {
		case f.state == FileFailed:
			errs = append(errs, f.err) // names the file
		case f.state != FileVerified:
			return nil
		}
	}
	return errors.Join(errs...)
}

func (u *upload) closeFiles() {
	for _, f := range u.files {
		f.close()
	}
}

// hashed records a local digest and verifies the file if it can.
func (u *upload) hashed(h hashResult) {
	f := u.files[h.file]
	if h.err != nil {
		f.fail(h.err)
	} else {
		f.localSHA = h.sha
	}
	u.verify(f)
	u.dirty = true
}

// verify settles f once the server holds every chunk and both digests are
// known: equal digests verify it, different ones fail it.
func (u *upload) verify(f *upFile) {
	if f.terminal() || !f.allHeld() {
		return
	}
	if f.localSHA == "" {
		u.hashRest(f)
	}
	if f.serverSHA == "" || f.localSHA == "" {
		f.state = FileVerifying
		return
	}
	if f.serverSHA != f.localSHA {
		f.fail(fmt.Errorf("%s: %w: the server stored %s, the local file is %s", f.path, ErrChecksumMismatch, f.serverSHA, f.localSHA))
		return
	}
	// The digests describe the file as it was when the upload started; a
	// file that changed since then is not what the user has now.
	if err := f.checkUnchanged(); err != nil {
		f.fail(err)
		return
	}
	f.state = FileVerified
}

// failFile fails one file for good, e.g. because it changed on disk.
func (u *upload) failFile(f *upFile, err error) {
	f.fail(err)
	for i := range f.cells {
		if ChunkState(f.cells[i]&chunkStateMask) != ChunkHeld {
			f.setChunkState(uint64(i), ChunkMissing)
		}
	}
	u.dirty = true
}

// failUndigested fails the files the server holds but never gave a digest
// for, even when asked again.
func (u *upload) failUndigested() {
	for _, f := range u.files {
		switch {
		case f.terminal():
		case f.allHeld():
			u.failFile(f, fmt.Errorf("%s: %w: the server holds every chunk but reports no sha256", f.path, ErrProtocol))
		default:
			u.failFile(f, fmt.Errorf("%s: %d of %d chunks neither held by the server nor sent (a bug in hoist)", f.path, f.chunks-f.ackedChunks, f.chunks))
		}
	}
}

// checkFiles fails every unfinished file that changed on disk.
func (u *upload) checkFiles() {
	for _, f := range u.files {
		if f.terminal() {
			continue
		}
		if err := f.checkUnchanged(); err != nil {
			u.failFile(f, err)
		}
	}
}

// setState records a state change and emits it, after a fresh progress
// snapshot so that a consumer sees the numbers the state refers to.
func (u *upload) setState(s State, attempt int, retryAt time.Time, err error) {
	u.state = s
	u.report(true)
	u.e.events.session(&SessionEvent{FID: u.id(), At: time.Now(), State: s, Attempt: attempt, RetryAt: retryAt, Err: err})
}

// report emits a progress snapshot if anything changed and the last one is
// older than reportEvery, or unconditionally when force is set.
func (u *upload) report(force bool) {
	now := time.Now()
	if !force && (!u.dirty || now.Sub(u.lastReport) < reportEvery) {
		return
	}
	u.dirty = false
	u.lastReport = now
	var acked uint64
	files := make([]FileProgress, len(u.files))
	for i, f := range u.files {
		files[i] = f.progress(u.chunkSize)
		acked += f.ackedBytes
	}
	u.rate.Add(now, acked)
	u.e.events.progress(&ProgressEvent{
		FID: u.id(), At: now, State: u.state, Files: files, WireBytes: u.wireBytes,
		Rate: u.rate.PerSecond(now), WindowBytes: u.windowBytes,
	})
}

// chunkEvent emits one chunk event.
func (u *upload) chunkEvent(ref chunkRef, n int, a ChunkAction, reason string) {
	u.e.events.chunk(&ChunkEvent{FID: u.id(), At: time.Now(), File: ref.file, Index: ref.index, Size: n, Action: a, Reason: reason})
}

// applyAuth takes the server's view after an authentication: the chunk size
// it fixed, which chunks it misses (the truth about what to send), and the
// digests of files already complete.
func (u *upload) applyAuth(r *wire.Response) error {
	first := u.chunkSize == 0
	switch {
	case r.ChunkSize <= 0 || r.ChunkSize > MaxGrantedChunkSize:
		return protocolErrorf("chunk size %d out of range 1..%d", r.ChunkSize, MaxGrantedChunkSize)
	case first:
		u.chunkSize = r.ChunkSize
		for _, f := range u.files {
			f.setChunkSize(r.ChunkSize)
		}
		if !u.journaled || u.entry.ChunkSize != r.ChunkSize {
			u.entry.ChunkSize = r.ChunkSize
			if err := u.e.journal.put(&u.entry); err != nil {
				return permanent(err)
			}
			u.journaled = true
		}
	case r.ChunkSize != u.chunkSize:
		return protocolErrorf("chunk size changed from %d to %d", u.chunkSize, r.ChunkSize)
	}
	if len(r.Missing) != len(u.files) {
		return protocolErrorf("missing map has %d files, the upload has %d", len(r.Missing), len(u.files))
	}
	for i, f := range u.files {
		if err := u.applyMissing(f, r.Missing[i], first); err != nil {
			return err
		}
	}
	for _, d := range r.Complete {
		if d.File < 0 || d.File >= len(u.files) || len(d.SHA256) != 64 {
			return protocolErrorf("bad complete-file entry %+v", d)
		}
		u.files[d.File].serverSHA = d.SHA256
		u.files[d.File].stored = d.Stored
	}
	for _, f := range u.files {
		u.verify(f)
	}
	u.dirty = true
	return nil
}

// applyMissing marks every chunk of f that the server holds. A chunk the
// server acknowledged earlier but now reports missing would mean it lost
// acknowledged data: the upload stops rather than hide that.
func (u *upload) applyMissing(f *upFile, missing []wire.Range, first bool) error {
	var next uint64 // first chunk not yet accounted for
	mark := func(lo, hi uint64) {
		for i := lo; i < hi; i++ {
			u.held(f, i, !first)
		}
	}
	for _, r := range missing {
		if r[0] < next || r[0] >= r[1] || r[1] > f.chunks {
			return protocolErrorf("file %d: bad missing range [%d,%d) for %d chunks", f.index, r[0], r[1], f.chunks)
		}
		mark(next, r[0])
		if f.state != FileFailed {
			for i := r[0]; i < r[1]; i++ {
				if f.chunkState(i) == ChunkHeld {
					return permanent(fmt.Errorf("%w: the server reports chunk %d of %s missing after acknowledging it", ErrProtocol, i, f.name))
				}
			}
		}
		next = r[1]
	}
	mark(next, f.chunks)
	return nil
}

// held records that the server holds chunk i of f. Chunks this engine never
// saw acknowledged emit an acknowledgement when announce is set (a resumed
// session learning that an answer it lost did arrive).
func (u *upload) held(f *upFile, i uint64, announce bool) bool {
	if f.chunkState(i) == ChunkHeld {
		return false
	}
	if f.chunkState(i) == ChunkInFlight {
		f.inFlight--
	}
	f.setChunkState(i, ChunkHeld)
	ref := chunkRef{f.index, i}
	delete(u.retryReason, ref)
	_, n := wire.ChunkBounds(f.size, u.chunkSize, i)
	f.ackedChunks++
	f.ackedBytes += uint64(n)
	if f.state == FileWaiting {
		f.state = FileSending
	}
	if announce {
		u.chunkEvent(ref, n, ChunkAcked, "")
	}
	u.dirty = true
	return true
}
