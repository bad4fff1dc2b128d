package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/hoist-dev/hoist/transfer/agent"
	"github.com/hoist-dev/hoist/transfer/client"
)

// agentCallTimeout bounds one request to the agent.
const agentCallTimeout = 30 * time.Second

// AgentUploader drives the uploads of a background agent (transfer/agent)
// for the UI: the uploads go on when the UI goes away, and a UI that
// attaches later is shown every upload the agent runs, replayed.
type AgentUploader struct {
	c   *agent.Client
	set agent.Settings

	events chan client.Event
	done   chan struct{}
	wg     sync.WaitGroup

	mu sync.Mutex
	// known describes the agent's uploads, for uploads this UI did not
	// start; replayed marks those the agent ran before the UI attached.
	known    map[string]Upload
	replayed map[string]bool
	// jobs describes the agent's jobs, kept up to date by their events;
	// replayedJobs marks those that started before the UI attached.
	jobs         map[string]agent.JobInfo
	replayedJobs map[string]bool
	// attachedJobs are the jobs the agent had when the UI attached, oldest
	// first.
	attachedJobs []string
	rate         int64 // what SetRateLimit was told
	// lost is why the agent's stream ended, when it was not Close.
	lost error

	remote RemoteFiles
}

var _ Uploader = (*AgentUploader)(nil)

// NewAgentUploader subscribes to the agent c and returns an Uploader that
// starts uploads there with the connection settings set; remote, if not
// nil, lists and removes the user's files on the server. Close ends the
// subscription and the connection, not the uploads.
func NewAgentUploader(ctx context.Context, c *agent.Client, set agent.Settings, remote RemoteFiles) (*AgentUploader, error) {
	u := &AgentUploader{c: c, set: set, remote: remote, events: make(chan client.Event, 256), done: make(chan struct{}),
		known: map[string]Upload{}, replayed: map[string]bool{}, jobs: map[string]agent.JobInfo{}, replayedJobs: map[string]bool{}}
	ups, jobs, err := c.Subscribe(ctx)
	if err != nil {
		return nil, fmt.Errorf("attaching to the hoist agent: %w", err)
	}
	for _, info := range ups {
		u.known[info.FID] = uploadOf(info)
		u.replayed[info.FID] = true
	}
	for _, info := range jobs {
		u.jobs[info.ID] = info
		u.replayedJobs[info.ID] = true
		u.attachedJobs = append(u.attachedJobs, info.ID)
	}
	u.wg.Go(u.pump)
	return u, nil
}

func uploadOf(info agent.UploadInfo) Upload {
	up := Upload{Tags: info.Tags, Job: info.Job}
	for _, f := range info.Files {
		up.Files = append(up.Files, File{Path: f.Path, Name: f.Name, Size: f.Size})
	}
	return up
}

// pump turns the agent's stream into engine events until it ends.
func (u *AgentUploader) pump() {
	defer close(u.events)
	defer func() {
		select {
		case <-u.done: // Close: the UI is going away
		default:
			u.mu.Lock()
			u.lost = errLostAgent
			u.mu.Unlock()
		}
	}()
	for m := range u.c.Stream() {
		if m.Upload != nil {
			u.mu.Lock()
			if _, ok := u.known[m.Upload.FID]; !ok {
				u.known[m.Upload.FID] = uploadOf(*m.Upload)
			}
			u.mu.Unlock()
			continue
		}
		if m.JobStarted != nil {
			u.mu.Lock()
			u.jobs[m.JobStarted.ID] = *m.JobStarted
			u.mu.Unlock()
			continue
		}
		if m.Event == nil {
			continue
		}
		ev := m.Event.Decode()
		if ev == nil {
			continue
		}
		u.noteJob(ev)
		if !u.emit(ev) {
			return
		}
	}
}

// emit passes ev on to the UI; false once the UI detached.
func (u *AgentUploader) emit(ev client.Event) bool {
	select {
	case u.events <- ev:
		return true
	case <-u.done:
		return false
	}
}

// errLostAgent is what the UI shows when the agent's stream ends under it.
var errLostAgent = errors.New("lost the hoist agent (it stopped or was killed): this screen no longer follows its uploads; " +
	"unfinished ones stay in the journal: quit and start hoist again to resume them")

