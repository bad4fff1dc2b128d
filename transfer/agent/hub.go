package agent

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hoist-dev/hoist/transfer/client"
)

// recentEvents bounds the events kept per upload for replay: the session
// changes and resends, which make the event log.
const recentEvents = 200

// keptFinished and keptFinishedJobs bound the finished uploads and jobs
// the agent remembers for status, wait and the replay: beyond them the
// oldest are forgotten, so that an agent that runs for weeks stays small.
const (
	keptFinished     = 1000
	keptFinishedJobs = 100
)

// subscriberBuffer bounds what waits for a slow subscriber; beyond it the
// subscriber is dropped (it reconnects and is replayed).
const subscriberBuffer = 8192

// record is what the agent keeps of one upload.
type record struct {
	info     UploadInfo
	engine   *client.Engine
	session  *client.SessionEvent
	progress *client.ProgressEvent
	recent   []client.Event
	done     chan struct{}
	err      error
	// part: the upload is a job's part, which ends with its last session
	// event (the job runs it; no one else waits for it).
	part bool
}

// jobRecord is what the agent keeps of one job (OpStartTree): its parts
// are uploads of their own, recorded as they start.
type jobRecord struct {
	id     string
	engine *client.Engine
	done   chan struct{}
	err    error
	// info describes the job, its events folded in (the hub's lock
	// guards it); its PartFID is the latest part's fid.
	info JobInfo
}

// jobSnapshot describes job j now: with what the parts before the latest
// verified, and, once WaitJob returned, how it ended. The hub's lock is
// held.
func (h *hub) jobSnapshot(j *jobRecord) JobInfo {
	inf := j.info
	for _, r := range h.uploads {
		if r.info.Job != j.id || r.info.FID == inf.PartFID || r.progress == nil {
			continue
		}
		for _, f := range r.progress.Files {
			inf.DoneBytes += f.AckedBytes
			if f.State == client.FileVerified {
				inf.DoneFiles++
			}
		}
	}
	if j.finished() {
		inf.Final = true
		inf.State, inf.Error = JobEnd(j.err)
	}
	return inf
}

// noteJob folds a job's event into its record. The hub is locked.
func (h *hub) noteJob(ev client.Event) {
	j := h.jobs[JobOf(ev)]
	if j == nil {
		return
	}
	j.info.Apply(ev)
	j.info.keepInLog(ev)
	if je, ok := ev.(*client.JobEvent); ok && je.Kind == client.JobPartStarted {
		h.partStarted(j, je)
	}
}

func (j *jobRecord) finished() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// subscriber is a connection that receives every upload and event.
type subscriber struct {
	out     chan Message
	dropped chan struct{}
	once    sync.Once
}

func (s *subscriber) send(m Message) {
	select {
	case s.out <- m:
	default:
		s.once.Do(func() { close(s.dropped) })
	}
}

// hub keeps the uploads' state and fans events out to subscribers.
type hub struct {
	mu      sync.Mutex
	order   []string
	uploads map[string]*record
	jobs    map[string]*jobRecord
	jobIDs  []string // the jobs, oldest first
	// keep and keepJobs are keptFinished and keptFinishedJobs (tests
	// lower them).
	keep, keepJobs int
	subs           map[*subscriber]struct{}
	// changed is signalled when the number of running uploads may have
	// changed.
	changed func()
}

func newHub(changed func()) *hub {
	return &hub{uploads: map[string]*record{}, jobs: map[string]*jobRecord{}, subs: map[*subscriber]struct{}{}, changed: changed,
		keep: keptFinished, keepJobs: keptFinishedJobs}
}

// forget drops the oldest finished uploads and jobs beyond what the hub
// keeps; the parts of a running job stay. The hub is locked.
func (h *hub) forget() {
	h.order = dropOldest(h.order, h.keep, func(fid string) bool {
		r := h.uploads[fid]
		j := h.jobs[r.info.Job]
		return r.finished() && (j == nil || j.finished())
	}, func(fid string) { delete(h.uploads, fid) })
	h.jobIDs = dropOldest(h.jobIDs, h.keepJobs, func(id string) bool { return h.jobs[id].finished() },
		func(id string) { delete(h.jobs, id) })
}

