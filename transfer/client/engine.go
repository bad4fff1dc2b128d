package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Engine runs uploads in the background and reports on them through one
// event stream. It is safe for concurrent use.
type Engine struct {
	opts    Options
	log     *slog.Logger
	journal *journal
	dialer  *dialer
	events  *emitter
	links   *linkBook
	gate    *rateGate
	jobs    jobTable

	ctx    context.Context // ends on Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // one per running upload

	mu      sync.Mutex
	uploads map[string]*upload
	closed  bool
}

// New returns an engine with opts. It creates the journal directory.
func New(opts Options) (*Engine, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	j, err := openJournal(o.JournalDir)
	if err != nil {
		return nil, err
	}
	d, err := newDialer(o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{
		opts: o, log: o.Logger, journal: j, dialer: d, events: newEmitter(), links: openLinkBook(j.dir), gate: newRateGate(o.RateLimit),
		ctx: ctx, cancel: cancel, uploads: make(map[string]*upload),
	}, nil
}

// LocalFile is one file to upload.
type LocalFile struct {
	// Path is the file on disk; a relative path is made absolute.
	Path string
	// Name is the name the server stores the file under.
	Name string
}

// Spec describes a new upload.
type Spec struct {
	// FID is the upload's identity; the zero UUID means a new random one.
	FID   uuid.UUID
	Files []LocalFile
	Tags  []string
}

// Start journals a new upload of spec's files to Options.Server and runs it
// in the background. The files' sizes and modification times are taken now:
// a file that changes later fails the upload. It returns the fid.
func (e *Engine) Start(spec Spec) (fid string, err error) {
	if len(spec.Files) == 0 {
		return "", errors.New("nothing to upload: no files")
	}
	ep, err := parseServer(e.opts.Server)
	if err != nil {
		return "", err
	}
	id := spec.FID
	if id == uuid.Nil {
		id = uuid.New()
	}
	entry := JournalEntry{
		FID: id.String(), Server: e.opts.Server, Tags: slices.Clone(spec.Tags),
		ChunkSize: limitedChunkAsk(chunkAsk(e.opts.ChunkSize, e.links.rate(e.opts.Server, time.Now())), e.gate.limit()), Created: time.Now().UTC(),
	}
	seen := make(map[string]string)
	for _, lf := range spec.Files {
		path, err := filepath.Abs(lf.Path)
		if err != nil {
			return "", err
		}
		if lf.Name == "" {
			return "", fmt.Errorf("%s: no name to store it under", path)
		}
		if other, dup := seen[lf.Name]; dup {
			return "", fmt.Errorf("%s and %s would both be stored as %q; one upload needs distinct names", other, path, lf.Name)
		}
		seen[lf.Name] = path
		size, mt, err := statLocal(path)
		if err != nil {
			return "", err
		}
		entry.Files = append(entry.Files, JournalFile{Path: path, Name: lf.Name, Size: size, ModTime: mt})
	}
	return entry.FID, e.launch(id, entry, ep, true)
}

// Unfinished lists the journaled uploads that are not verified and not
// running, in this engine or in another process, oldest first. Unreadable
// journal entries are reported in the error next to the good ones.
func (e *Engine) Unfinished() ([]JournalEntry, error) {
	entries, err := e.journal.list()
	e.mu.Lock()
	defer e.mu.Unlock()
	out := entries[:0]
	for _, en := range entries {
		if _, running := e.uploads[en.FID]; running && !e.uploads[en.FID].finished() {
			continue
		}
		if e.journal.locked(en.FID) {
			continue
		}
		out = append(out, en)
	}
	return out, err
}

// ResumeJournal continues an unfinished upload from its journal entry, with
// the server it was started against. Its files must be unchanged.
func (e *Engine) ResumeJournal(entry JournalEntry) error {
	if err := entry.validate(); err != nil {
		return err
	}
	id, _ := uuid.Parse(entry.FID)
	ep, err := parseServer(entry.Server)
	if err != nil {
		return err
	}
	for i := range entry.Files {
		if err := newUpFile(i, entry.Files[i]).checkUnchanged(); err != nil {
			return fmt.Errorf("cannot resume upload %s: %w", entry.FID, err)
		}
	}
	return e.launch(id, entry, ep, false)
}

// launch locks and starts an upload. A fresh upload is journaled once the
// server has accepted it (its first Ok to AUTHENTICATION); a resumed one
// must still be in the journal.
func (e *Engine) launch(id uuid.UUID, entry JournalEntry, ep endpoint, fresh bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if u := e.uploads[entry.FID]; u != nil && !u.finished() {
		return fmt.Errorf("upload %s is already running", entry.FID)
	}
	release, err := e.journal.lock(entry.FID)
	if err != nil {
		return err
	}
	if !fresh {
		if _, gerr := e.journal.get(entry.FID); gerr != nil {
			err = fmt.Errorf("upload %s is no longer in the journal (finished or discarded elsewhere): %w", entry.FID, gerr)
		}
	}
	if err != nil {
		release()
		return err
	}
	u := newUpload(e, id, entry, ep)
	u.journaled = !fresh
	u.unlock = release
	ctx, cancel := context.WithCancel(e.ctx)
	u.cancel = cancel
	e.uploads[entry.FID] = u
	u.setState(StateQueued, 0, time.Time{}, nil)
	e.wg.Go(func() {
		defer cancel()
		u.run(ctx)
	})
	return nil
}

// Events returns the stream of events for every upload. See the package
// documentation for the delivery guarantees. The channel is closed by Close.
func (e *Engine) Events() <-chan Event { return e.events.out }

func (e *Engine) lookup(fid string) (*upload, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u := e.uploads[fid]
	if u == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownUpload, fid)
	}
	return u, nil
}