// Lost returns why the agent's event stream ended under the UI, or nil
// while it runs or after Close.
func (u *AgentUploader) Lost() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lost
}

// Close detaches from the agent; its uploads go on.
func (u *AgentUploader) Close() error {
	close(u.done)
	err := u.c.Close()
	u.wg.Wait()
	return err
}

// Detached reports that uploads outlive the UI: they run in the agent.
func (u *AgentUploader) Detached() bool { return true }

// Describe returns what the agent said of upload fid, and whether the
// agent ran it before this UI attached.
func (u *AgentUploader) Describe(fid string) (up Upload, replayed, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	up, ok = u.known[fid]
	return up, u.replayed[fid], ok
}

// noteJob keeps the description of a job up to date with its event, so
// that a UI adopting the job later starts from where it is.
func (u *AgentUploader) noteJob(ev client.Event) {
	id := agent.JobOf(ev)
	if id == "" {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if info, ok := u.jobs[id]; ok {
		// Apply leaves the log as the agent sent it: the lines from before
		// this UI attached, which adopting the job replays.
		info.Apply(ev)
		u.jobs[id] = info
	}
}

// AttachedJobs returns the jobs the agent had when this UI attached,
// oldest first.
func (u *AgentUploader) AttachedJobs() []string { return slices.Clone(u.attachedJobs) }

// DescribeJob returns what the agent said of job id, and whether it
// started before this UI attached.
func (u *AgentUploader) DescribeJob(id string) (info agent.JobInfo, replayed, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	info, ok = u.jobs[id]
	return info, u.replayedJobs[id], ok
}

func (u *AgentUploader) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), agentCallTimeout)
}

// Start implements Uploader.
func (u *AgentUploader) Start(up Upload) (string, error) {
	ctx, cancel := u.ctx()
	defer cancel()
	var files []agent.File
	for _, f := range up.Files {
		files = append(files, agent.File{Path: f.Path, Name: f.Name, Size: f.Size})
	}
	return u.c.Start(ctx, u.set, up.FID.String(), files, up.Tags)
}

// Events implements Uploader.
func (u *AgentUploader) Events() <-chan client.Event { return u.events }

// Pause implements Uploader.
func (u *AgentUploader) Pause(fid string) error { return u.call(u.c.Pause, fid) }

// Resume implements Uploader.
func (u *AgentUploader) Resume(fid string) error { return u.call(u.c.Resume, fid) }

// Cancel implements Uploader.
func (u *AgentUploader) Cancel(fid string) error { return u.call(u.c.Cancel, fid) }

// RetryNow implements Uploader.
func (u *AgentUploader) RetryNow(fid string) error { return u.call(u.c.RetryNow, fid) }

func (u *AgentUploader) call(f func(context.Context, string) error, fid string) error {
	ctx, cancel := u.ctx()
	defer cancel()
	return f(ctx, fid)
}

// Unfinished implements Uploader: the journal's unfinished uploads to this
// server that no process runs.
func (u *AgentUploader) Unfinished() ([]Unfinished, error) {
	ctx, cancel := u.ctx()
	defer cancel()
	entries, err := u.c.Unfinished(ctx, u.set)
	var out []Unfinished
	for _, e := range entries {
		if !sameServer(e.Server, u.set.Server) {
			continue
		}
		un := Unfinished{FID: e.FID, Server: e.Server, Tags: e.Tags, Started: e.Created}
		for _, f := range e.Files {
			un.Files = append(un.Files, File{Path: f.Path, Name: f.Name, Size: f.Size})
		}
		out = append(out, un)
	}
	return out, err
}

// ResumeUnfinished implements Uploader: the agent resumes the upload.
func (u *AgentUploader) ResumeUnfinished(fid string) error {
	ctx, cancel := u.ctx()
	defer cancel()
	return u.c.ResumeUnfinished(ctx, u.set, fid)
}

// describer is an Uploader that knows uploads the UI did not start.
type describer interface {
	Describe(fid string) (up Upload, replayed, ok bool)
}