// dropOldest removes from ids (oldest first) the oldest of those that are
// over, all but keep of them, calling drop for each.
func dropOldest(ids []string, keep int, over func(string) bool, drop func(string)) []string {
	n := 0
	for _, id := range ids {
		if over(id) {
			n++
		}
	}
	extra := n - keep
	if extra <= 0 {
		return ids
	}
	return slices.DeleteFunc(ids, func(id string) bool {
		if extra > 0 && over(id) {
			drop(id)
			extra--
			return true
		}
		return false
	})
}

// add records a started upload and announces it.
func (h *hub) add(info UploadInfo, e *client.Engine) *record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addLocked(info, e)
}

func (h *hub) addLocked(info UploadInfo, e *client.Engine) *record {
	if old := h.uploads[info.FID]; old == nil {
		h.order = append(h.order, info.FID)
	}
	r := &record{info: info, engine: e, done: make(chan struct{})}
	r.info.State = client.StateQueued.String()
	h.uploads[info.FID] = r
	inf := r.snapshot()
	for s := range h.subs {
		s.send(Message{Upload: &inf})
	}
	return r
}

// finish records how an upload ended.
func (h *hub) finish(r *record, err error) {
	h.mu.Lock()
	r.err = err
	close(r.done)
	h.forget()
	h.mu.Unlock()
	h.changed()
}

// startJob records the job that start starts on e. start runs with the
// hub locked, so the job is known before the hub records its first event.
func (h *hub) startJob(e *client.Engine, server string, paths, tags []string, start func() (string, error)) (*jobRecord, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, err := start()
	if err != nil {
		return nil, err
	}
	j := &jobRecord{id: id, engine: e, done: make(chan struct{}), info: JobInfo{ID: id, Server: server, Paths: paths, Tags: tags,
		Started: time.Now().UTC(), State: JobStateWalking}}
	h.jobs[id] = j
	h.jobIDs = append(h.jobIDs, id)
	inf := h.jobSnapshot(j)
	for s := range h.subs {
		s.send(Message{JobStarted: &inf})
	}
	return j, nil
}

// finishJob records how a job ended.
func (h *hub) finishJob(j *jobRecord, err error) {
	h.mu.Lock()
	j.err = err
	close(j.done)
	// A part whose last event has not come yet (the engine's events are
	// delivered apart from the job's end), or never started, ends with its
	// job: verified if the job verified every part.
	for _, r := range h.uploads {
		if r.info.Job == j.id && !r.finished() {
			r.err = err
			close(r.done)
		}
	}
	h.forget()
	h.mu.Unlock()
	h.changed()
}

// lookupJob returns the job id or the one job whose id starts with it.
func (h *hub) lookupJob(id string) (*jobRecord, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if j := h.jobs[id]; j != nil {
		return j, nil
	}
	var found *jobRecord
	for jid, j := range h.jobs {
		if len(id) > 0 && strings.HasPrefix(jid, id) {
			if found != nil {
				return nil, client.ErrAmbiguousFID
			}
			found = j
		}
	}
	if found == nil {
		return nil, errUnknown(id)
	}
	return found, nil
}

// partStarted records the upload a job's part runs as, and announces it.
// The hub is locked.
func (h *hub) partStarted(j *jobRecord, ev *client.JobEvent) {
	if ev.FID == "" {
		return
	}
	info := UploadInfo{FID: ev.FID, Server: j.info.Server, Tags: j.info.Tags, Started: ev.At.UTC(), Job: j.id, Part: ev.Part,
		Files: partFiles(ev)}
	h.addLocked(info, j.engine).part = true
}

// lookup returns the upload fid or the one upload whose fid starts with it.
func (h *hub) lookup(fid string) (*record, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.uploads[fid]; r != nil {
		return r, nil
	}
	var found *record
	for id, r := range h.uploads {
		if len(fid) > 0 && len(id) >= len(fid) && id[:len(fid)] == fid {
			if found != nil {
				return nil, client.ErrAmbiguousFID
			}
			found = r
		}
	}
	if found == nil {
		return nil, errUnknown(fid)
	}
	return found, nil
}

