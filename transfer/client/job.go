package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// TreeSpec describes a job: files and directories sent with one command,
// in as many consecutive uploads (parts) as the server's files-per-upload
// limit needs.
type TreeSpec struct {
	// Paths are files and directories. A file is sent as its base name. A
	// directory is sent as its base name with everything under it below
	// it ("photos/2024/cat.png"), as scp -r and rsync do; written with a
	// trailing slash ("photos/"), only what it holds is sent
	// ("2024/cat.png"), as rsync does. Empty directories are not sent: the
	// protocol carries files (WalkProgress.EmptyDirs counts them).
	Paths []string
	Tags  []string
	// Exclude leaves paths out, matched relative to each directory (or
	// to Excludes.Within's directory).
	Exclude Excludes
	// SendAll sends every file, without asking the server first which
	// ones it already holds.
	SendAll bool
	// SkipLinkedDirs leaves symbolic links to directories out (each
	// reported by a JobSkipped event) instead of walking them as the
	// directories they lead to, under the link's name. A path given in
	// Paths is followed either way.
	SkipLinkedDirs bool
	// Strict makes the job fail, after sending everything else, when any
	// path was skipped (WalkProgress.Skipped). Otherwise skipped paths
	// are only reported.
	Strict bool
}

// JobEventKind is what happened to a job.
type JobEventKind int

// Job event kinds.
const (
	// JobWalking: the walk of the tree found more (Walk; Walk.Done on the
	// last one).
	JobWalking JobEventKind = iota
	// JobPartStarted: a part (an upload, FID) started; its own events
	// follow under that fid.
	JobPartStarted
	// JobNote: something worth telling the user (Note), e.g. that the
	// server cannot say which files it already holds.
	JobNote
	// JobDone: every part verified (Err nil), or the job failed or was
	// canceled (Err says why). The job's last event.
	JobDone
	// JobSkipped: the walk left Path out because it cannot be sent
	// (Reason: a dangling symbolic link, a file that cannot be read, ...)
	// and went on.
	JobSkipped
)

func (k JobEventKind) String() string {
	return [...]string{"walking", "part started", "note", "done", "skipped"}[k]
}

// CarriesWalk reports whether an event of kind k carries the walk's
// counters (Walk): the walk's own reports and the job's end do, the other
// kinds leave Walk zero.
func (k JobEventKind) CarriesWalk() bool { return k == JobWalking || k == JobDone }

// JobEvent reports on a job as a whole. The uploads of its parts report
// with the usual events, under their fids; JobPartStarted ties a fid to
// its job.
type JobEvent struct {
	Job  string
	At   time.Time
	Kind JobEventKind
	// FID and Part (from 1) name the part that started (JobPartStarted),
	// Files are its files and Sizes their sizes when the walk saw them.
	FID   string
	Part  int
	Files []LocalFile
	Sizes []uint64
	// Parts counts the parts started so far; with JobDone, all of them.
	Parts int
	// Walk is the walk's progress so far.
	Walk WalkProgress
	// AlreadyThere counts files skipped because the server holds them.
	AlreadyThere int
	Note         string
	// Path and Reason name a path the walk skipped, and why (JobSkipped).
	Path   string
	Reason string
	// Err is why the job failed (JobDone).
	Err error
}

// UploadFID implements Event: the part's fid, or "" for events about the
// job as a whole.
func (e *JobEvent) UploadFID() string { return e.FID }

// AlreadyThereEvent reports a file not sent because the user already has
// it on the server at the same path, with the same size and sha256.
type AlreadyThereEvent struct {
	Job string
	At  time.Time
	// Path is the local file, Name its path on the server.
	Path string
	Name string
	// Stored is where the server holds it: Name, or a numbered variant of
	// Name ("notes (2).txt") that an earlier send stored while Name held
	// other content.
	Stored string
	Size   uint64
	SHA256 string
}

// UploadFID implements Event: "" (the file belongs to no upload).
func (e *AlreadyThereEvent) UploadFID() string { return "" }

// job is one running TreeSpec.
type job struct {
	id       string
	e        *Engine
	spec     TreeSpec
	roots    []treeRoot
	cancel   context.CancelFunc
	canceled atomic.Bool
	done     chan struct{}
	err      error // read after done

	// Owned by the job's goroutine (and, for the walk's, its walker).
	parts, there int
	walked       WalkProgress
	firstBad     error             // the first file whose path cannot be sent
	badNoted     int               // notes about such files
	digests      map[string]string // local sha256 by path, for the part being checked

	// rc is the connection for LIST requests, kept between parts; nil
	// until needed, and after it failed.
	rc *remote

	current string // the running part's fid
}

// jobTable holds an engine's jobs; the zero value is ready.
type jobTable struct {
	mu   sync.Mutex
	jobs map[string]*job
}

func (t *jobTable) add(j *job) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.jobs == nil {
		t.jobs = map[string]*job{}
	}
	t.jobs[j.id] = j
}