// jobDescriber is an Uploader that knows jobs the UI did not start.
type jobDescriber interface {
	DescribeJob(id string) (info agent.JobInfo, replayed, ok bool)
}

// adoptUploads tracks the uploads and jobs of events that this UI did not
// start but its Uploader can describe: an agent's, started before the UI
// attached, by another UI or by hoist send --detach. Attaching to uploads
// that run already shows them; a job's parts show in the job's row.
func (m *Model) adoptUploads(events []client.Event) {
	d, ok := m.up.(describer)
	if !ok {
		return
	}
	for _, ev := range events {
		if job := agent.JobOf(ev); job != "" {
			m.adoptJob(job)
			continue
		}
		fid := ev.UploadFID()
		if m.uploads.byFID[fid] != nil {
			continue
		}
		up, replayed, ok := d.Describe(fid)
		if !ok {
			continue
		}
		if up.Job != "" {
			m.adoptJob(up.Job)
			continue
		}
		m.uploads.add(fid, up)
		m.showReplayed(replayed)
	}
}

// attachedLister is an Uploader that knows the jobs it found on attaching.
type attachedLister interface {
	AttachedJobs() []string
}

// adoptPartlessJobs tracks the jobs the agent had before this UI attached
// that have no part: no replayed event brings them, as their parts' events
// bring the others. They are jobs still walking or checking, and jobs whose
// files were all on the server already.
func (m *Model) adoptPartlessJobs() {
	a, ok := m.up.(attachedLister)
	d, ok2 := m.up.(jobDescriber)
	if !ok || !ok2 {
		return
	}
	for _, id := range a.AttachedJobs() {
		if info, _, ok := d.DescribeJob(id); ok && info.PartFID == "" {
			m.adoptJob(id)
		}
	}
}

// adoptJob tracks job id if this UI does not yet and its Uploader can
// describe it. While this UI starts a job of its own, whose id it does not
// know yet, any job may be that one: it waits for the job's next events.
func (m *Model) adoptJob(id string) {
	if id == "" || m.uploads.byJob[id] != nil || m.uploads.startingJob() {
		return
	}
	d, ok := m.up.(jobDescriber)
	if !ok {
		return
	}
	info, replayed, ok := d.DescribeJob(id)
	if !ok {
		return
	}
	m.uploads.adoptJob(info)
	m.showReplayed(replayed)
}

// showReplayed turns to the uploads screen when attaching found uploads
// running, unless the user is busy browsing.
func (m *Model) showReplayed(replayed bool) {
	if replayed && m.screen == screenBrowse && !m.editing && m.sel.len() == 0 {
		m.screen = screenUpload
	}
}

// detached reports whether the uploads outlive the UI.
func (m *Model) detached() bool {
	d, ok := m.up.(interface{ Detached() bool })
	return ok && d.Detached()
}

// requestDetachedQuit asks, while an agent runs uploads, whether to leave
// them running (y or enter, the default) or cancel them (c).
func (m *Model) requestDetachedQuit(running int) tea.Cmd {
	m.confirm = &confirmation{
		prompt: plural(running, "upload runs", "uploads run") + " in the hoist agent and will go on after you quit: " +
			"'hoist' shows them again, 'hoist status' lists them.\n\nQuit and leave them running?",
		yes:        m.quit,
		yesOnEnter: true,
		alt:        key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel them and quit")),
		altRun:     m.cancelAllAndQuit,
	}
	return nil
}

// cancelAllAndQuit cancels every running upload, then quits.
// A job is canceled as a whole: canceling its running part alone would end
// the job as failed, not canceled.
func (m *Model) cancelAllAndQuit() tea.Cmd {
	var fids, jobs []string
	for _, t := range m.uploads.uploads {
		switch {
		case !t.active():
		case t.job != nil && t.job.id != "":
			jobs = append(jobs, t.job.id)
		default:
			fids = append(fids, t.fid)
		}
	}
	up := m.up
	m.Close()
	return func() tea.Msg {
		// Quitting either way; the agent logs failures.
		for _, job := range jobs {
			_ = up.CancelJob(job)
		}
		for _, fid := range fids {
			_ = up.Cancel(fid)
		}
		return tea.QuitMsg{}
	}
}