func errUnknown(fid string) error {
	return errors.Join(client.ErrUnknownUpload, errors.New("the agent runs no upload "+fid+" (see 'hoist status')"))
}

// record folds an engine event into the upload's state and passes it on.
func (h *hub) record(ev client.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.noteJob(ev)
	r := h.uploads[ev.UploadFID()]
	if r != nil {
		switch ev := ev.(type) {
		case *client.SessionEvent:
			r.session = ev
			r.keep(ev)
			if r.part && ev.State.Final() && !r.finished() {
				r.err = ev.Err
				close(r.done)
				h.forget()
				h.changed()
			}
		case *client.ChunkEvent:
			if ev.Action == client.ChunkResent {
				r.keep(ev)
			}
		case *client.ProgressEvent:
			r.progress = ev
		}
	}
	w := EncodeEvent(ev)
	if w == nil {
		return
	}
	for s := range h.subs {
		s.send(Message{Event: w})
	}
}

func (r *record) keep(ev client.Event) {
	if len(r.recent) == recentEvents {
		r.recent = slices.Delete(r.recent, 0, 1)
	}
	r.recent = append(r.recent, ev)
}

// running counts the uploads and jobs that have not ended.
func (h *hub) running() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.uploads {
		if !r.finished() {
			n++
		}
	}
	for _, j := range h.jobs {
		if !j.finished() {
			n++
		}
	}
	return n
}

func (r *record) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// list describes every upload and every job, oldest first.
func (h *hub) list() ([]UploadInfo, []JobInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.uploadInfos(), h.jobInfos()
}

func (h *hub) uploadInfos() []UploadInfo {
	out := make([]UploadInfo, 0, len(h.order))
	for _, fid := range h.order {
		out = append(out, h.uploads[fid].snapshot())
	}
	return out
}

func (h *hub) jobInfos() []JobInfo {
	var out []JobInfo
	for _, id := range h.jobIDs {
		out = append(out, h.jobSnapshot(h.jobs[id]))
	}
	return out
}

// snapshot describes the upload now. The hub's lock is held.
func (r *record) snapshot() UploadInfo {
	inf := r.info
	inf.Files = slices.Clone(r.info.Files)
	for _, f := range inf.Files {
		inf.TotalBytes += f.Size
	}
	if r.session != nil {
		inf.State = r.session.State.String()
		inf.Attempt = r.session.Attempt
		inf.RetryAt = r.session.RetryAt
	}
	if r.progress != nil {
		inf.Rate = r.progress.Rate
		for _, f := range r.progress.Files {
			inf.AckedBytes += f.AckedBytes
		}
	}
	if r.finished() {
		inf.Final = true
		if r.err != nil {
			inf.Error = r.err.Error()
			if inf.State != client.StateCanceled.String() {
				inf.State = client.StateFailed.String()
			}
		} else {
			inf.State = client.StateDone.String()
		}
	}
	return inf
}

// subscribe adds a subscriber and queues, for every upload, its
// description, its recent events and its latest state: the replay. It
// returns the uploads and the jobs as they are now.
func (h *hub) subscribe() (*subscriber, []UploadInfo, []JobInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &subscriber{out: make(chan Message, subscriberBuffer), dropped: make(chan struct{})}
	var infos []UploadInfo
	for _, fid := range h.order {
		r := h.uploads[fid]
		inf := r.snapshot()
		infos = append(infos, inf)
		s.send(Message{Upload: &inf})
		// The snapshot first, so the files are known; then the log; then
		// the latest state again, which the log may have overtaken.
		if r.progress != nil {
			s.send(Message{Event: EncodeEvent(r.progress)})
		}
		for _, ev := range r.recent {
			s.send(Message{Event: EncodeEvent(ev)})
		}
		if r.session != nil && (len(r.recent) == 0 || r.recent[len(r.recent)-1] != client.Event(r.session)) {
			s.send(Message{Event: EncodeEvent(r.session)})
		}
		if r.progress != nil {
			s.send(Message{Event: EncodeEvent(r.progress)})
		}
	}
	h.subs[s] = struct{}{}
	return s, infos, h.jobInfos()
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
}