func (t *jobTable) get(id string) (*job, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if j := t.jobs[id]; j != nil {
		return j, nil
	}
	return nil, fmt.Errorf("%w: job %s", ErrUnknownUpload, id)
}

// StartTree starts a job: it walks spec's paths (streaming: only the files
// of the part being prepared are held), asks the server which files it
// already holds (LIST by path; only files whose size matches are hashed,
// and identical ones are skipped with an AlreadyThereEvent), and sends the
// rest in consecutive uploads of at most the server's files-per-upload
// limit. It returns the job's id; events report on it (JobEvent) and on
// each part's upload.
func (e *Engine) StartTree(spec TreeSpec) (string, error) {
	if len(spec.Paths) == 0 {
		return "", errors.New("nothing to upload: no paths")
	}
	if _, err := parseServer(e.opts.Server); err != nil {
		return "", err
	}
	roots, err := resolveRoots(spec.Paths)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return "", ErrClosed
	}
	ctx, cancel := context.WithCancel(e.ctx)
	j := &job{id: uuid.NewString(), e: e, spec: spec, roots: roots, cancel: cancel, done: make(chan struct{})}
	e.jobs.add(j)
	e.wg.Go(func() {
		defer cancel()
		defer close(j.done)
		j.err = j.run(ctx)
		if j.canceled.Load() {
			// The part running when the job was canceled goes too, journal
			// entry and all (a part started just then included).
			if j.current != "" {
				if err := e.Cancel(j.current); err != nil && !errors.Is(err, ErrUnknownUpload) {
					e.log.Warn("canceling a job's part", "job", j.id, "fid", j.current, "err", err)
				}
			}
			j.err = ErrCanceled
		}
		j.event(JobEvent{Kind: JobDone, Parts: j.parts, Walk: j.walked, AlreadyThere: j.there, Err: j.err})
	})
	return j.id, nil
}