// Pause stops sending new chunks of fid, lets the ones in flight be
// answered, and disconnects. A finished upload is left alone.
func (e *Engine) Pause(fid string) error {
	u, err := e.lookup(fid)
	if err != nil {
		return err
	}
	u.paused.Store(true)
	u.nudge()
	return nil
}

// Resume continues a paused upload at once.
func (e *Engine) Resume(fid string) error {
	u, err := e.lookup(fid)
	if err != nil {
		return err
	}
	u.paused.Store(false)
	u.nudge()
	return nil
}

// RetryNow ends the backoff wait of upload fid, if it is waiting, so that
// it reconnects at once (a UI's "retry now"). An upload that is not backing
// off is left alone.
func (e *Engine) RetryNow(fid string) error {
	u, err := e.lookup(fid)
	if err != nil {
		return err
	}
	u.retryNow.Store(true)
	u.nudge()
	return nil
}

// Cancel gives up the upload fid (or a unique prefix of it, see ResolveFID)
// for good, running or only journaled: it stops, its journal entry is
// removed, and the server is asked to drop its partial data and release
// its quota at once. It returns when all that is done (the server gets
// about ten seconds to answer). An error wrapping ErrPartialKept means the
// upload is given up here but the server keeps its partial data until its
// partial expiry (an older server, or one that cannot be reached).
func (e *Engine) Cancel(fid string) error {
	fid, err := e.ResolveFID(fid)
	if err != nil {
		return err
	}
	u, err := e.lookup(fid)
	if errors.Is(err, ErrUnknownUpload) {
		entry, jerr := e.journal.get(fid)
		if jerr != nil {
			return err
		}
		release, lerr := e.journal.lock(fid)
		if lerr != nil {
			return lerr
		}
		defer release()
		if err := e.journal.remove(fid); err != nil {
			return err
		}
		return e.sendAbort(context.Background(), entry.Server, fid)
	}
	if err != nil {
		return err
	}
	u.canceled.Store(true)
	u.cancel()
	<-u.done
	// An upload that had already failed keeps its journal entry until the
	// user gives it up, which is now.
	if err := e.journal.remove(fid); err != nil {
		return err
	}
	if u.err != nil && !errors.Is(u.err, ErrCanceled) && u.journaled {
		// It had ended before the cancel: the server was not told yet.
		return e.sendAbort(context.Background(), u.entry.Server, fid)
	}
	return u.abortErr
}

// forget drops the finished upload fid from the engine's table, with all
// it held of its files. A job forgets each part once it verified, so that
// a tree of any size costs the memory of one part, not of all of them.
func (e *Engine) forget(fid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if u := e.uploads[fid]; u != nil && u.finished() {
		delete(e.uploads, fid)
	}
}

// Wait blocks until the upload fid ends or ctx is done. It returns nil only
// when every file of the upload was verified against the server's sha256.
// The upload's final SessionEvent is queued before Wait returns.
func (e *Engine) Wait(ctx context.Context, fid string) error {
	u, err := e.lookup(fid)
	if err != nil {
		return err
	}
	select {
	case <-u.done:
		return u.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close cancels every running upload and waits for all of them; their
// journal entries stay, so they can be resumed later. Events not yet
// received are discarded and the Events channel is closed.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.events.close()
	return nil
}

func (u *upload) finished() bool {
	select {
	case <-u.done:
		return true
	default:
		return false
	}
}
