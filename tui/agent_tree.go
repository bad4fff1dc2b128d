package tui

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hoist-dev/hoist/transfer/client"
)

// RemoteFiles reads and removes the user's files on the server. An
// EngineUploader does it itself; an AgentUploader, whose agent carries only
// uploads, is given one (an engine of the UI's own, which starts no upload).
type RemoteFiles interface {
	List(ctx context.Context, q client.ListQuery, each func(client.RemoteFile) error) (client.ServerLimits, error)
	Lookup(ctx context.Context, paths []string) (map[string]client.RemoteFile, error)
	Remove(ctx context.Context, paths []string) ([]string, error)
}

// errNoRemote is what the remote operations of an AgentUploader answer
// when it was given no RemoteFiles.
var errNoRemote = errors.New("listing the server is not available while attached to the agent: run hoist with --agent never, or use 'hoist ls --server'")

// agentJobs turns the agent's single uploads into the jobs the UI starts:
// a tree sent through the agent is one upload (client.CollectFiles names
// its files as a job would), reported as a job of one part.
type agentJobs struct {
	mu   sync.Mutex
	jobs map[string]bool // fids started as jobs
}

// started records that fid runs as a job and returns the events that say
// so.
func (j *agentJobs) started(fid string) client.Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.jobs == nil {
		j.jobs = map[string]bool{}
	}
	j.jobs[fid] = true
	return &client.JobEvent{Job: fid, Kind: client.JobPartStarted, FID: fid, Part: 1, Parts: 1}
}

// ended returns the JobDone event for ev when it ends an upload started as
// a job, or nil.
func (j *agentJobs) ended(ev client.Event) client.Event {
	s, ok := ev.(*client.SessionEvent)
	if !ok || !s.State.Final() {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.jobs[s.FID] {
		return nil
	}
	delete(j.jobs, s.FID)
	return &client.JobEvent{Job: s.FID, At: s.At, Kind: client.JobDone, Parts: 1, Err: s.Err}
}

// StartTree implements Uploader: the agent sends the tree as one upload.
func (u *AgentUploader) StartTree(t Tree) (string, error) {
	files, err := client.CollectFiles(t.Paths, t.Exclude)
	if err != nil {
		return "", err
	}
	up := Upload{Tags: t.Tags}
	for _, f := range files {
		up.Files = append(up.Files, File{Path: f.Path, Name: f.Name})
	}
	fid, err := u.Start(up)
	if err != nil {
		return "", err
	}
	u.emit(u.jobs.started(fid))
	return fid, nil
}

// CancelJob implements Uploader: a job through the agent is one upload.
func (u *AgentUploader) CancelJob(job string) error { return u.Cancel(job) }

// List implements Uploader through the RemoteFiles given.
func (u *AgentUploader) List(ctx context.Context, q client.ListQuery, each func(client.RemoteFile) error) error {
	if u.remote == nil {
		return errNoRemote
	}
	_, err := u.remote.List(ctx, q, each)
	return err
}

// Lookup implements Uploader through the RemoteFiles given.
func (u *AgentUploader) Lookup(ctx context.Context, paths []string) (map[string]client.RemoteFile, error) {
	if u.remote == nil {
		return nil, errNoRemote
	}
	return u.remote.Lookup(ctx, paths)
}

// Remove implements Uploader through the RemoteFiles given.
func (u *AgentUploader) Remove(ctx context.Context, paths []string) ([]string, error) {
	if u.remote == nil {
		return nil, errNoRemote
	}
	return u.remote.Remove(ctx, paths)
}

// SetRateLimit implements Uploader: the agent caps the uploads it runs
// with this UI's connection settings, all together, those other UIs and
// 'hoist send --detach' started with the same settings included.
func (u *AgentUploader) SetRateLimit(bytesPerSecond int64) error {
	u.mu.Lock()
	u.rate = bytesPerSecond
	u.mu.Unlock()
	ctx, cancel := u.ctx()
	defer cancel()
	if err := u.c.SetRateLimit(ctx, u.set, bytesPerSecond); err != nil {
		return fmt.Errorf("the agent did not take the rate limit: %w", err)
	}
	return nil
}

// RateLimit implements Uploader: the agent's cap, or the last one set
// here if the agent cannot say.
func (u *AgentUploader) RateLimit() int64 {
	ctx, cancel := u.ctx()
	defer cancel()
	rate, err := u.c.RateLimit(ctx, u.set)
	u.mu.Lock()
	defer u.mu.Unlock()
	if err == nil {
		u.rate = rate
	}
	return u.rate
}