// WaitJob blocks until the job ends or ctx is done. It returns nil only
// when every file was verified or already there.
func (e *Engine) WaitJob(ctx context.Context, id string) error {
	j, err := e.jobs.get(id)
	if err != nil {
		return err
	}
	select {
	case <-j.done:
		return j.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CancelJob gives the job up: no further part starts, and the running one
// is canceled (its journal entry removed). It returns once the job
// stopped.
func (e *Engine) CancelJob(id string) error {
	j, err := e.jobs.get(id)
	if err != nil {
		return err
	}
	j.canceled.Store(true)
	j.cancel()
	<-j.done
	return nil
}

// event emits a job event; it is never dropped.
func (j *job) event(ev JobEvent) {
	ev.Job, ev.At = j.id, time.Now()
	j.e.events.push(&ev)
}

// partFiles is a batch of files for one part, with their sizes.
type partFiles struct {
	files []LocalFile
	sizes []uint64
}

// run walks, checks and sends the tree.
func (j *job) run(ctx context.Context) error {
	defer j.closeRemote()
	limits, canList := j.learnLimits(ctx)
	batch := min(limits.MaxFiles, wire.MaxListPaths)

	parts := make(chan partFiles, 1)
	walkCtx, stopWalk := context.WithCancel(ctx)
	var walkErr error
	var walker sync.WaitGroup
	walker.Go(func() {
		defer close(parts)
		var cur partFiles
		emit := func(lf LocalFile, size uint64) error {
			cur.files = append(cur.files, lf)
			cur.sizes = append(cur.sizes, size)
			if len(cur.files) < batch {
				return nil
			}
			select {
			case parts <- cur:
			case <-walkCtx.Done():
				return walkCtx.Err()
			}
			cur = partFiles{}
			return nil
		}
		j.walked, walkErr = walkRoots(walkCtx, j.roots, j.spec.Exclude, j.spec.SkipLinkedDirs, walkHooks{
			emit:       emit,
			report:     func(w WalkProgress) { j.event(JobEvent{Kind: JobWalking, Walk: w}) },
			unsendable: j.unsendable,
			skipped: func(path, reason string) {
				j.event(JobEvent{Kind: JobSkipped, Path: path, Reason: reason})
			},
		})
		if walkErr == nil && len(cur.files) > 0 {
			select {
			case parts <- cur:
			case <-walkCtx.Done():
			}
		}
	})
	defer walker.Wait()
	defer stopWalk()

	for p := range parts {
		if canList && !j.spec.SendAll {
			var skipped int
			p, skipped = j.skipExisting(ctx, p)
			j.there += skipped
		}
		if len(p.files) == 0 {
			continue
		}
		if err := j.sendSplitting(ctx, p, !canList); err != nil {
			return err
		}
	}
	walker.Wait()
	switch {
	case walkErr != nil:
		return fmt.Errorf("walking %s: %w", j.rootNames(), walkErr)
	case ctx.Err() != nil:
		return ctx.Err()
	case j.walked.Unsendable > 0:
		return fmt.Errorf("%d file(s) not sent, their paths cannot be stored on the server (rename them): %w", j.walked.Unsendable, j.firstBad)
	case j.spec.Strict && j.walked.Skipped > 0:
		return fmt.Errorf("%d path(s) skipped, and the send is strict: everything else was sent", j.walked.Skipped)
	case j.walked.Files == 0 && j.walked.Excluded > 0:
		return fmt.Errorf("no files under %s: all %d excluded", j.rootNames(), j.walked.Excluded)
	case j.walked.Files == 0:
		return fmt.Errorf("no files under %s", j.rootNames())
	}
	return nil
}

// maxUnsendableNotes bounds the notes naming files that cannot be sent.
const maxUnsendableNotes = 20

// unsendable notes a file whose path cannot be sent (on the walker's
// goroutine).
func (j *job) unsendable(path string, err error) {
	if j.firstBad == nil {
		j.firstBad = fmt.Errorf("%s: %w", path, err)
	}
	if j.badNoted < maxUnsendableNotes {
		j.badNoted++
		j.event(JobEvent{Kind: JobNote, Note: fmt.Sprintf("not sent: %s: %v", path, err)})
	}
}

// sendSplitting sends p as one part. With a server that did not state its
// limits (guessed), a part refused too-large is given up and sent again as
// two halves, as PROTOCOL.md §14 asks: the server may take fewer files
// than the default.
func (j *job) sendSplitting(ctx context.Context, p partFiles, guessed bool) error {
	j.parts++
	fid, err := j.sendPart(ctx, j.parts, j.there, p)
	if err == nil || !guessed || len(p.files) < 2 || !errors.Is(err, wire.ErrTooLarge) || ctx.Err() != nil {
		return err
	}
	j.parts--
	if cerr := j.e.Cancel(fid); cerr != nil {
		return errors.Join(err, cerr)
	}
	j.event(JobEvent{Kind: JobNote, Note: fmt.Sprintf("the server refused %d files in one upload: sending them in two", len(p.files))})
	half := len(p.files) / 2
	for _, h := range []partFiles{{p.files[:half], p.sizes[:half]}, {p.files[half:], p.sizes[half:]}} {
		if err := j.sendSplitting(ctx, h, guessed); err != nil {
			return err
		}
	}
	return nil
}

// sendPart runs one part's upload to its end. The job's LIST connection
// is closed first: over ssh:// each connection is a `hoist serve --stdio`
// process of its own, and two of them cannot hold one server's database at
// once. The next LIST dials again.
func (j *job) sendPart(ctx context.Context, n, there int, p partFiles) (string, error) {
	j.closeRemote()
	// The part is announced before its upload starts, so that whoever
	// follows the events knows the fid before the upload's own events.
	id := uuid.New()
	j.current = id.String()
	j.event(JobEvent{Kind: JobPartStarted, FID: id.String(), Part: n, Parts: n, AlreadyThere: there, Files: p.files, Sizes: p.sizes})
	fid, err := j.e.Start(Spec{FID: id, Files: p.files, Tags: j.spec.Tags})
	if err != nil {
		return "", fmt.Errorf("part %d: %w", n, err)
	}
	if err := j.e.Wait(ctx, fid); err != nil {
		if ctx.Err() != nil {
			return fid, err
		}
		return fid, fmt.Errorf("part %d (upload %s): %w", n, fid, err)
	}
	j.e.forget(fid)
	return fid, nil
}

func (j *job) rootNames() string {
	var names []string
	for _, r := range j.roots {
		names = append(names, r.path)
	}
	return strings.Join(names, ", ")
}

// list sends a LIST on the job's connection, dialing it when there is
// none. A connection that fails (the server may have closed it while a part
// was sent) is replaced once.
func (j *job) list(ctx context.Context, q wire.List) (*wire.Response, error) {
	for attempt := 0; ; attempt++ {
		if j.rc == nil {
			rc, err := j.e.dialRemote(ctx)
			if err != nil {
				return nil, err
			}
			j.rc = rc
		}
		resp, err := j.rc.list(q)
		if err == nil {
			return resp, nil
		}
		j.closeRemote()
		var we *wire.Error
		if attempt > 0 || ctx.Err() != nil || errors.Is(err, ErrServerTooOld) || errors.As(err, &we) {
			return nil, err
		}
	}
}

func (j *job) closeRemote() {
	if j.rc != nil {
		j.rc.close()
		j.rc = nil
	}
}

// learnLimits asks the server for its limits; canList is false when the
// server cannot list (then every file is sent, in parts of the default
// size).
func (j *job) learnLimits(ctx context.Context) (ServerLimits, bool) {
	resp, err := j.list(ctx, wire.List{Limit: 1})
	if err == nil {
		return serverLimits(resp.Limits), true
	}
	if errors.Is(err, ErrServerTooOld) {
		j.event(JobEvent{Kind: JobNote, Note: "the server cannot list files: every file is sent, even those it may hold already"})
	} else if ctx.Err() == nil {
		j.event(JobEvent{Kind: JobNote, Note: fmt.Sprintf("could not ask the server which files it holds (%v): every file is sent", err)})
	}
	return serverLimits(nil), false
}
