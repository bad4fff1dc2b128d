package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hoist-dev/hoist/transfer/client"
)

// EngineUploader drives the transfer engine for the UI.
type EngineUploader struct {
	engine *client.Engine
	server string

	mu sync.Mutex
	// journal holds the entries Unfinished listed, for ResumeUnfinished.
	journal map[string]client.JournalEntry
}

var _ Uploader = (*EngineUploader)(nil)

// NewEngineUploader returns an Uploader over e, whose Options.Server is
// server. It offers for resuming only the unfinished uploads to that server,
// the one the token is for.
func NewEngineUploader(e *client.Engine, server string) *EngineUploader {
	return &EngineUploader{engine: e, server: server, journal: map[string]client.JournalEntry{}}
}

// Start implements Uploader.
func (u *EngineUploader) Start(up Upload) (string, error) {
	spec := client.Spec{FID: up.FID, Tags: up.Tags}
	for _, f := range up.Files {
		spec.Files = append(spec.Files, client.LocalFile{Path: f.Path, Name: f.Name})
	}
	return u.engine.Start(spec)
}

// Events implements Uploader.
func (u *EngineUploader) Events() <-chan client.Event { return u.engine.Events() }

// Pause implements Uploader.
func (u *EngineUploader) Pause(fid string) error { return u.engine.Pause(fid) }

// Resume implements Uploader.
func (u *EngineUploader) Resume(fid string) error { return u.engine.Resume(fid) }

// Cancel implements Uploader.
func (u *EngineUploader) Cancel(fid string) error { return u.engine.Cancel(fid) }

// RetryNow implements Uploader.
func (u *EngineUploader) RetryNow(fid string) error { return u.engine.RetryNow(fid) }

// Unfinished implements Uploader: the journal's unfinished uploads to this
// server. Entries that could be read are returned next to an error about
// the others.
func (u *EngineUploader) Unfinished() ([]Unfinished, error) {
	entries, err := u.engine.Unfinished()
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []Unfinished
	for _, e := range entries {
		if !sameServer(e.Server, u.server) {
			continue
		}
		u.journal[e.FID] = e
		un := Unfinished{FID: e.FID, Server: e.Server, Tags: e.Tags, Started: e.Created}
		for _, f := range e.Files {
			un.Files = append(un.Files, File{Path: f.Path, Name: f.Name, Size: f.Size})
		}
		out = append(out, un)
	}
	return out, err
}

// ResumeUnfinished implements Uploader.
func (u *EngineUploader) ResumeUnfinished(fid string) error {
	u.mu.Lock()
	e, ok := u.journal[fid]
	u.mu.Unlock()
	if !ok {
		return fmt.Errorf("upload %s is not among the unfinished ones", fid)
	}
	return u.engine.ResumeJournal(e)
}

// sameServer compares addresses, a bare host:port being tcp://host:port.
func sameServer(a, b string) bool {
	norm := func(s string) string {
		if !strings.Contains(s, "://") {
			return "tcp://" + s
		}
		return s
	}
	return norm(a) == norm(b)
}

// StartTree implements Uploader.
func (u *EngineUploader) StartTree(t Tree) (string, error) {
	return u.engine.StartTree(client.TreeSpec{Paths: t.Paths, Tags: t.Tags, Exclude: t.Exclude})
}

// CancelJob implements Uploader.
func (u *EngineUploader) CancelJob(job string) error { return u.engine.CancelJob(job) }

// List implements Uploader.
func (u *EngineUploader) List(ctx context.Context, q client.ListQuery, each func(client.RemoteFile) error) error {
	_, err := u.engine.List(ctx, q, each)
	return err
}

// Lookup implements Uploader.
func (u *EngineUploader) Lookup(ctx context.Context, paths []string) (map[string]client.RemoteFile, error) {
	return u.engine.Lookup(ctx, paths)
}

// Remove implements Uploader.
func (u *EngineUploader) Remove(ctx context.Context, paths []string) ([]string, error) {
	return u.engine.Remove(ctx, paths)
}

// SetRateLimit implements Uploader.
func (u *EngineUploader) SetRateLimit(bytesPerSecond int64) error {
	u.engine.SetRateLimit(bytesPerSecond)
	return nil
}

// RateLimit implements Uploader.
func (u *EngineUploader) RateLimit() int64 { return u.engine.RateLimit() }
